using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using Tessera.Kernels;
using Tessera.Onnx;
using Tessera.Tests.Onnx;
using Tessera.Tests.Support;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Optimization;

/// <summary>Models written as torch.onnx (Debian's torch 1.13) writes them at opset 13, run through
/// <see cref="OnnxProgram"/> at every level: the outputs agree with the unoptimized run (rtol 1e-4) and the decomposed
/// forms became the fused ops.</summary>
public class OnnxExportPatternTests
{
    private static readonly OptimizationLevel[] Levels = [OptimizationLevel.None, OptimizationLevel.Basic, OptimizationLevel.All];

    /// <summary>Runs the model at each level; returns the nodes of the program's optimized graph at All.</summary>
    private static Node[] RunAtEveryLevel(OnnxModel model, params (string Name, OnnxTensor Value)[] inputs)
    {
        float[][]? reference = null;
        Node[] nodes = [];
        foreach (var level in Levels)
        {
            using var p = new OnnxProgram(model, TestDevices.Cpu, level);
            var outs = p.Run(inputs.ToDictionary(x => x.Name, x => x.Value with { Name = x.Name })).Select(ToFloats).ToArray();
            if (reference is null) reference = outs;
            else
                for (int k = 0; k < outs.Length; k++) OptimizerHarness.AssertClose(reference[k], outs[k], 1e-4, $"{level} output {k}");
            Assert.Equal(level, p.Optimization);
            nodes = p.Plan!.Graph.Nodes.ToArray();
        }
        return nodes;
    }

    private static string[] Kinds(Node[] nodes) => nodes.Select(n => n.Op.Kind).ToArray();

    /// <summary>The activation of the fused epilogue of a Gemm or Conv2d node (Identity for none).</summary>
    private static UnaryOp EpilogueOf(Node n) => n.Op switch
    {
        GemmGraphOp gemm => gemm.Params.Epilogue.Activation,
        Conv2dGraphOp conv => conv.Params.Epilogue.Activation,
        _ => UnaryOp.Identity,
    };

    /// <summary>Adds nn.LayerNorm over the last axis as written below opset 17.</summary>
    private static void LayerNorm(ImportModels m, string x, string y, int d, int seed)
    {
        m.Init($"{y}.w", Data(seed, d, 0.5f, 1.5f), d).Init($"{y}.b", Data(seed + 1, d), d)
            .Init($"{y}.two", [2f]).Init($"{y}.eps", [1e-12f])
            .Node("ReduceMean", [x], [$"{y}.mean"], Is("axes", -1))
            .Node("Sub", [x, $"{y}.mean"], [$"{y}.d"])
            .Node("Pow", [$"{y}.d", $"{y}.two"], [$"{y}.sq"])
            .Node("ReduceMean", [$"{y}.sq"], [$"{y}.var"], Is("axes", -1))
            .Node("Add", [$"{y}.var", $"{y}.eps"], [$"{y}.ve"])
            .Node("Sqrt", [$"{y}.ve"], [$"{y}.s"])
            .Node("Div", [$"{y}.d", $"{y}.s"], [$"{y}.n"])
            .Node("Mul", [$"{y}.n", $"{y}.w"], [$"{y}.nw"])
            .Node("Add", [$"{y}.nw", $"{y}.b"], [y]);
    }

    /// <summary>A Linear layer as MatMul then Add(bias, product).</summary>
    private static void Linear(ImportModels m, string x, string y, int din, int dout, int seed) =>
        m.Init($"{y}.W", Data(seed, din * dout, -0.5f, 0.5f), din, dout).Init($"{y}.bias", Data(seed + 1, dout), dout)
            .Node("MatMul", [x, $"{y}.W"], [$"{y}.mm"])
            .Node("Add", [$"{y}.bias", $"{y}.mm"], [y]);

    /// <summary>Heads split: Reshape to [B, T, H, Dh] then Transpose.</summary>
    private static void Heads(ImportModels m, string x, string y, long[] shape, params long[] perm) =>
        m.InitInts($"{y}.shape", shape, shape.Length)
            .Node("Reshape", [x, $"{y}.shape"], [$"{y}.r"])
            .Node("Transpose", [$"{y}.r"], [y], Is("perm", perm));

