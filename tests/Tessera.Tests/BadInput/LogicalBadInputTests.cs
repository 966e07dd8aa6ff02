using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.BadInput;

/// <summary>Compare, Where, Not, PRelu and the ONNX support graph ops refuse bad arguments with the specific Tessera
/// exception, naming the op or the node.</summary>
public class LogicalBadInputTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    private static void AssertNames(TesseraException e, string op) => Assert.Contains(op, e.Message);

    [Fact]
    public void CompareRefusesMixedDTypes()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32, 4);
        using var b = Tensor.Zeros(Dev, DType.Int32, 4);
        var e = Assert.Throws<TesseraDTypeException>(() => Ops.Less(a, b));
        AssertNames(e, "Less");
        Assert.Contains("Int32", e.Message);
    }

    [Fact]
    public void OrderingComparisonsRefuseBool()
    {
        using var a = Tensor.Zeros(Dev, DType.Bool, 4);
        using var b = Tensor.Zeros(Dev, DType.Bool, 4);
        AssertNames(Assert.Throws<TesseraDTypeException>(() => Ops.Greater(a, b)), "Greater");
        using var eq = Ops.Equal(a, b);   // Equal takes Bool
        Assert.Equal(new byte[] { 1, 1, 1, 1 }, eq.ToArray<byte>());
    }

    [Fact]
    public void CompareRefusesShapesThatDoNotBroadcast()
    {
        using var a = Tensor.Zeros(Dev, DType.Int64, 3, 4);
        using var b = Tensor.Zeros(Dev, DType.Int64, 5);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.Equal(a, b)), "Equal");
    }

    [Fact]
    public void WhereRefusesNonBoolCondition()
    {
        using var c = Tensor.Zeros(Dev, DType.UInt8, 4);
        using var a = Tensor.Zeros(Dev, DType.Float32, 4);
        var e = Assert.Throws<TesseraDTypeException>(() => Ops.Where(c, a, a));
        AssertNames(e, "Where");
        Assert.Contains("cond", e.Message);
    }

    [Fact]
    public void WhereRefusesMismatchedOrUnsupportedBranches()
    {
        using var c = Tensor.Zeros(Dev, DType.Bool, 4);
        using var a = Tensor.Zeros(Dev, DType.Float32, 4);
        using var b = Tensor.Zeros(Dev, DType.Int64, 4);
        using var u = Tensor.Zeros(Dev, DType.UInt8, 4);
        AssertNames(Assert.Throws<TesseraDTypeException>(() => Ops.Where(c, a, b)), "Where");
        AssertNames(Assert.Throws<TesseraDTypeException>(() => Ops.Where(c, u, u)), "Where");
    }

    [Fact]
    public void WhereRefusesShapesThatDoNotBroadcast()
    {
        using var c = Tensor.Zeros(Dev, DType.Bool, 3, 1);
        using var a = Tensor.Zeros(Dev, DType.Float32, 4);
        using var b = Tensor.Zeros(Dev, DType.Float32, 2, 1, 5);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.Where(c, a, b)), "Where");
    }

    [Fact]
    public void WhereBackwardRefusesAWrongGradientShape()
    {
        using var c = Tensor.Zeros(Dev, DType.Bool, 3, 1);
        using var dc = Tensor.Zeros(Dev, DType.Float32, 3, 5);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.WhereBackward(c, dc, new Shape(new[] { 4 }), new Shape(new[] { 4 }))), "WhereBackward");
    }

    [Fact]
    public void NotRefusesFloat()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 4);
        AssertNames(Assert.Throws<TesseraDTypeException>(() => Ops.LogicalNot(x)), "Not");
    }

    [Fact]
    public void PReluRefusesASlopeThatDoesNotBroadcastToX()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 3);
        using var s = Tensor.Zeros(Dev, DType.Float32, 2, 3);   // would broadcast both ways, not to x
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.PRelu(x, s)), "PRelu");
        using var xi = Tensor.Zeros(Dev, DType.Int64, 3);
        using var si = Tensor.Zeros(Dev, DType.Float32, 3);
        AssertNames(Assert.Throws<TesseraDTypeException>(() => Ops.PRelu(xi, si)), "PRelu");
    }

    [Fact]
    public void CompareRefusesDisposedInput()
    {
        var a = Tensor.Zeros(Dev, DType.Float32, 4);
        using var b = Tensor.Zeros(Dev, DType.Float32, 4);
        a.Dispose();
        Assert.Throws<TesseraDisposedException>(() => Ops.Less(a, b));
    }

    [Fact]
    public void GraphOpsNameTheNodeOnBadDTypes()
    {
        var g = new GraphBuilder();
        var f = g.Input("f", DType.Float32, 4);
        var i = g.Input("i", DType.Int64, 4);
        AssertNames(Assert.Throws<TesseraDTypeException>(() => g.Where(f, f, f, "sel1")), "sel1");
        AssertNames(Assert.Throws<TesseraDTypeException>(() => g.LogicalNot(f, "not1")), "not1");
        AssertNames(Assert.Throws<TesseraDTypeException>(() => g.Compare(CompareOp.Less, f, i, "lt1")), "lt1");
        AssertNames(Assert.Throws<TesseraDTypeException>(() => g.ArgMax(i, 0, name: "am1")), "am1");
        AssertNames(Assert.Throws<TesseraShapeException>(() => g.PRelu(f, g.Input("s", DType.Float32, 2, 4), "pr1")), "pr1");
    }

    [Fact]
    public void SplitAndPadNameTheNodeOnBadArguments()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 4, 6);
        AssertNames(Assert.Throws<TesseraShapeException>(() => g.Split(x, 1, new[] { 2, 3 }, "split1")), "split1");
        AssertNames(Assert.Throws<TesseraArgumentException>(() => g.Split(x, 1, new[] { 7, -1 }, "split2")), "split2");
        AssertNames(Assert.Throws<TesseraAxisException>(() => g.Split(x, 2, new[] { 4 }, "split3")), "split3");
        AssertNames(Assert.Throws<TesseraArgumentException>(() => g.Pad(x, new PadParams(new[] { 1, 1 }), "pad1")), "pad1");
        var xi = g.Input("xi", DType.Int32, 4);
        AssertNames(Assert.Throws<TesseraArgumentException>(() => g.Pad(xi, new PadParams(new[] { 1, 1 }, PadMode.Constant, float.NaN), "pad2")), "pad2");
    }

    [Fact]
    public void OptimizerGraphOpsCheckTheirInputs()
    {
        var g = new GraphBuilder();
        var r = g.Input("R", DType.Float32);
        var t = g.Input("T", DType.Int64);
        var t32 = g.Input("T32", DType.Int32);
        var x = g.Input("x", DType.Float32, 3);
        var x4 = g.Input("x4", DType.Float32, 4);
        var p = new AdamParams(0f, Mode: OptimizerMode.DecayedRate);
        AssertNames(Assert.Throws<TesseraArgumentException>(() => g.AdamStep(r, t, new[] { x, x, x }, p, "adam1")), "adam1");
        AssertNames(Assert.Throws<TesseraDTypeException>(() => g.AdamStep(r, t32, new[] { x, x, x, x }, p, "adam2")), "adam2");
        AssertNames(Assert.Throws<TesseraShapeException>(() => g.AdamStep(r, t, new[] { x, x4, x, x }, p, "adam3")), "adam3");
        AssertNames(Assert.Throws<TesseraArgumentException>(() => g.AdamStep(r, t, new[] { x, x, x, x }, p with { Beta1 = 1.5f }, "adam4")), "adam4");
        AssertNames(Assert.Throws<TesseraDTypeException>(() => g.MomentumStep(x, t, new[] { x, x, x }, new MomentumParams(0f), "mom1")), "mom1");
    }

    [Fact]
    public void OptimizerGraphOpRefusesANegativeLearningRateAtRunTime()
    {
        var g = new GraphBuilder();
        var r = g.Input("R", DType.Float32);
        var t = g.Input("T", DType.Int64);
        var xs = new[] { g.Input("X", DType.Float32, 3), g.Input("G", DType.Float32, 3), g.Input("V", DType.Float32, 3) };
        g.Output(g.MomentumStep(r, t, xs, new MomentumParams(0f, Mode: OptimizerMode.DecayedRate), "mom2"));
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        plan.Input("R").CopyFrom<float>(new[] { -0.1f });
        plan.Input("T").CopyFrom<long>(new[] { 0L });
        AssertNames(Assert.Throws<TesseraArgumentException>(() => plan.Run()), "mom2");
        plan.Input("R").CopyFrom<float>(new[] { 0.1f });
        plan.Input("T").CopyFrom<long>(new[] { -1L });
        AssertNames(Assert.Throws<TesseraArgumentException>(() => plan.Run()), "mom2");
    }
}
