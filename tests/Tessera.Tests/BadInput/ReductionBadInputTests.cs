using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.BadInput;

/// <summary>Reductions, softmax and losses refuse bad arguments with the specific Tessera exception, naming the op.</summary>
public class ReductionBadInputTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    private static void AssertNames(TesseraException e, string op) => Assert.Contains(op, e.Message);

    [Fact]
    public void SumRefusesAxisOutOfRange()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        AssertNames(Assert.Throws<TesseraAxisException>(() => Ops.Sum(x, new[] { 2 })), "Sum");
    }

    [Fact]
    public void MeanRefusesRepeatedAxis()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        AssertNames(Assert.Throws<TesseraAxisException>(() => Ops.Mean(x, new[] { 1, -1 })), "Mean");
    }

    [Fact]
    public void MaxRefusesEmptyReduction()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 3, 0);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.Max(x, new[] { 1 })), "Max");
    }

    [Fact]
    public void SoftmaxRefusesDisposedTensor()
    {
        var x = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        x.Dispose();
        AssertNames(Assert.Throws<TesseraDisposedException>(() => Ops.Softmax(x)), "Softmax");
    }

    [Fact]
    public void SoftmaxBackwardRefusesMismatchedShapes()
    {
        using var y = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        using var dy = Tensor.Zeros(Dev, DType.Float32, 4, 3);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.SoftmaxBackward(y, dy)), "SoftmaxBackward");
    }

    [Fact]
    public void ArgMaxRefusesEmptyAxis()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 0, 4);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.ArgMax(x, 0)), "ArgMax");
    }

    [Fact]
    public void CrossEntropyRefusesTargetOfWrongLength()
    {
        using var logits = Tensor.Zeros(Dev, DType.Float32, 4, 3);
        using var target = Tensor.Zeros(Dev, DType.Int64, 5);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.CrossEntropy(logits, target)), "CrossEntropy");
    }

    [Fact]
    public void CrossEntropyRefusesInt32Targets()
    {
        using var logits = Tensor.Zeros(Dev, DType.Float32, 4, 3);
        using var target = Tensor.Zeros(Dev, DType.Int32, 4);
        AssertNames(Assert.Throws<TesseraDTypeException>(() => Ops.CrossEntropy(logits, target)), "CrossEntropy");
    }

    [Fact]
    public void CrossEntropyRefusesClassIndexOutOfRange()
    {
        using var logits = Tensor.Zeros(Dev, DType.Float32, 2, 3);
        using var target = Tensor.FromArray(Dev, new long[] { 1, 3 }, 2);
        AssertNames(Assert.Throws<TesseraArgumentException>(() => Ops.CrossEntropy(logits, target)), "CrossEntropy");
        using var negative = Tensor.FromArray(Dev, new long[] { -1, 0 }, 2);
        AssertNames(Assert.Throws<TesseraArgumentException>(() => Ops.CrossEntropy(logits, negative)), "CrossEntropy");
    }

    [Fact]
    public void CrossEntropyRefusesLabelSmoothingOutsideUnitInterval()
    {
        using var logits = Tensor.Zeros(Dev, DType.Float32, 2, 3);
        using var target = Tensor.FromArray(Dev, new long[] { 1, 2 }, 2);
        AssertNames(Assert.Throws<TesseraArgumentException>(() => Ops.CrossEntropy(logits, target, new CrossEntropyParams(LabelSmoothing: 1.5f))), "CrossEntropy");
    }

    [Fact]
    public void CrossEntropyBackwardRefusesLossGradientOfWrongShape()
    {
        using var logits = Tensor.Zeros(Dev, DType.Float32, 2, 3);
        using var target = Tensor.FromArray(Dev, new long[] { 1, 2 }, 2);
        using var dloss = Tensor.Zeros(Dev, DType.Float32, 2);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.CrossEntropyBackward(logits, target, dloss)), "CrossEntropyBackward");
    }

    [Fact]
    public void MseLossRefusesDifferentShapes()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        using var b = Tensor.Zeros(Dev, DType.Float32, 4);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.MseLoss(a, b)), "MseLoss");
    }

    [Fact]
    public void GlobalAvgPoolRefusesRank3()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 2, 3, 4);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.GlobalAvgPool2d(x)), "GlobalAvgPool2d");
    }
}
