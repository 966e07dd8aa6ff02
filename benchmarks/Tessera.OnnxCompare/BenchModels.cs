using System.Runtime.InteropServices;
using Tessera.Onnx;
using Tessera.Onnx.Protobuf;
using static Tessera.OnnxCompare.ModelBuilder;

namespace Tessera.OnnxCompare;

/// <summary>The three comparison models, written with <see cref="OnnxWriter"/> from seeded random weights.</summary>
public static class BenchModels
{
    public static IReadOnlyList<string> Names { get; } = ["mlp", "lenet5", "transformer"];

    /// <summary>The model <paramref name="name"/> at its benchmark batch size, or at <paramref name="batch"/>: the
    /// weights and the leading batch items of the input do not depend on the batch size (same seed, same order).</summary>
    public static BenchCase Create(string name, int seed = 1234, int? batch = null) => name switch
    {
        "mlp" => Mlp(seed, batch ?? 256),
        "lenet5" => LeNet5(seed, batch ?? 64),
        "transformer" => TransformerEncoder(seed, batch ?? 8),
        _ => throw new TesseraArgumentException("BenchModels.Create", nameof(name), $"unknown model '{name}' (mlp, lenet5, transformer)"),
    };

    private static OnnxTensor RandomInput(string name, int seed, params long[] dims)
    {
        var rng = new Random(seed);
        var v = new float[dims.Aggregate(1L, (a, d) => a * d)];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return new OnnxTensor(name, OnnxDataType.Float, dims, MemoryMarshal.AsBytes(v.AsSpan()).ToArray());
    }

    private static BenchCase Finish(string name, OnnxModel model, double flops, params OnnxTensor[] inputs) =>
        new(name, OnnxWriter.WriteModel(model), model, inputs.ToDictionary(i => i.Name), flops);

    /// <summary>Gemm → Relu → Gemm, batch 256, 1024 → 4096 → 1024 (weights [out, in], transB = 1 as exporters write).</summary>
    public static BenchCase Mlp(int seed, int B = 256)
    {
        const int D = 1024, H = 4096;
        var m = new ModelBuilder(seed);
        string x = m.Input("x", B, D);
        string h = m.Node("Gemm", [x, m.Weight("w1", 1 / MathF.Sqrt(D), H, D), m.Weight("b1", 0.1f, H)], Int("transB", 1));
        h = m.Node("Relu", [h]);
        m.NodeNamed("Gemm", [h, m.Weight("w2", 1 / MathF.Sqrt(H), D, H), m.Weight("b2", 0.1f, D)], "y", Int("transB", 1));
        m.Output("y", B, D);
        double flops = 2.0 * B * D * H * 2;
        return Finish("mlp", m.Build("mlp"), flops, RandomInput("x", seed + 1, B, D));
    }

