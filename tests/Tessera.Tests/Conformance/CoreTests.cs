using Tessera.Devices;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>Copy, Fill and Cast on the target device, for every element type, against <see cref="RefCore"/>: exact.</summary>
public class CoreTests
{
    private static IDevice Dev => TestDevices.Target;

    /// <summary>Values every element type holds exactly or converts by the documented rules (fractions truncate toward
    /// zero in integers, negatives wrap in UInt8, non-zero is true).</summary>
    private static readonly double[] Values = { -3.75, -1, 0, 0.5, 1, 2.25, 7, 100.5, 127, 0.1 };

    private static RefTensor Source(int[] shape, DType dtype, int seed)
    {
        var r = Rand.Ints(seed, shape, Values.Length);
        for (int i = 0; i < r.Length; i++) r.Data[i] = RefCore.Stored(Values[(int)r.Data[i]], dtype);
        return r;
    }

    /// <summary>A dense tensor of <paramref name="dtype"/> holding <paramref name="r"/> (values already representable).</summary>
    private static Tensor Upload(RefTensor r, DType dtype)
    {
        if (dtype != DType.BFloat16) return UploadTyped(r, dtype);
        var t = Tensor.Empty(Dev, dtype, new Shape(r.Shape));
        t.CopyFrom<ushort>(Array.ConvertAll(r.Data, v => (ushort)(BitConverter.SingleToUInt32Bits((float)v) >> 16)));
        return t;
    }

    private static Tensor UploadTyped(RefTensor r, DType dtype) => dtype switch
    {
        DType.Float32 => Tensor.FromArray(Dev, r.ToFloats(), r.Shape),
        DType.Float64 => Tensor.FromArray(Dev, r.Data, r.Shape),
        DType.Float16 => Tensor.FromArray(Dev, Array.ConvertAll(r.Data, v => (Half)v), r.Shape),
        DType.Int32 => Tensor.FromArray(Dev, Array.ConvertAll(r.Data, v => (int)v), r.Shape),
        DType.Int64 => Tensor.FromArray(Dev, Array.ConvertAll(r.Data, v => (long)v), r.Shape),
        DType.UInt8 => Tensor.FromArray(Dev, Array.ConvertAll(r.Data, v => (byte)v), r.Shape),
        DType.Bool => Tensor.FromArray(Dev, Array.ConvertAll(r.Data, v => v != 0), r.Shape),
        _ => throw new NotSupportedException(dtype.ToString()),
    };

    /// <summary>The elements of a tensor of any dtype as doubles.</summary>
    private static double[] Read(Tensor t) => t.DType switch
    {
        DType.Float64 => t.ToArray<double>(),
        DType.Float16 => Array.ConvertAll(t.ToArray<Half>(), v => (double)v),
        DType.BFloat16 => Array.ConvertAll(t.ToArray<ushort>(), v => (double)BitConverter.Int32BitsToSingle(v << 16)),
        _ => t.ToRef().Data,
    };

    public static TheoryData<DType, string> CopyCases()
    {
        var d = new TheoryData<DType, string>();
        foreach (var dt in Enum.GetValues<DType>())
            foreach (var view in new[] { "transpose", "step", "expand" }) d.Add(dt, view);
        return d;
    }

    [Theory]
    [MemberData(nameof(CopyCases))]
    [Covers(OpKind.Copy)]
    public void CopyOfAViewHoldsItsElements(DType dtype, string view)
    {
        var r = Source(new[] { 33, 7 }, dtype, 1);
        using var t = Upload(r, dtype);
        using var column = t.Slice(1, 2, 3);
        using var v = view switch
        {
            "transpose" => t.Transpose(0, 1),
            "step" => t.Slice(0, 1, 33, 3),
            _ => column.Expand(33, 5),
        };
        var expected = view switch
        {
            "transpose" => RefConvert.Permute(r, new[] { 1, 0 }),
            "step" => RefShape.Slice(r, 0, 1, 33, 3),
            _ => RefShape.Expand(RefShape.Slice(r, 1, 2, 3, 1), new[] { 33, 5 }),
        };
        using var y = Tensor.Empty(Dev, dtype, v.Shape);
        Dev.Kernels.Copy(v, y);
        Approx.Equal(expected, Read(y), 0, 0, $"copy of a {view} view, {dtype}");
    }

    public static TheoryData<DType, double> FillCases()
    {
        var d = new TheoryData<DType, double>();
        foreach (var dt in Enum.GetValues<DType>())
            foreach (var v in new[] { 0, 2.5, 0.1, 200, dt == DType.UInt8 ? 1 : -7.75 }) d.Add(dt, v);
        return d;
    }

    [Theory]
    [MemberData(nameof(FillCases))]
    [Covers(OpKind.Fill)]
    public void FillStoresTheValue(DType dtype, double value)
    {
        using var t = Tensor.Empty(Dev, dtype, new Shape(3, 101));
        Dev.Kernels.Fill(t, value);
        Approx.Equal(RefCore.Fill(new[] { 3, 101 }, value, dtype), Read(t), 0, 0, $"fill {dtype} with {value}");
    }

    public static TheoryData<DType, DType> CastCases()
    {
        var d = new TheoryData<DType, DType>();
        foreach (var from in Enum.GetValues<DType>())
            foreach (var to in Enum.GetValues<DType>()) d.Add(from, to);
        return d;
    }

    [Theory]
    [MemberData(nameof(CastCases))]
    [Covers(OpKind.Cast)]
    public void CastConvertsByTheRules(DType from, DType to)
    {
        var r = Source(new[] { 5, 41 }, from, 2);
        using var x = Upload(r, from);
        using var xt = x.Transpose(0, 1);
        using var y = Tensor.Empty(Dev, to, xt.Shape);
        Dev.Kernels.Cast(xt, y);
        Approx.Equal(RefCore.Cast(RefConvert.Permute(r, new[] { 1, 0 }), to), Read(y), 0, 0, $"cast {from} → {to}");
    }
}
