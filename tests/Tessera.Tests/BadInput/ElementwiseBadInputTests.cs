using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.BadInput;

/// <summary>Element-wise ops refuse bad arguments with the specific Tessera exception, naming the op.</summary>
public class ElementwiseBadInputTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    private static void AssertNames(TesseraException e, string op) => Assert.Contains(op, e.Message);

    [Fact]
    public void AddRefusesShapesThatDoNotBroadcast()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        using var b = Tensor.Zeros(Dev, DType.Float32, 5);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.Add(a, b)), "Add");
    }

    [Fact]
    public void ReluRefusesInt64()
    {
        using var x = Tensor.Zeros(Dev, DType.Int64, 4);
        AssertNames(Assert.Throws<TesseraDTypeException>(() => Ops.Relu(x)), "Relu");
    }

    [Fact]
    public void MulRefusesDisposedInput()
    {
        var a = Tensor.Zeros(Dev, DType.Float32, 4);
        using var b = Tensor.Zeros(Dev, DType.Float32, 4);
        a.Dispose();
        AssertNames(Assert.Throws<TesseraDisposedException>(() => Ops.Mul(a, b)), "Mul");
    }

    [Fact]
    public void ClampRefusesReversedBounds()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 4);
        AssertNames(Assert.Throws<TesseraArgumentException>(() => Ops.Clamp(x, 1f, -1f)), "Clamp");
    }

    [Fact]
    public void LeakyReluRefusesNaNSlope()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 4);
        AssertNames(Assert.Throws<TesseraArgumentException>(() => Ops.LeakyRelu(x, float.NaN)), "LeakyRelu");
    }

    [Fact]
    public void UnaryBackwardRefusesMismatchedGradient()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 4, 3);
        using var dy = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.UnaryBackward(UnaryOp.Tanh, x, null, dy)), "TanhBackward");
    }

    [Fact]
    public void BinaryBackwardRefusesGradientOfWrongShape()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        using var b = Tensor.Zeros(Dev, DType.Float32, 4);
        using var dc = Tensor.Zeros(Dev, DType.Float32, 4);
        AssertNames(Assert.Throws<TesseraShapeException>(() => Ops.BinaryBackward(BinaryOp.Mul, a, b, dc)), "MulBackward");
    }

    [Fact]
    public void NullInputIsAnArgumentError()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32, 3);
        AssertNames(Assert.Throws<TesseraArgumentException>(() => Ops.Sub(a, null!)), "Sub");
    }
}
