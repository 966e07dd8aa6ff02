using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using Tessera.Kernels;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>Common subexpression elimination and the op signatures it compares. Each test runs a graph built for the
/// pass before and after it and compares the outputs.</summary>
public class CommonSubexpressionEliminationTests
{
    [Fact]
    public void Common_subexpressions_are_merged_but_random_ops_never()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 8);
        var a1 = g.Softmax(g.Relu(x, "r1"), -1, "s1");
        var a2 = g.Softmax(g.Relu(x, "r2"), 1, "s2");  // the same axis, written as 1 and −1
        var b = g.Softmax(g.Relu(x, "r3"), 0, "s3");   // another axis: another value
        var d1 = g.Dropout(x, 0.5f, 9, "d1");
        var d2 = g.Dropout(x, 0.5f, 9, "d2");
        var y = g.Add(g.Add(a1, a2), g.Add(b, g.Add(d1, d2)), "y");
        g.Output(y);
        using var r = Check(g.Graph, [y], [new CommonSubexpressionElimination()], new OptimizationOptions { Inference = true }, exact: true);
        Assert.Equal(1, Count(r.Graph, "Relu"));
        Assert.Equal(2, Count(r.Graph, "Softmax"));
        Assert.Equal(2, Count(r.Graph, "Dropout"));
    }

    [Fact]
    public void Signatures_tell_parameters_apart()
    {
        Assert.Equal(new GemmGraphOp(new GemmParams(false, true)).Signature, new GemmGraphOp(new GemmParams(false, true)).Signature);
        Assert.NotEqual(new GemmGraphOp(new GemmParams(false, true)).Signature, new GemmGraphOp(new GemmParams(true, false)).Signature);
        Assert.NotEqual(new UnaryGraphOp(UnaryOp.Affine, new(1f, 0f)).Signature, new UnaryGraphOp(UnaryOp.Affine, new(1.0000001f, 0f)).Signature);
        Assert.NotEqual(new ReduceGraphOp(ReduceOp.Sum, [0, 1], false).Signature, new ReduceGraphOp(ReduceOp.Sum, [0, 1], true).Signature);
        Assert.NotEqual(new ReshapeGraphOp([2, 3]).Signature, new ReshapeGraphOp([3, 2]).Signature);
        Assert.Null(new DropoutGraphOp(0.5f, 1).Signature);
        Assert.Null(new BatchNormGraphOp(new BatchNormParams()).Signature);
    }
}
