using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.BadInput;

/// <summary>Bad arguments to the linear-algebra facade raise the specific Tessera exception naming the op.</summary>
public class LinalgBadInputTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    /// <summary>Asserts that <paramref name="act"/> throws exactly <typeparamref name="T"/> naming <paramref name="op"/>.</summary>
    internal static void Throws<T>(string op, Action act) where T : TesseraException
    {
        var e = Assert.Throws<T>(act);
        Assert.Equal(op, e.Op);
        Assert.StartsWith(op + ":", e.Message);
    }

    [Fact]
    public void GemmInnerDimensionMismatch()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        using var b = Tensor.Zeros(Dev, DType.Float32, 5, 6);
        Throws<TesseraShapeException>("Gemm", () => Ops.Gemm(a, b, null, new GemmParams()));
        // With TransB, b [6, 4] fits.
        using var bt = Tensor.Zeros(Dev, DType.Float32, 6, 4);
        using var ok = Ops.Gemm(a, bt, null, new GemmParams(TransB: true));
        Assert.Equal(new Shape(3, 6), ok.Shape);
    }

    [Fact]
    public void GemmBatchDimensionsDoNotBroadcast()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32, 2, 3, 4);
        using var b = Tensor.Zeros(Dev, DType.Float32, 3, 4, 5);
        Throws<TesseraShapeException>("Gemm", () => Ops.Gemm(a, b, null, new GemmParams()));
    }

    [Fact]
    public void GemmBiasNotBroadcastable()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        using var b = Tensor.Zeros(Dev, DType.Float32, 4, 5);
        using var bias = Tensor.Zeros(Dev, DType.Float32, 4);
        Throws<TesseraShapeException>("Gemm", () => Ops.Gemm(a, b, bias, new GemmParams()));
    }

    [Fact]
    public void GemmOutputWrongShapeOrAliased()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32, 3, 3);
        using var b = Tensor.Zeros(Dev, DType.Float32, 3, 3);
        using var c = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        Throws<TesseraShapeException>("Gemm", () => Ops.Gemm(a, b, null, new GemmParams(), c));
        Throws<TesseraArgumentException>("Gemm", () => Ops.Gemm(a, b, null, new GemmParams(), a));
    }

    [Fact]
    public void MatMulWrongDType()
    {
        using var a = Tensor.Zeros(Dev, DType.Int64, 3, 4);
        using var b = Tensor.Zeros(Dev, DType.Float32, 4, 5);
        Throws<TesseraDTypeException>("MatMul", () => Ops.MatMul(a, b));
    }

    [Fact]
    public void MatMulScalarOperand()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32);
        using var b = Tensor.Zeros(Dev, DType.Float32, 4, 5);
        Throws<TesseraShapeException>("MatMul", () => Ops.MatMul(a, b));
    }

    [Fact]
    public void MatMulDisposedInput()
    {
        var a = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        using var b = Tensor.Zeros(Dev, DType.Float32, 4, 5);
        a.Dispose();
        Throws<TesseraDisposedException>("MatMul", () => Ops.MatMul(a, b));
    }

    [Fact]
    public void LinearWeightShape()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 2, 4);
        using var w3 = Tensor.Zeros(Dev, DType.Float32, 1, 5, 4);
        using var w = Tensor.Zeros(Dev, DType.Float32, 5, 3);
        using var wOk = Tensor.Zeros(Dev, DType.Float32, 5, 4);
        using var bias = Tensor.Zeros(Dev, DType.Float32, 4);
        Throws<TesseraShapeException>("Linear", () => Ops.Linear(x, w3));
        Throws<TesseraShapeException>("Linear", () => Ops.Linear(x, w));
        Throws<TesseraShapeException>("Linear", () => Ops.Linear(x, wOk, bias));
    }

    [Fact]
    public void BackwardGradientShapeMismatch()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        using var b = Tensor.Zeros(Dev, DType.Float32, 4, 5);
        using var dc = Tensor.Zeros(Dev, DType.Float32, 3, 4);
        Throws<TesseraShapeException>("MatMulBackward", () => Ops.MatMulBackward(a, b, dc));
        using var w = Tensor.Zeros(Dev, DType.Float32, 5, 4);
        Throws<TesseraShapeException>("LinearBackward", () => Ops.LinearBackward(a, w, dc));
    }
}
