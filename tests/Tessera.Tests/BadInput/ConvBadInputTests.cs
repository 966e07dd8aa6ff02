using Tessera.Kernels;
using Tessera.Tests.Support;
using static Tessera.Tests.BadInput.LinalgBadInputTests;

namespace Tessera.Tests.BadInput;

/// <summary>Bad arguments to the convolution and pooling facade raise the specific Tessera exception naming the op.</summary>
public class ConvBadInputTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    [Fact]
    public void ConvChannelMismatch()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 1, 3, 5, 5);
        using var w = Tensor.Zeros(Dev, DType.Float32, 4, 2, 3, 3);
        Throws<TesseraShapeException>("Conv2d", () => Ops.Conv2d(x, w, null, Conv2dParams.Square()));
    }

    [Fact]
    public void ConvGroupsDoNotDivide()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 1, 4, 5, 5);
        using var w = Tensor.Zeros(Dev, DType.Float32, 3, 2, 3, 3);
        Throws<TesseraShapeException>("Conv2d", () => Ops.Conv2d(x, w, null, Conv2dParams.Square(groups: 2)));
        Throws<TesseraArgumentException>("Conv2d", () => Ops.Conv2d(x, w, null, Conv2dParams.Square(groups: 0)));
    }

    [Fact]
    public void ConvOutputWouldBeEmpty()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 1, 1, 2, 5);
        using var w = Tensor.Zeros(Dev, DType.Float32, 1, 1, 3, 3);
        var e = Assert.Throws<TesseraShapeException>(() => Ops.Conv2d(x, w, null, Conv2dParams.Square()));
        Assert.Contains("Conv2d", e.Message);
        Assert.Contains("empty", e.Message);
        // Dilation makes the kernel too large as well.
        using var x2 = Tensor.Zeros(Dev, DType.Float32, 1, 1, 4, 4);
        Throws<TesseraShapeException>("Conv2d", () => Ops.Conv2d(x2, w, null, Conv2dParams.Square(dilation: 2)));
    }

    [Fact]
    public void ConvBadStridePaddingBias()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 1, 1, 5, 5);
        using var w = Tensor.Zeros(Dev, DType.Float32, 2, 1, 3, 3);
        using var bias = Tensor.Zeros(Dev, DType.Float32, 3);
        Throws<TesseraArgumentException>("Conv2d", () => Ops.Conv2d(x, w, null, Conv2dParams.Square(stride: 0)));
        Throws<TesseraArgumentException>("Conv2d", () => Ops.Conv2d(x, w, null, new Conv2dParams(PadTop: -1)));
        Throws<TesseraShapeException>("Conv2d", () => Ops.Conv2d(x, w, bias, Conv2dParams.Square()));
    }

    /// <summary>A fused epilogue: the activation must be one of <see cref="Epilogue.Activations"/> with valid scalars, the
    /// residual Float32 of y's shape, and the gradient kernels take none.</summary>
    [Fact]
    public void ConvBadEpilogue()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 1, 1, 5, 5);
        using var w = Tensor.Zeros(Dev, DType.Float32, 2, 1, 3, 3);
        using var r = Tensor.Zeros(Dev, DType.Float32, 1, 2, 3, 3);
        using var rWrong = Tensor.Zeros(Dev, DType.Float32, 1, 2, 3, 4);
        using var rInt = Tensor.Zeros(Dev, DType.Int32, 1, 2, 3, 3);
        var p = Conv2dParams.Square();
        var e = Assert.Throws<TesseraArgumentException>(() => Ops.Conv2d(x, w, null, p with { Epilogue = new(UnaryOp.Log) }));
        Assert.Equal("Conv2d: argument 'epilogue': Log is not an epilogue activation (one of Identity, Relu, Clamp, LeakyRelu, Sigmoid, Silu, HardSwish, GeluErf, GeluTanh)", e.Message);
        Throws<TesseraArgumentException>("Conv2d", () => Ops.Conv2d(x, w, null, p with { Epilogue = Epilogue.Clip(6f, 0f) }));
        Throws<TesseraArgumentException>("Conv2d", () => Ops.Conv2d(x, w, null, p with { Epilogue = Epilogue.LeakyRelu(float.PositiveInfinity) }));
        Throws<TesseraShapeException>("Conv2d", () => Ops.Conv2d(x, w, null, p, rWrong));
        Throws<TesseraDTypeException>("Conv2d", () => Ops.Conv2d(x, w, null, p, rInt));
        using var ok = Ops.Conv2d(x, w, null, p with { Epilogue = Epilogue.Relu }, r);
        var noGradient = Assert.Throws<TesseraArgumentException>(() =>
            Ops.Conv2dBackwardData(ok, w, new Shape(1, 1, 5, 5), p with { Epilogue = Epilogue.Relu }));
        Assert.Equal("Conv2dBackwardData: argument 'epilogue': a fused epilogue (relu) has no gradient: fused operators are for inference", noGradient.Message);
        Throws<TesseraArgumentException>("Conv2dBackwardWeight", () =>
            Ops.Conv2dBackwardWeight(x, ok, new Shape(2, 1, 3, 3), p with { Epilogue = Epilogue.Silu }));
    }

    [Fact]
    public void ConvWrongRankAndDType()
    {
        using var x3 = Tensor.Zeros(Dev, DType.Float32, 1, 5, 5);
        using var xi = Tensor.Zeros(Dev, DType.Int32, 1, 1, 5, 5);
        using var w = Tensor.Zeros(Dev, DType.Float32, 2, 1, 3, 3);
        Throws<TesseraShapeException>("Conv2d", () => Ops.Conv2d(x3, w, null, Conv2dParams.Square()));
        Throws<TesseraDTypeException>("Conv2d", () => Ops.Conv2d(xi, w, null, Conv2dParams.Square()));
    }

    [Fact]
    public void ConvBackwardGradientShapeMismatch()
    {
        using var dy = Tensor.Zeros(Dev, DType.Float32, 1, 2, 4, 4);
        using var w = Tensor.Zeros(Dev, DType.Float32, 2, 1, 3, 3);
        using var x = Tensor.Zeros(Dev, DType.Float32, 1, 1, 5, 5);
        Throws<TesseraShapeException>("Conv2dBackwardData", () => Ops.Conv2dBackwardData(dy, w, new Shape(1, 1, 5, 5), Conv2dParams.Square()));
        Throws<TesseraShapeException>("Conv2dBackwardWeight", () => Ops.Conv2dBackwardWeight(x, dy, new Shape(2, 1, 3, 3), Conv2dParams.Square()));
        using var dy3 = Tensor.Zeros(Dev, DType.Float32, 2, 4, 4);
        Throws<TesseraShapeException>("Conv2dBackwardBias", () => Ops.Conv2dBackwardBias(dy3));
    }

    [Fact]
    public void PoolPaddingNotSmallerThanWindow()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 1, 1, 5, 5);
        Throws<TesseraArgumentException>("MaxPool2d", () => Ops.MaxPool2d(x, Pool2dParams.Square(2, 1, 2)));
        Throws<TesseraArgumentException>("AvgPool2d", () => Ops.AvgPool2d(x, Pool2dParams.Square(0, 1)));
    }

    [Fact]
    public void PoolWindowLargerThanInput()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 1, 1, 2, 2);
        Throws<TesseraShapeException>("MaxPool2d", () => Ops.MaxPool2d(x, Pool2dParams.Square(3, 1)));
    }

    [Fact]
    public void AvgPoolRejectsDilation()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 1, 1, 5, 5);
        Throws<TesseraArgumentException>("AvgPool2d", () => Ops.AvgPool2d(x, new Pool2dParams(2, 2, 1, 1, DilationH: 2)));
    }

    [Fact]
    public void MaxPoolBackwardIndicesMustBeInt64()
    {
        using var dy = Tensor.Zeros(Dev, DType.Float32, 1, 1, 2, 2);
        using var idx = Tensor.Zeros(Dev, DType.Int32, 1, 1, 2, 2);
        Throws<TesseraDTypeException>("MaxPool2dBackward", () => Ops.MaxPool2dBackward(dy, idx, new Shape(1, 1, 4, 4), Pool2dParams.Square(2, 2)));
    }

    [Fact]
    public void PoolDisposedInput()
    {
        var x = Tensor.Zeros(Dev, DType.Float32, 1, 1, 4, 4);
        x.Dispose();
        Throws<TesseraDisposedException>("AvgPool2d", () => Ops.AvgPool2d(x, Pool2dParams.Square(2, 2)));
    }
}