    [Fact]
    public void A_bert_layer_at_opset_13_fuses_layer_norm_attention_gelu_and_biases()
    {
        const int b = 2, t = 5, h = 2, dh = 4, d = h * dh, ffn = 16;
        long[] split = [b, t, h, dh];
        var m = new ImportModels(13).Input("x", b, t, d).Input("mask", b, 1, 1, t).Output("y");
        LayerNorm(m, "x", "ln", d, 1);
        Linear(m, "ln", "q", d, d, 10);
        Linear(m, "ln", "k", d, d, 20);
        Linear(m, "ln", "v", d, d, 30);
        Heads(m, "q", "qh", split, 0, 2, 1, 3);
        Heads(m, "k", "kt", split, 0, 2, 3, 1);
        Heads(m, "v", "vh", split, 0, 2, 1, 3);
        m.Init("sqrt_dh", [2f]).InitInts("merge", [b, t, d], 3)
            .Node("MatMul", ["qh", "kt"], ["scores"])
            .Node("Div", ["scores", "sqrt_dh"], ["scaled"])
            .Node("Add", ["scaled", "mask"], ["masked"])
            .Node("Softmax", ["masked"], ["probs"], I("axis", -1))
            .Node("MatMul", ["probs", "vh"], ["ctx"])
            .Node("Transpose", ["ctx"], ["ctx_t"], Is("perm", 0, 2, 1, 3))
            .Node("Reshape", ["ctx_t", "merge"], ["attn"]);
        Linear(m, "attn", "up", d, ffn, 40);
        m.Init("sqrt2", [1.4142135381698608f]).Init("one", [1f]).Init("half", [0.5f])
            .Node("Div", ["up", "sqrt2"], ["g0"]).Node("Erf", ["g0"], ["g1"]).Node("Add", ["g1", "one"], ["g2"])
            .Node("Mul", ["up", "g2"], ["g3"]).Node("Mul", ["g3", "half"], ["y"]);
        var mask = Enumerable.Repeat(0f, b * t).ToArray();
        mask[^1] = mask[^2] = -10000f;   // the second sequence is padded
        var nodes = RunAtEveryLevel(m.Build(), ("x", Floats("x", Data(7, b * t * d), b, t, d)), ("mask", Floats("mask", mask, b, 1, 1, t)));
        var kinds = Kinds(nodes);
        Assert.Contains("LayerNorm", kinds);
        Assert.Contains("Attention", kinds);
        Assert.Contains(nodes, n => n.Op.Kind == "Gemm" && EpilogueOf(n) == UnaryOp.GeluErf);   // the GELU, fused into its product
        Assert.DoesNotContain("Softmax", kinds);
        Assert.DoesNotContain("Erf", kinds);
        Assert.DoesNotContain("Add", kinds);   // every bias went into its product
    }

    [Fact]
    public void A_gpt_block_at_opset_13_gets_causal_attention_and_gelu_tanh()
    {
        const int t = 6, h = 2, dh = 4, d = h * dh;
        long[] split = [1, t, h, dh];
        var causal = new byte[t * t];
        for (int i = 0; i < t; i++)
            for (int j = 0; j <= i; j++) causal[i * t + j] = 1;
        var m = new ImportModels(13).Input("x", 1, t, d).Output("y");
        Linear(m, "x", "qkv", d, 3 * d, 1);
        m.InitInts("sizes", [d, d, d], 3).Node("Split", ["qkv", "sizes"], ["q", "k", "v"], I("axis", 2));
        Heads(m, "q", "qh", split, 0, 2, 1, 3);
        Heads(m, "k", "kt", split, 0, 2, 3, 1);
        Heads(m, "v", "vh", split, 0, 2, 1, 3);
        m.Init("sqrt_dh", [2f]).InitInts("merge", [1, t, d], 3).Init("min", [float.MinValue])
            .InitTensor(new OnnxTensor("causal", OnnxDataType.Bool, [1, 1, t, t], causal))
            .Node("MatMul", ["qh", "kt"], ["scores"])
            .Node("Div", ["scores", "sqrt_dh"], ["scaled"])
            .Node("Where", ["causal", "scaled", "min"], ["masked"])
            .Node("Softmax", ["masked"], ["probs"], I("axis", -1))
            .Node("MatMul", ["probs", "vh"], ["ctx"])
            .Node("Transpose", ["ctx"], ["ctx_t"], Is("perm", 0, 2, 1, 3))
            .Node("Reshape", ["ctx_t", "merge"], ["a"])
            .Init("half", [0.5f]).Init("three", [3f]).Init("c", [0.044714998453855515f]).Init("k2pi", [0.7978845834732056f]).Init("one", [1f])
            .Node("Mul", ["a", "half"], ["h0"]).Node("Pow", ["a", "three"], ["h1"]).Node("Mul", ["h1", "c"], ["h2"])
            .Node("Add", ["a", "h2"], ["h3"]).Node("Mul", ["h3", "k2pi"], ["h4"]).Node("Tanh", ["h4"], ["h5"])
            .Node("Add", ["h5", "one"], ["h6"]).Node("Mul", ["h0", "h6"], ["y"]);
        var kinds = Kinds(RunAtEveryLevel(m.Build(), ("x", Floats("x", Data(3, t * d), 1, t, d))));
        Assert.Contains("Attention", kinds);
        Assert.Contains("GeluTanh", kinds);
        Assert.DoesNotContain("Where", kinds);
    }

    [Fact]
    public void Batch_normalization_after_a_1d_convolution_folds_into_it()
    {
        const int c = 3, o = 4, w = 20;
        var m = new ImportModels(13).Input("x", 2, c, w).Output("y")
            .Init("W", Data(1, o * c * 3), o, c, 3).Init("B", Data(2, o), o)
            .Init("scale", Data(3, o, 0.5f, 1.5f), o).Init("bias", Data(4, o), o).Init("mean", Data(5, o), o).Init("var", Data(6, o, 0.5f, 2f), o)
            .Node("Conv", ["x", "W", "B"], ["conv"], Is("pads", 1, 1))
            .Node("BatchNormalization", ["conv", "scale", "bias", "mean", "var"], ["bn"], F("epsilon", 1e-3f))
            .Node("Relu", ["bn"], ["y"]);
        var nodes = RunAtEveryLevel(m.Build(), ("x", Floats("x", Data(7, 2 * c * w), 2, c, w)));
        Assert.Equal(["Reshape", "Conv2d", "Reshape"], Kinds(nodes));   // the ReLU, fused into the convolution
        Assert.Equal(UnaryOp.Relu, EpilogueOf(nodes[1]));
    }
}
