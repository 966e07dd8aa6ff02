using Tessera.Kernels;
using Tessera.Onnx;
using Tessera.Tests.Onnx;
using Tessera.Tests.Support;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Reliability;

/// <summary>Sizes computed from input (output lengths, pads, products of dimensions) go through checked arithmetic
/// (<see cref="SizeMath"/>): an overflow is a Tessera shape error naming the op, never an <see cref="OverflowException"/>
/// or a wrapped value (issue 13, D1).</summary>
public class SizeOverflowTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    [Fact]
    public void D1_eager_conv_with_pads_of_2_to_the_30_is_a_shape_error()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros(Dev, DType.Float32, 1, 1, 4, 4);
        var w = Tensor.Zeros(Dev, DType.Float32, 1, 1, 1, 1);
        var e = Assert.Throws<TesseraShapeException>(() => Ops.Conv2d(x, w, null, Conv2dParams.Square(1, 1 << 30)));
        Assert.StartsWith("Conv2d:", e.Message);
        Assert.Contains("height", e.Message);
    }

    [Fact]
    public void D1_onnx_conv_with_pads_of_2_to_the_30_is_a_shape_error_naming_the_node()
    {
        var m = new ImportModels().Input("x", 1, 1, 4, 4).Init("w", new float[1], 1, 1, 1, 1).Output("y")
            .Node("Conv", new[] { "x", "w" }, new[] { "y" }, Is("pads", 1 << 30, 1 << 30, 1 << 30, 1 << 30));
        var e = Assert.Throws<TesseraShapeException>(() => m.Run(("x", Floats("x", new float[16], 1, 1, 4, 4))));
        Assert.Contains("the output length along height", e.Message);
    }

    [Fact]
    public void D1_onnx_same_padding_with_a_huge_dilation_is_a_tessera_error()
    {
        var m = new ImportModels().Input("x", 1, 1, 5, 5).Init("w", new float[9], 1, 1, 3, 3).Output("y")
            .Node("Conv", new[] { "x", "w" }, new[] { "y" }, S("auto_pad", "SAME_UPPER"), Is("dilations", int.MaxValue, 1), Is("strides", int.MaxValue, 1));
        var e = Assert.ThrowsAny<TesseraException>(() => m.Run(("x", Floats("x", new float[25], 1, 1, 5, 5))));
        Assert.Contains("n0_Conv", e.Message);
    }

    [Fact]
    public void D1_pooling_output_length_beyond_int32_is_a_shape_error()
    {
        var e = Assert.Throws<TesseraShapeException>(() =>
            ShapeRules.PoolOutputSize(int.MaxValue, 2, 1, 1, 1, 1, ceilMode: false, "MaxPool2d", "width"));
        Assert.StartsWith("MaxPool2d:", e.Message);
    }

    [Fact]
    public void A_shape_whose_element_count_overflows_64_bits_is_refused()
    {
        // 2^20 · 2^20 = 2^40 is allowed so far; times 2^31 − 1 wraps a long around to a negative count.
        var e = Assert.Throws<TesseraShapeException>(() => new Shape(1 << 20, 1 << 20, int.MaxValue));
        Assert.Contains("overflows", e.Message);
    }

    [Fact]
    public void A_reshape_target_whose_product_overflows_is_a_shape_error()
    {
        var e = Assert.Throws<TesseraShapeException>(() => ShapeRules.Reshape("Reshape", new Shape(0), [int.MaxValue, int.MaxValue, int.MaxValue, 0]));
        Assert.StartsWith("Reshape:", e.Message);
    }

    [Fact]
    public void An_onnx_reshape_target_whose_product_overflows_is_a_shape_error_naming_the_node()
    {
        long big = 1L << 40;
        var m = new ImportModels().Input("x", 2, 3).InitInts("s", new long[] { big, big, big, 0 }, 4).Output("y")
            .Node("Reshape", new[] { "x", "s" }, new[] { "y" }, I("allowzero", 1));
        var e = Assert.ThrowsAny<TesseraException>(() => m.Run(("x", Floats("x", new float[6], 2, 3))));
        Assert.Contains("n0_Reshape", e.Message);
    }

    [Fact]
    public void SizeMath_refuses_overflow_and_out_of_range_dimensions()
    {
        Assert.Equal(6, SizeMath.Product("op", "dims", new[] { 1, 2, 3 }));
        Assert.Equal(0, SizeMath.Product("op", "dims", new long[] { long.MaxValue, 0 }));
        Assert.Throws<TesseraShapeException>(() => SizeMath.Product("op", "dims", new long[] { 1L << 32, 1L << 32 }));
        Assert.Throws<TesseraShapeException>(() => SizeMath.Product("op", "dims", new[] { 2, -1 }));
        Assert.Throws<TesseraShapeException>(() => SizeMath.Multiply("op", "n", long.MinValue, -1));
        Assert.Equal(long.MinValue, SizeMath.Multiply("op", "n", long.MinValue, 1));
        Assert.Throws<TesseraShapeException>(() => SizeMath.Add("op", "n", long.MaxValue, 1));
        Assert.Throws<TesseraShapeException>(() => SizeMath.Dim("op", "x", 1L << 31, "the output length"));
        Assert.Equal(int.MaxValue, SizeMath.Dim("op", "x", int.MaxValue, "the output length"));
        Assert.Throws<TesseraShapeException>(() => SizeMath.HostArrayLength("op", "x", 1L << 30, 4));
        Assert.Equal(1 << 20, SizeMath.HostArrayLength("op", "x", 1 << 20, 4));
    }
}
