using Tessera.Graph;
using Tessera.Graph.Optimization;
using Tessera.Kernels;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>Decomposed GELU, erf and tanh forms, onto the fused unary ops. Each test runs a graph built for the pass
/// before and after it and compares the outputs.</summary>
public class GeluFusionTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Decomposed_gelu_becomes_one_node(bool tanh, bool halfFirst)
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Relu(g.Input("x", DType.Float32, 4, 33));
        Value C(float v) => Const(g, $"c{g.Graph.Values.Count}", [v]);
        Value t = tanh
            ? g.Tanh(g.Mul(g.Add(x, g.Mul(g.Unary(UnaryOp.PowScalar, x, new UnaryParams(3f)), C(0.044715f))), C(0.7978845834732056f)))
            : g.Unary(UnaryOp.Erf, g.Div(x, C(1.4142135381698608f)));
        var onePlus = g.Add(t, C(1f));
        var y = halfFirst ? g.Mul(g.Mul(x, C(0.5f)), onePlus) : g.Mul(g.Mul(x, onePlus), C(0.5f));
        var z = g.Tanh(y, "z");
        g.Output(z);
        using var r = Check(g.Graph, [z], [new GeluFusion()]);
        Assert.Equal(["Relu", tanh ? "GeluTanh" : "GeluErf", "Tanh"], r.Graph.Nodes.Select(n => n.Op.Kind).ToArray());
    }

    [Fact]
    public void A_gelu_with_other_constants_is_not_fused()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 8);
        var t = g.Unary(UnaryOp.Erf, g.Div(x, Const(g, "sqrt3", [1.7320508f])));
        var y = g.Mul(g.Mul(x, g.Add(t, Const(g, "one", [1f]))), Const(g, "half", [0.5f]));
        g.Output(y);
        using var r = Check(g.Graph, [y], [new GeluFusion()], exact: true);
        Assert.Equal(0, Count(r.Graph, "GeluErf"));
    }
}
