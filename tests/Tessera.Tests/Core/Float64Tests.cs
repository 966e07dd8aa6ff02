using Tessera.Tests.Support;

namespace Tessera.Tests.Core;

/// <summary>Float64 as a storage type: size and name, upload/download, Fill, Cast to and from the other dtypes, Copy of
/// a strided view.</summary>
public class Float64Tests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    [Fact]
    public void Facts_about_the_dtype()
    {
        Assert.Equal(8, DType.Float64.SizeOf());
        Assert.Equal("f64", DType.Float64.ShortName());
        Assert.True(DType.Float64.IsFloat());
        Assert.Equal(DType.Float64, DTypeInfo.Of<double>());
    }

    [Fact]
    public void Upload_download_round_trips_values_beyond_float32()
    {
        var data = new[] { 1e200, -3.5e-300, Math.PI, 1 + 1e-15, double.NaN, double.NegativeInfinity };
        using var t = Tensor.FromArray(Dev, data, 2, 3);
        Assert.Equal(DType.Float64, t.DType);
        Assert.Equal(48, t.ElementCount * t.DType.SizeOf());
        Assert.Equal(data, t.ToArray<double>());
        Assert.Throws<TesseraDTypeException>(() => t.ToArray<float>());
    }

    [Fact]
    public void Fill_writes_the_double_value()
    {
        using var t = Tensor.Empty(Dev, DType.Float64, new Shape(3));
        Dev.Kernels.Fill(t, 0.1);
        Assert.Equal(new[] { 0.1, 0.1, 0.1 }, t.ToArray<double>());
    }

    [Fact]
    public void Cast_round_trips_with_float32_int64_int32_and_bool()
    {
        using var d = Tensor.FromArray(Dev, new[] { 1.5, -2.75, 0, 1e10, 1 + 1e-12 }, 5);
        using var f = Tensor.Empty(Dev, DType.Float32, new Shape(5));
        Dev.Kernels.Cast(d, f);
        Assert.Equal(new[] { 1.5f, -2.75f, 0f, 1e10f, 1f }, f.ToArray<float>());
        using var back = Tensor.Empty(Dev, DType.Float64, new Shape(5));
        Dev.Kernels.Cast(f, back);
        Assert.Equal(new[] { 1.5, -2.75, 0, (double)1e10f, 1 }, back.ToArray<double>());

        using var l = Tensor.Empty(Dev, DType.Int64, new Shape(5));
        Dev.Kernels.Cast(d, l);
        Assert.Equal(new long[] { 1, -2, 0, 10000000000, 1 }, l.ToArray<long>());
        using var fromLong = Tensor.Empty(Dev, DType.Float64, new Shape(5));
        Dev.Kernels.Cast(l, fromLong);
        Assert.Equal(new[] { 1.0, -2, 0, 1e10, 1 }, fromLong.ToArray<double>());

        using var i = Tensor.FromArray(Dev, new[] { int.MaxValue, -7 }, 2);
        using var fromInt = Tensor.Empty(Dev, DType.Float64, new Shape(2));
        Dev.Kernels.Cast(i, fromInt);
        Assert.Equal(new[] { (double)int.MaxValue, -7 }, fromInt.ToArray<double>());   // exact, unlike float32

        using var b = Tensor.Empty(Dev, DType.Bool, new Shape(5));
        Dev.Kernels.Cast(d, b);
        Assert.Equal(new byte[] { 1, 1, 0, 1, 1 }, b.ToArray<byte>());
    }

    [Fact]
    public void Copy_of_a_transposed_view_moves_whole_doubles()
    {
        using var t = Tensor.FromArray(Dev, new[] { 1e200, 2, 3, 4, 5, 6 }, 2, 3);
        using var tt = t.Transpose();
        using var c = Tensor.Empty(Dev, DType.Float64, new Shape(3, 2));
        Dev.Kernels.Copy(tt, c);
        Assert.Equal(new[] { 1e200, 4, 2, 5, 3, 6 }, c.ToArray<double>());
    }
}