    /// <summary>LeNet-5: Conv(6,5×5,pad 2)/Relu/MaxPool → Conv(16,5×5)/Relu/MaxPool → Reshape → Gemm 120/84/10, batch 64.</summary>
    public static BenchCase LeNet5(int seed, int B = 64)
    {
        var m = new ModelBuilder(seed);
        string x = m.Input("x", B, 1, 28, 28);
        string h = m.Node("Conv", [x, m.Weight("c1w", 1 / 5f, 6, 1, 5, 5), m.Weight("c1b", 0.1f, 6)],
            Ints("kernel_shape", 5, 5), Ints("pads", 2, 2, 2, 2));
        h = m.Node("Relu", [h]);
        h = m.Node("MaxPool", [h], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        h = m.Node("Conv", [h, m.Weight("c2w", 1 / MathF.Sqrt(150), 16, 6, 5, 5), m.Weight("c2b", 0.1f, 16)], Ints("kernel_shape", 5, 5));
        h = m.Node("Relu", [h]);
        h = m.Node("MaxPool", [h], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        h = m.Node("Reshape", [h, m.Int64s("flat", B, 400)]);
        h = m.Node("Relu", [m.Node("Gemm", [h, m.Weight("f1w", 1 / 20f, 120, 400), m.Weight("f1b", 0.1f, 120)], Int("transB", 1))]);
        h = m.Node("Relu", [m.Node("Gemm", [h, m.Weight("f2w", 1 / MathF.Sqrt(120), 84, 120), m.Weight("f2b", 0.1f, 84)], Int("transB", 1))]);
        m.NodeNamed("Gemm", [h, m.Weight("f3w", 1 / MathF.Sqrt(84), 10, 84), m.Weight("f3b", 0.1f, 10)], "y", Int("transB", 1));
        m.Output("y", B, 10);
        double flops = 2.0 * B * (6 * 28 * 28 * 25 + 16 * 10 * 10 * 150 + 400 * 120 + 120 * 84 + 84 * 10);
        return Finish("lenet5", m.Build("lenet5"), flops, RandomInput("x", seed + 1, B, 1, 28, 28));
    }

    /// <summary>A post-norm transformer encoder layer (batch 8, sequence 128, d 256, 4 heads, ffn 1024) from MatMul, Add,
    /// Softmax, LayerNormalization, Transpose, Reshape and Relu. The 1/√d_head score scale is folded into Wq and bq.</summary>
    public static BenchCase TransformerEncoder(int seed, int B = 8)
    {
        const int S = 128, D = 256, Hd = 4, Dh = D / Hd, F = 1024;
        var m = new ModelBuilder(seed);
        string x = m.Input("x", B, S, D);
        float ws = 1 / MathF.Sqrt(D), scale = 1 / MathF.Sqrt(Dh);
        string Linear(string input, string name, int fin, int fout, float wScale) =>
            m.Node("Add", [m.Node("MatMul", [input, m.Weight(name + "_w", wScale, fin, fout)]), m.Weight(name + "_b", 0.1f * wScale * MathF.Sqrt(fin), fout)]);
        string heads = m.Int64s("heads_shape", B, S, Hd, Dh);
        string q = m.Node("Transpose", [m.Node("Reshape", [Linear(x, "q", D, D, ws * scale), heads])], Ints("perm", 0, 2, 1, 3));
        string k = m.Node("Transpose", [m.Node("Reshape", [Linear(x, "k", D, D, ws), heads])], Ints("perm", 0, 2, 3, 1));
        string v = m.Node("Transpose", [m.Node("Reshape", [Linear(x, "v", D, D, ws), heads])], Ints("perm", 0, 2, 1, 3));
        string p = m.Node("Softmax", [m.Node("MatMul", [q, k])], Int("axis", -1));
        string ctx = m.Node("Transpose", [m.Node("MatMul", [p, v])], Ints("perm", 0, 2, 1, 3));
        ctx = m.Node("Reshape", [ctx, m.Int64s("model_shape", B, S, D)]);
        string attn = Linear(ctx, "o", D, D, ws);
        string h1 = m.Node("LayerNormalization", [m.Node("Add", [x, attn]), m.Fill("ln1_g", 1, D), m.Fill("ln1_b", 0, D)],
            Int("axis", -1), Float("epsilon", 1e-5f));
        string f = m.Node("Relu", [Linear(h1, "ff1", D, F, ws)]);
        f = Linear(f, "ff2", F, D, 1 / MathF.Sqrt(F));
        m.NodeNamed("LayerNormalization", [m.Node("Add", [h1, f]), m.Fill("ln2_g", 1, D), m.Fill("ln2_b", 0, D)], "y",
            Int("axis", -1), Float("epsilon", 1e-5f));
        m.Output("y", B, S, D);
        double tokens = (double)B * S;
        double flops = 2 * tokens * D * D * 4          // q, k, v, o projections
                     + 2 * 2.0 * B * Hd * S * S * Dh   // scores and context
                     + 2 * tokens * D * F * 2;         // feed-forward
        return Finish("transformer", m.Build("transformer"), flops, RandomInput("x", seed + 1, B, S, D));
    }
}
