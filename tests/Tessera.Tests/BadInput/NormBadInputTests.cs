using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.BadInput;

/// <summary>Bad arguments to the norm/dropout facade: the specific Tessera exception, naming the op.</summary>
public class NormBadInputTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    private static void Throws<TEx>(string op, Action act) where TEx : TesseraException
    {
        var ex = Assert.Throws<TEx>(act);
        Assert.Contains(op, ex.Message);
        Assert.Equal(op, ex.Op);
    }

    private static Tensor F(params int[] shape) => Tensor.Full(Dev, 1f, shape);

    [Fact]
    public void BatchNormRejectsRankOne()
    {
        using var x = F(8); using var c = F(8);
        Throws<TesseraShapeException>(nameof(Ops.BatchNormTraining), () => Ops.BatchNormTraining(x, c, c, c, c, new()));
    }

    [Fact]
    public void BatchNormRejectsWrongGammaShape()
    {
        using var x = F(4, 3, 5); using var c = F(3); using var g = F(4);
        Throws<TesseraShapeException>(nameof(Ops.BatchNormTraining), () => Ops.BatchNormTraining(x, g, c, c, c, new()));
        Throws<TesseraShapeException>(nameof(Ops.BatchNormInference), () => Ops.BatchNormInference(x, c, c, g, c, new()));
    }

    [Fact]
    public void BatchNormTrainingRejectsSingleValuePerChannel()
    {
        using var x = F(1, 3); using var c = F(3);
        Throws<TesseraShapeException>(nameof(Ops.BatchNormTraining), () => Ops.BatchNormTraining(x, c, c, c, c, new()));
    }

    [Fact]
    public void BatchNormRejectsInt64Input()
    {
        using var x = Tensor.Zeros(Dev, DType.Int64, 4, 3); using var c = F(3);
        Throws<TesseraDTypeException>(nameof(Ops.BatchNormTraining), () => Ops.BatchNormTraining(x, c, c, c, c, new()));
    }

    [Fact]
    public void BatchNormRejectsStridedRunningStatsAndBadMomentum()
    {
        using var x = F(4, 3); using var c = F(3); using var big = F(6);
        using var strided = big.Slice(0, 0, 6, 2);
        Throws<TesseraArgumentException>(nameof(Ops.BatchNormTraining), () => Ops.BatchNormTraining(x, c, c, strided, c, new()));
        Throws<TesseraArgumentException>(nameof(Ops.BatchNormTraining), () => Ops.BatchNormTraining(x, c, c, c, c, new(1e-5f, float.NaN)));
        Throws<TesseraArgumentException>(nameof(Ops.BatchNormInference), () => Ops.BatchNormInference(x, c, c, c, c, new(-1f)));
    }

    [Fact]
    public void BatchNormBackwardRejectsMismatchedDy()
    {
        using var x = F(4, 3); using var dy = F(4, 4); using var c = F(3);
        Throws<TesseraShapeException>(nameof(Ops.BatchNormBackward), () => Ops.BatchNormBackward(x, dy, c, c, c, new()));
    }

    [Fact]
    public void LayerNormRejectsBadAxis()
    {
        using var x = F(2, 3);
        Throws<TesseraAxisException>(nameof(Ops.LayerNorm), () => Ops.LayerNorm(x, null, null, new LayerNormParams(2)));
        Throws<TesseraAxisException>(nameof(Ops.LayerNorm), () => Ops.LayerNorm(x, null, null, new LayerNormParams(-3)));
    }

    [Fact]
    public void LayerNormRejectsWrongAffineShapeAndEmptyRows()
    {
        using var x = F(2, 3); using var g = F(2);
        Throws<TesseraShapeException>(nameof(Ops.LayerNorm), () => Ops.LayerNorm(x, g, null, new LayerNormParams(1)));
        using var e = F(2, 0);
        Throws<TesseraShapeException>(nameof(Ops.LayerNorm), () => Ops.LayerNorm(e, null, null, new LayerNormParams(1)));
    }

    [Fact]
    public void LayerNormBackwardRejectsWrongStatShape()
    {
        using var x = F(2, 3); using var m = F(3);
        Throws<TesseraShapeException>(nameof(Ops.LayerNormBackward), () => Ops.LayerNormBackward(x, x, null, m, m, new LayerNormParams(1)));
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(1.5f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    public void DropoutRejectsBadRatio(float ratio)
    {
        using var x = F(5);
        Throws<TesseraArgumentException>(nameof(Ops.Dropout), () => Ops.Dropout(x, new DropoutParams(ratio, 1)));
    }

    [Fact]
    public void DropoutRejectsDisposedInput()
    {
        var x = F(5);
        x.Dispose();
        Throws<TesseraDisposedException>(nameof(Ops.Dropout), () => Ops.Dropout(x, new DropoutParams(0.5f, 1)));
    }

    [Fact]
    public void DropoutBackwardRejectsFloatMask()
    {
        using var dy = F(5); using var mask = F(5);
        Throws<TesseraDTypeException>(nameof(Ops.DropoutBackward), () => Ops.DropoutBackward(dy, mask, new DropoutParams(0.5f, 1)));
    }
}
