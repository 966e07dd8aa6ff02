using Tessera.Graph;
using Tessera.Graph.Nn;
using Tessera.Graph.Optimization;
using Tessera.Graph.Training;
using Tessera.Kernels;
using Tessera.Tests.Support;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>The optimizer as a whole: levels, reports, the value map, switching passes off, the checks that keep a
/// pass from producing another computation, and graphs that train.</summary>
public class GraphOptimizerTests
{
    [Fact]
    public void Levels_select_their_passes_in_order()
    {
        Assert.Empty(GraphOptimizer.Passes(OptimizationLevel.None));
        var basic = GraphOptimizer.Passes(OptimizationLevel.Basic);
        Assert.Equal(["identity", "constant-folding", "cse", "maxpool-indices", "dead-nodes"], basic.Select(p => p.Name).ToArray());
        Assert.All(basic, p => Assert.True(p.Exact));
        var all = GraphOptimizer.Passes(OptimizationLevel.All);
        Assert.Equal(GraphOptimizer.AllPasses.Count, all.Count);
        Assert.Equal(all.Count, all.Select(p => p.Name).Distinct().Count());
    }

    [Fact]
    public void None_returns_the_graph_as_it_is()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 3);
        var y = g.Reshape(g.Relu(x), 3);
        g.Output(y);
        using var r = GraphOptimizer.Optimize(g.Graph, OptimizationLevel.None);
        Assert.Same(g.Graph, r.Graph);
        Assert.Same(y, r.Map(y));
        Assert.Empty(r.Report.Passes);
    }

    [Fact]
    public void The_source_graph_is_not_changed_and_values_map_to_the_new_graph()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 4);
        var h = g.Reshape(g.Relu(x, "h"), 2, 4);
        var t = g.Tanh(Const(g, "c", Data(1, 4), 4));
        var y = g.Add(h, g.Affine(t, 2f), "y");
        g.Output(y);
        int nodes = g.Graph.Nodes.Count;
        using var r = Check(g.Graph, [y], GraphOptimizer.Passes(OptimizationLevel.All), exact: true);
        Assert.Equal(nodes, g.Graph.Nodes.Count);
        Assert.Equal(["h", "y"], r.Graph.Nodes.Select(n => n.Name).ToArray());
        Assert.Equal(ValueKind.Input, r.Map(x).Kind);
        Assert.Same(r.Map(h.Producer!.Inputs[0]), r.Map(h));
        Assert.Equal(ValueKind.Constant, r.Map(y.Producer!.Inputs[1]).Kind);   // the folded affine
        Assert.Null(r.TryMap(t));                                               // folded into it
        var e = Assert.Throws<TesseraArgumentException>(() => r.Map(t));
        Assert.Contains("removed by the optimizer", e.Message);
        var other = new GraphBuilder().Input("x", DType.Float32, 2, 4);
        Assert.Throws<TesseraArgumentException>(() => r.Map(other));
        string text = r.Report.Describe(details: true);
        Assert.Contains("identity", text);
        Assert.Contains("constant-folding", text);
        Assert.Equal(5, r.Report.NodesBefore);
        Assert.Equal(2, r.Report.NodesAfter);
    }

    [Fact]
    public void Disabled_passes_do_not_run()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 4);
        var y = g.Reshape(x, 2, 2);
        var z = g.Reshape(y, 4);
        g.Output(g.Relu(z, "out"));
        using var r = GraphOptimizer.Optimize(g.Graph, OptimizationLevel.All,
            new OptimizationOptions { Disabled = ["identity", "transpose-reshape"] });
        Assert.Equal(3, r.Graph.Nodes.Count);
        Assert.Equal("disabled", r.Report.NotRun["identity"]);
        var e = Assert.Throws<TesseraArgumentException>(() => GraphOptimizer.Optimize(g.Graph, OptimizationLevel.All,
            new OptimizationOptions { Disabled = ["identiy"] }));
        Assert.Contains("no pass is named 'identiy'", e.Message);
    }

    /// <summary>A pass that removes a node whose result is still read: the rewriter refuses it.</summary>
    private sealed class BrokenPass : GraphPass
    {
        public override string Name => "broken";
        public override OptimizationLevel Level => OptimizationLevel.Basic;
        public override void Run(GraphRewriter rewriter) => rewriter.Remove(rewriter.Graph.Nodes[0]);
    }

    /// <summary>A pass that replaces a value by one of another shape.</summary>
    private sealed class ReshapingPass : GraphPass
    {
        public override string Name => "reshaping";
        public override OptimizationLevel Level => OptimizationLevel.Basic;
        public override void Run(GraphRewriter rewriter)
        {
            var n = rewriter.Graph.Nodes[0];
            rewriter.Replace([n], n.Outputs, e => [e.Builder.Reshape(e[n.Inputs[0]], 4)], "broken");
        }
    }

    [Fact]
    public void A_pass_cannot_drop_a_value_that_is_read_or_change_a_shape()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 2);
        g.Output(g.Tanh(g.Relu(x, "r"), "t"));
        var e = Assert.Throws<TesseraException>(() => GraphOptimizer.Optimize(g.Graph, [new BrokenPass()]));
        Assert.Contains("still reads", e.Message);
        e = Assert.Throws<TesseraException>(() => GraphOptimizer.Optimize(g.Graph, [new ReshapingPass()]));
        Assert.Contains("another shape", e.Message);
    }

    /// <summary>A small CNN with batch norm, layer norm, dropout and identities for the exact passes to remove.</summary>
    private static Sequential Model(Tessera.Cpu.CpuDevice dev, List<Tensor> owned)
    {
        var init = new Initializer(5);
        var one = Tensor.FromArray(dev, new float[] { 1f }, 1);
        owned.Add(one);
        return new Sequential(
            new Conv2d(dev, init, 1, 4, 3, padding: 1),
            new BatchNorm2d(dev, 4),
            new Lambda((g, v) => g.Mul(g.Relu(v), g.Constant("one", one))),
            new MaxPool2d(2, 2),
            new Lambda((g, v) => g.Reshape(g.Reshape(v, v.Shape[0], 4 * 4 * 4), v.Shape[0], 64)),
            new LayerNorm(dev, 64),
            new Dropout(0.25f, 11),
            new Linear(dev, init, 64, 10));
    }

    [Fact]
    public void A_graph_that_trains_trains_bit_for_bit_as_before()
    {
        using var dev = new Tessera.Cpu.CpuDevice();
        var owned = new List<Tensor>();
        using var modelA = Model(dev, owned);
        using var modelB = Model(dev, owned);
        using var optA = new Adam(new LearningRateSchedule.Constant(1e-2));
        using var optB = new Adam(new LearningRateSchedule.Constant(1e-2));
        using var plain = new Trainer(modelA, dev, 8, [1, 8, 8], optA);
        using var optimized = new Trainer(modelB, dev, 8, [1, 8, 8], optB, optimization: OptimizationLevel.All);
        Assert.True(optimized.Graph.Nodes.Count < plain.Graph.Nodes.Count, $"{optimized.Graph.Nodes.Count} vs {plain.Graph.Nodes.Count} nodes");
        var x = Rand.Uniform(3, [8 * 64]).ToFloats();
        var y = Enumerable.Range(0, 8).Select(i => (long)(i % 10)).ToArray();
        for (int step = 0; step < 4; step++)
            Assert.Equal(BitConverter.SingleToInt32Bits(plain.Step(x, y)), BitConverter.SingleToInt32Bits(optimized.Step(x, y)));
        foreach (var (a, b) in modelA.Parameters().Zip(modelB.Parameters()))
            Assert.Equal(a.Tensor.ToArray<float>(), b.Tensor.ToArray<float>());
        foreach (var (a, b) in modelA.State().Zip(modelB.State()))
            Assert.Equal(a.Tensor.ToArray<float>(), b.Tensor.ToArray<float>());
        // Inference plans (no loss) get every pass; the logits agree within rounding.
        AssertClose(plain.Predict(x, 8).ToArray<float>(), optimized.Predict(x, 8).ToArray<float>(), 1e-4);
        foreach (var t in owned) t.Dispose();
    }

    [Fact]
    public void Graphs_that_train_are_recognised_and_get_exact_passes_only()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 4, 3);
        var w = g.Parameter("w", Tensor.FromArray(Dev, Data(1, 9), 3, 3));
        var y = g.MatMul(x, w);
        Assert.False(GraphOptimizer.Trains(g.Graph));
        var loss = g.Loss(g.Sum(y));
        Assert.True(GraphOptimizer.Trains(g.Graph));
        Autodiff.AppendBackward(g, loss, [w]);
        Assert.True(g.Graph.HasBackward);
        using var r = GraphOptimizer.Optimize(g.Graph, OptimizationLevel.All);
        Assert.True(r.Report.Training);
        Assert.True(r.Graph.HasBackward);
        Assert.All(GraphOptimizer.Passes(OptimizationLevel.All).Where(p => !p.Exact), p => Assert.Contains(p.Name, r.Report.NotRun.Keys));
        var bn = new GraphBuilder();
        var bx = bn.Input("x", DType.Float32, 2, 3);
        var c = Tensor.FromArray(Dev, new float[3], 3);
        bn.Output(bn.BatchNorm(bx, bn.State("g", c), bn.State("b", c), bn.State("m", c), bn.State("v", c), new BatchNormParams()));
        Assert.True(GraphOptimizer.Trains(bn.Graph));
        Assert.False(GraphOptimizer.Trains(bn.Graph, new OptimizationOptions { Inference = true }));
    }
}
