using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using Tessera.Kernels;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>Decomposed layer norm (as torch.onnx writes it below opset 17) onto the LayerNorm op. Each test runs a
/// graph built for the pass before and after it and compares the outputs.</summary>
public class LayerNormFusionTests
{
    /// <summary>nn.LayerNorm as torch.onnx writes it below opset 17.</summary>
    private static Value DecomposedLayerNorm(GraphBuilder g, Value x, Value? gamma, Value? beta, float eps, bool squareByMul = false)
    {
        int last = x.Shape.Rank - 1;
        var m = g.Mean(x, [-1], keepDims: true);
        var d = g.Sub(x, m);
        var sq = squareByMul ? g.Mul(d, d) : g.Unary(UnaryOp.PowScalar, d, new UnaryParams(2f));
        var v = g.Mean(sq, [last], keepDims: true);
        var s = g.Unary(UnaryOp.Sqrt, g.Add(v, Const(g, $"eps{x.Id}", [eps])));
        var n = g.Div(d, s);
        if (gamma is not null) n = g.Mul(n, gamma);
        return beta is null ? n : g.Add(n, beta);
    }

    [Fact]
    public void Decomposed_layer_norm_becomes_one_LayerNorm()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 5, 16);
        var y1 = DecomposedLayerNorm(g, x, Const(g, "gamma", Data(1, 16, 0.5f, 1.5f), 16), Const(g, "beta", Data(2, 16), 16), 1e-12f);
        var y2 = DecomposedLayerNorm(g, g.Relu(y1), null, Const(g, "beta2", Data(3, 16), 1, 1, 16), 1e-5f, squareByMul: true);
        g.Output(y2);
        using var r = Check(g.Graph, [y2], [new LayerNormFusion()]);
        Assert.Equal(["LayerNorm", "Relu", "Fill", "LayerNorm"], r.Graph.Nodes.Select(n => n.Op.Kind).Where(k => k != "Reshape").ToArray());
        Assert.Equal(1e-12f, ((LayerNormGraphOp)r.Graph.Nodes[0].Op).Params.Epsilon);
    }

    [Fact]
    public void A_layer_norm_whose_intermediate_is_read_elsewhere_is_not_fused()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 3, 8);
        var y = DecomposedLayerNorm(g, x, null, null, 1e-5f);
        var centred = y.Producer!.Inputs[0];   // d = x − mean, also an output
        g.Output(y, centred);
        using var r = Check(g.Graph, [y, centred], [new LayerNormFusion()], exact: true);
        Assert.Equal(0, Count(r.Graph, "LayerNorm"));
    }
}
