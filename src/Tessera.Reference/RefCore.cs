namespace Tessera.Reference;

/// <summary>Reference data movement. A copy holds the elements of its source (of any view: <see cref="RefShape"/>
/// gives those); Fill and Cast store values in an element type, which this defines.</summary>
public static class RefCore
{
    /// <summary><paramref name="v"/> as an element of <paramref name="dtype"/> holds it (the conversions of
    /// ICoreKernels.Cast and Fill): floating types round to nearest, ties to even (Float16 and BFloat16 from the float32
    /// value, NaN stays NaN); integer types truncate toward zero (NaN → 0), Int32 and Int64 saturating, UInt8 keeping the
    /// low 8 bits of the truncated value; Bool is v ≠ 0.</summary>
    public static double Stored(double v, DType dtype) => dtype switch
    {
        DType.Float64 => v,
        DType.Float32 => (float)v,
        DType.Float16 => (double)(Half)v,
        DType.BFloat16 => BFloat16((float)v),
        DType.Int32 => double.IsNaN(v) ? 0 : Math.Clamp(Math.Truncate(v), int.MinValue, int.MaxValue),
        DType.Int64 => double.IsNaN(v) ? 0 : Math.Clamp(Math.Truncate(v), -Math.Pow(2, 63), Math.Pow(2, 63)),
        DType.UInt8 => double.IsNaN(v) ? 0 : (byte)(long)Math.Truncate(v),
        DType.Bool => v != 0 ? 1 : 0,
        _ => throw new ArgumentException($"no element type {dtype}"),
    };

    /// <summary>Every element of <paramref name="x"/> as stored in <paramref name="dtype"/>.</summary>
    public static RefTensor Cast(RefTensor x, DType dtype)
    {
        var y = new RefTensor(x.Shape);
        for (int i = 0; i < x.Length; i++) y.Data[i] = Stored(x.Data[i], dtype);
        return y;
    }

    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/> as stored in <paramref name="dtype"/>.</summary>
    public static RefTensor Fill(int[] shape, double value, DType dtype)
    {
        var y = new RefTensor(shape);
        Array.Fill(y.Data, Stored(value, dtype));
        return y;
    }

    /// <summary>The bfloat16 value nearest to f (8 significant bits; ties to even; beyond the largest, infinity).</summary>
    private static double BFloat16(float f)
    {
        if (!float.IsFinite(f) || f == 0) return f;
        int e = Math.Max(Math.ILogB(f), -126) - 7;   // the spacing of bfloat16 values around f
        return (float)Math.ScaleB(Math.Round(Math.ScaleB((double)f, -e), MidpointRounding.ToEven), e);
    }
}
