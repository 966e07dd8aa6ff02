using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>Identity elimination: nodes that return their input are bypassed, exactly. Each test runs a graph built for
/// the pass before and after it and compares the outputs.</summary>
public class IdentityEliminationTests
{
    [Fact]
    public void Identities_are_bypassed()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3);
        var a = g.Relu(x, "a");
        var b = g.Reshape(a, 2, 3);
        var c = g.Permute(b, 0, 1);
        var d = g.Cast(c, DType.Float32, "cast");
        var e = g.Mul(d, Const(g, "one", [1f], 1), "times_one");
        var f = g.Add(e, Const(g, "zero", [0f, 0f, 0f], 3), "plus_zero");
        var h = g.Affine(f, 1f, 0f, "affine");
        var i = g.Dropout(h, 0.5f, 3, "drop");
        var y = g.Tanh(i, "y");
        g.Output(y);
        using var r = Check(g.Graph, [y], [new IdentityElimination()], new OptimizationOptions { Inference = true }, exact: true);
        Assert.Equal(["a", "y"], r.Graph.Nodes.Select(n => n.Name).ToArray());
        Assert.Equal(7, r.Report.ChangesOf("identity").Count());
    }

    [Fact]
    public void Identities_that_change_the_sign_of_a_zero_stay_in_graphs_that_train()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 4);
        var w = g.Parameter("w", Tensor.FromArray(Dev, new float[] { 1, 2, 3, 4 }, 4));
        var p = g.Mul(x, w, "p");
        var plusZero = g.Add(p, Const(g, "zero", [0f], 1), "plus_zero");
        var timesOne = g.Mul(plusZero, Const(g, "one", [1f], 1), "times_one");
        var loss = g.Loss(g.Sum(timesOne, name: "loss"));
        Autodiff.AppendBackward(g, loss, [w]);
        Assert.True(GraphOptimizer.Trains(g.Graph));
        using var r = GraphOptimizer.Optimize(g.Graph, [new IdentityElimination()]);
        // x·1 is exact and goes; x + (+0) turns −0 into +0, so a graph that trains keeps it.
        Assert.Contains(r.Graph.Nodes, n => n.Name == "plus_zero");
        Assert.DoesNotContain(r.Graph.Nodes, n => n.Name == "times_one");
    }

    [Fact]
    public void An_identity_producing_an_output_from_an_input_is_kept()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3);
        var y = g.Reshape(x, 2, 3);
        var z = g.Relu(x, "z");
        var w = g.Reshape(z, 2, 3);
        g.Output(y, w);
        using var r = Check(g.Graph, [y, w], [new IdentityElimination()], exact: true);
        // y stays a value of its own (not the input); w's source is a plain intermediate, which becomes the output.
        Assert.Equal(2, r.Graph.Nodes.Count);
        Assert.Equal(ValueKind.Intermediate, r.Map(y).Kind);
        Assert.Same(r.Map(z), r.Map(w));
    }
}
