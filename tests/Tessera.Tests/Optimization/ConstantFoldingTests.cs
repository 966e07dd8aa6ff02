using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>Constant folding: nodes of constant inputs run once at optimization time, bit for bit as a run would
/// compute them. Each test runs a graph built for the pass before and after it and compares the outputs.</summary>
public class ConstantFoldingTests
{
    [Fact]
    public void Constant_subgraphs_run_once_at_optimization_time()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 3, 4);
        var w = Const(g, "w", Data(1, 12), 4, 3);
        var wt = g.Permute(w, 1, 0);                       // [3, 4]
        var scaled = g.Affine(g.Reshape(wt, 12), 2f, 1f);  // a view of a folded value, then a kernel on it
        var s = g.Reshape(scaled, 3, 4);
        var y = g.Add(x, s, "y");
        g.Output(y);
        using var r = Check(g.Graph, [y], [new ConstantFolding()], exact: true);
        Assert.Equal(["y"], r.Graph.Nodes.Select(n => n.Name).ToArray());
        var folded = r.Graph.Nodes[0].Inputs[1];
        Assert.Equal(ValueKind.Constant, folded.Kind);
        Assert.Single(r.OwnedTensors);
    }

    [Fact]
    public void Folding_is_bounded_and_leaves_a_failing_kernel_to_the_run()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var big = Const(g, "big", Data(2, 64), 64);
        var t = g.Tanh(big, "t");
        var table = Const(g, "table", Data(3, 12), 4, 3);
        var idx = g.Constant("idx", Tensor.FromArray(Dev, new long[] { 0, 7 }, 2));
        var gathered = g.Gather(table, idx, 0, "gather");
        g.Output(t, gathered);
        using var r = GraphOptimizer.Optimize(g.Graph, [new ConstantFolding()], new OptimizationOptions { MaxFoldedElements = 32 });
        Assert.Contains(r.Graph.Nodes, n => n.Name == "t");
        Assert.Contains(r.Graph.Nodes, n => n.Name == "gather");
        Assert.Empty(r.OwnedTensors);
    }
}
