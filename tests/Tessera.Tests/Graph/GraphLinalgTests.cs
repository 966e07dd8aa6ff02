using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Graph;

/// <summary>The graph's MatMul, Gemm and ExpandBackward compute what the eager ops of the same names compute, forward
/// and (through autodiff) backward.</summary>
public class GraphLinalgTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    private static void Close(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[i]), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>Runs <paramref name="build"/> on inputs of the given shapes (random data), with loss = Σ y·w for a random
    /// w; returns the inputs and w as eager tensors (in the caller's scope), y and the gradient of every input.</summary>
    private static (Tensor[] X, Tensor W, float[] Y, float[][] Grads) Run(Func<GraphBuilder, Value[], Value> build, params int[][] shapes)
    {
        var g = new GraphBuilder();
        var inputs = shapes.Select((s, i) => g.Input($"x{i}", DType.Float32, s)).ToArray();
        var y = build(g, inputs);
        var wData = Rand.Uniform(99, y.Shape.ToArray()).ToFloats();
        var xData = shapes.Select((s, i) => Rand.Uniform(i + 1, s).ToFloats()).ToArray();
        float[] yOut;
        float[][] grads;
        using (var w = Tensor.FromArray(Dev, wData, y.Shape.ToArray()))
        {
            var loss = g.Loss(g.Sum(g.Mul(y, g.Constant("w", w)), Array.Empty<int>()));
            var dx = Autodiff.AppendBackward(g, loss, inputs);
            g.Output(y);
            using var plan = ExecutionPlan.Compile(g.Graph, Dev);
            for (int i = 0; i < shapes.Length; i++) plan.Input($"x{i}").CopyFrom<float>(xData[i]);
            plan.Run();
            yOut = plan[y].ToArray<float>();
            grads = inputs.Select(v => plan[dx[v]].ToArray<float>()).ToArray();
        }
        var x = shapes.Select((s, i) => Tensor.FromArray(Dev, xData[i], s)).ToArray();
        return (x, Tensor.FromArray(Dev, wData, y.Shape.ToArray()), yOut, grads);
    }

    public static TheoryData<int[], int[]> MatMulShapes() => new()
    {
        { [3], [3, 4] }, { [2, 3], [3] }, { [3], [3] }, { [2, 2, 3], [2, 3, 4] }, { [5, 3], [3, 2] },
    };

    [Theory]
    [MemberData(nameof(MatMulShapes))]
    public void MatMulIsTheEagerMatMul(int[] aShape, int[] bShape)
    {
        using var scope = TensorScope.Begin();
        var (x, w, y, grads) = Run((g, v) => g.MatMul(v[0], v[1], "mm"), aShape, bShape);
        var expected = Ops.MatMul(x[0], x[1]);
        Close(expected.ToArray<float>(), y, "y");
        var (da, db) = Ops.MatMulBackward(x[0], x[1], w);
        Close(da.ToArray<float>(), grads[0], "da");
        Close(db.ToArray<float>(), grads[1], "db");
    }

    [Theory]
    [InlineData(new[] { 4, 3 }, new[] { 5, 3 }, new[] { 4, 1 })]   // rows broadcast over a, b transposed
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 3, 5 }, new[] { 5 })]  // batched, a transposed
    public void GemmIsTheEagerGemm(int[] aShape, int[] bShape, int[] biasShape)
    {
        // Beta scales a given output in the eager op; neither the eager op without one nor the graph node uses it.
        var p = new GemmParams(TransA: aShape.Length == 3, TransB: aShape.Length == 2, Alpha: 0.75f, Beta: 2f);
        using var scope = TensorScope.Begin();
        var (x, w, y, grads) = Run((g, v) => g.Gemm(v[0], v[1], v[2], p, "gemm"), aShape, bShape, biasShape);
        Close(Ops.Gemm(x[0], x[1], x[2], p).ToArray<float>(), y, "y");
        // d op(a), d op(b) are the matmul gradients of α·op(a)·op(b); the bias gradient undoes its broadcast.
        var opA = p.TransA ? Ops.Transpose(x[0]) : x[0];
        var opB = p.TransB ? Ops.Transpose(x[1]) : x[1];
        var (dOpA, dOpB) = Ops.MatMulBackward(opA, opB, Ops.Affine(w, p.Alpha));
        Close(Ops.Copy(p.TransA ? Ops.Transpose(dOpA) : dOpA).ToArray<float>(), grads[0], "da");
        Close(Ops.Copy(p.TransB ? Ops.Transpose(dOpB) : dOpB).ToArray<float>(), grads[1], "db");
        Close(Ops.ExpandBackward(w, x[2].Shape).ToArray<float>(), grads[2], "dbias");
    }

    [Fact]
    public void ExpandBackwardIsTheEagerExpandBackward()
    {
        var g = new GraphBuilder();
        var dy = g.Input("dy", DType.Float32, 2, 3, 4);
        var dx = g.ExpandBackward(dy, new Shape(3, 1), "sum");
        Assert.Same(dy, g.ExpandBackward(dy, dy.Shape));   // nothing to undo
        g.Output(dx);
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        var data = Rand.Uniform(5, new[] { 2, 3, 4 }).ToFloats();
        plan.Input("dy").CopyFrom<float>(data);
        plan.Run();
        using var eager = Tensor.FromArray(Dev, data, 2, 3, 4);
        using var expected = Ops.ExpandBackward(eager, new Shape(3, 1));
        Assert.Equal(expected.Shape, dx.Shape);
        Close(expected.ToArray<float>(), plan[dx].ToArray<float>(), "dx");
    }
}
