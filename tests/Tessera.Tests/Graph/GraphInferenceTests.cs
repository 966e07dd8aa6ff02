using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Operators;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Graph;

/// <summary>Graph inference is pure: an op whose parameters depend on its inputs' ranks (negative axes) keeps nothing
/// from inferring one node, so one op object serves nodes of different ranks, and each node runs with its own
/// resolved parameters (the results equal the eager ops').</summary>
public class GraphInferenceTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    [Fact]
    public void OneOpObjectServesNodesOfDifferentRanks()
    {
        var layerNorm = new LayerNormGraphOp(-1, 1e-5f);
        var sum = new ReduceGraphOp(ReduceOp.Sum, new[] { -1 }, keepDims: false);
        var softmax = new SoftmaxGraphOp(-1, log: false);
        var g = new GraphBuilder();
        var x2 = g.Input("x2", DType.Float32, 2, 3);
        var x3 = g.Input("x3", DType.Float32, 2, 3, 4);
        var g2 = g.Input("g2", DType.Float32, 3);
        var g3 = g.Input("g3", DType.Float32, 4);
        var ln2 = g.Apply(layerNorm, "ln2", x2, g2, g2)[0];
        var ln3 = g.Apply(layerNorm, "ln3", x3, g3, g3)[0];
        var s2 = g.Apply1(sum, "s2", x2);
        var s3 = g.Apply1(sum, "s3", x3);
        var p2 = g.Apply1(softmax, "p2", x2);
        var p3 = g.Apply1(softmax, "p3", x3);
        g.Output(ln2, ln3, s2, s3, p2, p3);
        Assert.Equal(new Shape(2), s2.Shape);
        Assert.Equal(new Shape(2, 3), s3.Shape);
        // The op objects given to the builder are unchanged; the nodes hold them resolved for their ranks.
        Assert.Equal(-1, layerNorm.Params.Axis);
        Assert.Equal(1, ((LayerNormGraphOp)ln2.Producer!.Op).Params.Axis);
        Assert.Equal(2, ((LayerNormGraphOp)ln3.Producer!.Op).Params.Axis);

        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        var a = Rand.Uniform(1, new[] { 2, 3 }).ToFloats();
        var b = Rand.Uniform(2, new[] { 2, 3, 4 }).ToFloats();
        var ga = Rand.Uniform(3, new[] { 3 }).ToFloats();
        var gb = Rand.Uniform(4, new[] { 4 }).ToFloats();
        plan.Input("x2").CopyFrom<float>(a);
        plan.Input("x3").CopyFrom<float>(b);
        plan.Input("g2").CopyFrom<float>(ga);
        plan.Input("g3").CopyFrom<float>(gb);
        plan.Run();

        using var scope = TensorScope.Begin();
        var ea = Tensor.FromArray(Dev, a, 2, 3);
        var eb = Tensor.FromArray(Dev, b, 2, 3, 4);
        var ega = Tensor.FromArray(Dev, ga, 3);
        var egb = Tensor.FromArray(Dev, gb, 4);
        Assert.Equal(Ops.LayerNorm(ea, ega, ega, new LayerNormParams(-1)).Y.ToArray<float>(), plan[ln2].ToArray<float>());
        Assert.Equal(Ops.LayerNorm(eb, egb, egb, new LayerNormParams(-1)).Y.ToArray<float>(), plan[ln3].ToArray<float>());
        Assert.Equal(Ops.Sum(ea, [-1]).ToArray<float>(), plan[s2].ToArray<float>());
        Assert.Equal(Ops.Sum(eb, [-1]).ToArray<float>(), plan[s3].ToArray<float>());
        Assert.Equal(Ops.Softmax(ea).ToArray<float>(), plan[p2].ToArray<float>());
        Assert.Equal(Ops.Softmax(eb).ToArray<float>(), plan[p3].ToArray<float>());
    }

    [Fact]
    public void InferringTwiceGivesTheSameSpecsAndChangesNothing()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 4, 5, 6);
        var op = new ArgMaxGraphOp(-2, keepDims: true);
        var first = op.Infer("am", new[] { x });
        var second = op.Infer("am", new[] { x });
        Assert.Equal(first, second);
        Assert.Equal(new TensorSpec(new Shape(4, 1, 6), DType.Int64), first[0]);
        var resolved = op.Resolve("am", new[] { x });
        Assert.NotSame(op, resolved);
        Assert.Equal("ArgMax[axis 1, keepdims]", resolved.Describe());
        Assert.Equal("ArgMax[axis -2, keepdims]", op.Describe());
        Assert.Same(resolved, resolved.Resolve("am", new[] { x }));
    }

    [Fact]
    public void NodesOutputsAndLossTakeOnlyValuesOfTheirOwnGraph()
    {
        var other = new GraphBuilder();
        var foreign = other.Input("x", DType.Float32, 1);
        var g = new GraphBuilder();
        var own = g.Input("x", DType.Float32, 1);
        Assert.Contains("belongs to another graph", Assert.Throws<TesseraArgumentException>(() => g.Relu(foreign)).Message);
        Assert.Contains("GraphBuilder.Output", Assert.Throws<TesseraArgumentException>(() => g.Output(own, foreign)).Message);
        Assert.Contains("GraphBuilder.Loss", Assert.Throws<TesseraArgumentException>(() => g.Loss(foreign)).Message);
        Assert.False(own.IsOutput, "a refused call marks nothing");
        Assert.Same(own, g.Loss(own));
        Assert.True(own.IsLoss);
    }
}
