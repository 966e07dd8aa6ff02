using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using Tessera.Kernels;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>Max pooling drops its argmax indices where nothing reads them, with the same pooled values; where the
/// gradient reads them (a graph that trains) they stay.</summary>
public class MaxPoolIndicesEliminationTests
{
    [Fact]
    public void Indices_nobody_reads_are_dropped_and_the_values_stay_the_same()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3, 9, 9);
        var pooled = g.MaxPool2d(x, new Pool2dParams(3, 3, 2, 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), "pool");
        var y = g.Relu(pooled, "y");
        g.Output(y);
        using var r = Check(g.Graph, [y], [new MaxPoolIndicesElimination()], new OptimizationOptions { Inference = true }, exact: true);
        var pool = Assert.Single(r.Graph.Nodes, n => n.Name == "pool");
        Assert.False(((Pool2dGraphOp)pool.Op).HasIndices);
        Assert.Single(pool.Outputs);
        Assert.Single(r.Report.ChangesOf("maxpool-indices"));
    }

    [Fact]
    public void Indices_the_gradient_reads_stay()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 1, 2, 6, 6);
        var w = g.Parameter("w", Tensor.FromArray(Dev, Enumerable.Range(0, 2 * 2 * 9).Select(i => (i % 7 - 3) / 5f).ToArray(), 2, 2, 3, 3));
        var c = g.Conv2d(x, w, null, new Conv2dParams(PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), name: "conv");
        var pooled = g.MaxPool2d(c, Pool2dParams.Square(2, 2), "pool");
        var loss = g.Loss(g.Sum(pooled, name: "loss"));
        Autodiff.AppendBackward(g, loss, [w]);
        using var r = GraphOptimizer.Optimize(g.Graph, [new MaxPoolIndicesElimination()]);
        var pool = Assert.Single(r.Graph.Nodes, n => n.Name == "pool");
        Assert.True(((Pool2dGraphOp)pool.Op).HasIndices);
        Assert.Empty(r.Report.ChangesOf("maxpool-indices"));
    }

    [Fact]
    public void A_max_pooling_without_indices_refuses_a_gradient()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 1, 1, 4, 4);
        var w = g.Parameter("w", Tensor.FromArray(Dev, new float[] { 2f }, 1, 1, 1, 1));
        var c = g.Conv2d(x, w, null, new Conv2dParams(), name: "conv");
        var pooled = g.Apply1(new Pool2dGraphOp(true, Pool2dParams.Square(2, 2), indices: false), "pool", c);
        var loss = g.Loss(g.Sum(pooled, name: "loss"));
        var e = Assert.Throws<TesseraArgumentException>(() => Autodiff.AppendBackward(g, loss, [w]));
        Assert.Contains("without its indices has no gradient", e.Message);
    }
}
