using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using Tessera.Kernels;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>Batch norm and per-channel affine folding into the convolution or matrix product before it. Each test runs
/// a graph built for the pass before and after it and compares the outputs.</summary>
public class BatchNormFoldingTests
{
    private static readonly OptimizationOptions Frozen = new() { Inference = true, FreezeParameters = true };

    [Fact]
    public void Batch_norm_in_inference_mode_folds_into_the_convolution()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3, 6, 6);
        var w = g.Parameter("w", Tensor.FromArray(Dev, Data(1, 4 * 3 * 9), 4, 3, 3, 3));
        var b = g.Parameter("b", Tensor.FromArray(Dev, Data(2, 4), 4));
        var conv = g.Conv2d(x, w, b, new Conv2dParams(PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), name: "conv");
        Value P(string name, int seed, float lo, float hi) => g.Parameter(name, Tensor.FromArray(Dev, Data(seed, 4, lo, hi), 4));
        var bn = g.BatchNorm(conv, P("gamma", 3, 0.5f, 1.5f), P("beta", 4, -1, 1), g.State("mean", Tensor.FromArray(Dev, Data(5, 4), 4)),
            g.State("var", Tensor.FromArray(Dev, Data(6, 4, 0.5f, 2), 4)), new BatchNormParams(1e-3f), "bn");
        var y = g.Relu(bn, "y");
        g.Output(y);
        using var r = Check(g.Graph, [y], [new BatchNormFolding()], Frozen);
        Assert.Equal(["conv", "y"], r.Graph.Nodes.Select(n => n.Name).ToArray());
        Assert.Equal(2, r.OwnedTensors.Count);   // the scaled weight and the new bias
        // Without the promise that parameters stay as they are, or in training mode, nothing is folded.
        using var unfrozen = GraphOptimizer.Optimize(g.Graph, [new BatchNormFolding()], new OptimizationOptions { Inference = true });
        Assert.Equal(3, unfrozen.Graph.Nodes.Count);
        using var training = GraphOptimizer.Optimize(g.Graph, [new BatchNormFolding()], new OptimizationOptions { FreezeParameters = true });
        Assert.Equal(3, training.Graph.Nodes.Count);
    }

    [Fact]
    public void A_per_channel_affine_folds_into_a_1d_convolution_through_its_reshape()
    {
        // ONNX BatchNormalization after Conv1d imports as Conv2d, Reshape to 3-D, Mul and Add by [C, 1] constants.
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3, 1, 20);
        var conv = g.Conv2d(x, Const(g, "w", Data(1, 5 * 3 * 3), 5, 3, 1, 3), null, new Conv2dParams(StrideW: 2), name: "conv");
        var r3 = g.Reshape(conv, 2, 5, 9);
        var scaled = g.Mul(r3, Const(g, "a", Data(2, 5, 0.5f, 2), 5, 1), "scale");
        var shifted = g.Sub(scaled, Const(g, "b", Data(3, 5), 5, 1), "shift");
        var divided = g.Div(shifted, Const(g, "c", [4f], 1), "div");
        var y = g.Relu(divided, "y");
        g.Output(y);
        using var r = Check(g.Graph, [y], [new BatchNormFolding()]);
        Assert.Equal(["Conv2d", "Reshape", "Relu"], r.Graph.Nodes.Select(n => n.Op.Kind).ToArray());
        Assert.Equal(3, r.Graph.Nodes[0].Inputs.Count);   // the shift became a bias
    }

    [Fact]
    public void A_bias_add_moves_into_the_matrix_product_and_a_scale_into_its_weight()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 5, 8);
        var w = Const(g, "w", Data(1, 8 * 6), 8, 6);
        var mm = g.MatMul(x, w, "mm");
        var biased = g.Add(Const(g, "bias", Data(2, 6), 6), mm, "bias_add");   // bias first, as torch.onnx writes it
        var wt = Const(g, "wt", Data(3, 8 * 6), 8, 6);
        var mm2 = g.Gemm(biased, wt, null, new GemmParams(TransB: true), "mm2");
        var y = g.Mul(mm2, Const(g, "s", Data(4, 8, 0.5f, 1.5f), 1, 1, 8), "y");
        var lin = g.Linear(g.Reshape(y, 10, 8), Const(g, "lw", Data(5, 4 * 8), 4, 8), Const(g, "lb", Data(6, 4), 4), "lin");
        var z = g.Add(lin, Const(g, "lb2", Data(7, 4), 4), "z");
        g.Output(z);
        using var r = Check(g.Graph, [z], [new BatchNormFolding()]);
        Assert.Equal(0, Count(r.Graph, "Add") + Count(r.Graph, "Mul"));
        var gemms = r.Graph.Nodes.Where(n => n.Op.Kind == "Gemm").ToArray();
        Assert.All(gemms, n => Assert.Equal(3, n.Inputs.Count));
        // The bias-only fold keeps the weight value; the scaled one gets a new constant.
        Assert.Equal("w", gemms[0].Inputs[1].Name);
        Assert.NotEqual("wt", gemms[1].Inputs[1].Name);
    }

    [Fact]
    public void An_affine_after_a_concatenation_becomes_a_1x1_depthwise_convolution()
    {
        // DenseNet's pre-activation batch norm: Concat, then Mul and Add by per-channel constants, then ReLU.
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var a = g.Input("a", DType.Float32, 2, 3, 5, 7);
        var b = g.Input("b", DType.Float32, 2, 2, 5, 7);
        var cat = g.Concat([a, b], 1, "cat");
        var scaled = g.Mul(cat, Const(g, "s", Data(1, 5, 0.5f, 2), 5, 1, 1), "scale");
        var shifted = g.Add(Const(g, "t", Data(2, 5), 1, 5, 1, 1), scaled, "shift");
        var y = g.Relu(shifted, "y");
        // A single step (a scale alone) is left as it is.
        var z = g.Mul(b, Const(g, "s2", Data(3, 2), 2, 1, 1), "z");
        g.Output(y, z);
        using var r = Check(g.Graph, [y, z], [new BatchNormFolding(), new ConvActivationFusion()]);
        Assert.Equal(["Concat", "Conv2d", "Mul"], r.Graph.Nodes.Select(n => n.Op.Kind).ToArray());
        var conv = (Conv2dGraphOp)r.Graph.Nodes[1].Op;
        Assert.Equal(5, conv.Params.Groups);
        Assert.Equal(UnaryOp.Relu, conv.Params.Epilogue.Activation);
        Assert.Equal([5, 1, 1, 1], r.Graph.Nodes[1].Inputs[1].Shape.ToArray());
    }

    [Fact]
    public void An_affine_that_is_not_per_output_channel_is_left_alone()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 1, 2, 4, 4);
        var conv = g.Conv2d(x, Const(g, "w", Data(1, 3 * 2 * 9), 3, 2, 3, 3), null, new Conv2dParams(), name: "conv");
        var y = g.Mul(conv, Const(g, "along_w", Data(2, 2), 2), "y");          // broadcasts along the width, not channels
        var z = g.Add(g.Relu(conv, "also_read"), y, "z");                       // and the conv output has two readers anyway
        var conv2 = g.Conv2d(x, Const(g, "w2", Data(3, 3 * 2 * 9), 3, 2, 3, 3), null, new Conv2dParams(), name: "conv2");
        var u = g.Sub(Const(g, "c", Data(4, 3), 3, 1, 1), conv2, "c_minus_conv");  // c − y is not y − c
        var sq = g.Add(g.Mul(x, x, "square"), Const(g, "k", Data(5, 2), 2, 1, 1), "square_plus");   // x·x is no affine map
        g.Output(z, u, sq);
        using var r = Check(g.Graph, [z, u, sq], [new BatchNormFolding()], exact: true);
        Assert.Equal(g.Graph.Nodes.Count, r.Graph.Nodes.Count);
    }
}
