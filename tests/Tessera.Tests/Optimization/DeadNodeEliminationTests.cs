using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using Tessera.Kernels;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>Dead-node elimination: nodes whose results reach no output go, nodes with side effects stay. Each test runs
/// a graph built for the pass before and after it and compares the outputs.</summary>
public class DeadNodeEliminationTests
{
    [Fact]
    public void Dead_nodes_are_removed_and_nodes_with_side_effects_kept()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3, 4);
        var y = g.Relu(x, "y");
        g.Tanh(g.Sigmoid(x, "dead1"), "dead2");
        // Batch norm whose output nobody reads: in training mode it still updates its running statistics.
        var c = Tensor.FromArray(Dev, new float[3], 3);
        g.BatchNorm(x, Const(g, "gamma", [1, 1, 1], 3), Const(g, "beta", [0, 0, 0], 3), g.State("mean", c), g.State("var", Tensor.FromArray(Dev, new float[] { 1, 1, 1 }, 3)),
            new BatchNormParams(), "bn");
        g.Output(y);
        using var r = Check(g.Graph, [y], [new DeadNodeElimination()], exact: true);
        Assert.Equal(["bn", "y"], r.Graph.Nodes.Select(n => n.Name).Order().ToArray());
        Assert.Equal(["dead1", "dead2"], r.Report.ChangesOf("dead-nodes").SelectMany(ch => ch.Nodes).Order().ToArray());
        // In inference mode batch norm has no side effect: it goes too.
        using var inference = GraphOptimizer.Optimize(g.Graph, [new DeadNodeElimination()], new OptimizationOptions { Inference = true });
        Assert.Equal(["y"], inference.Graph.Nodes.Select(n => n.Name).ToArray());
    }
}
