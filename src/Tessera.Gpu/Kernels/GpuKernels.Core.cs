using Tessera.Kernels;

namespace Tessera.Gpu.Kernels;

public partial class GpuKernels : ICoreKernels
{
    /// <inheritdoc/>
    public void Copy(Tensor src, Tensor dst)
    {
        const string op = "Copy";
        if (src.DType.SizeOf() != dst.DType.SizeOf()) throw new TesseraDTypeException(op, nameof(dst), $"{src.DType} → {dst.DType} is a cast, not a copy");
        string bits = src.DType.SizeOf() switch { 1 => "b8", 2 => "b16", 4 => "b32", 8 => "b64", var s => throw Unsupported(op, $"{s}-byte elements") };
        LaunchElements("core", "copy_strided_" + bits, dst.ElementCount,
            GpuArg.Viewed(src, dst.Shape, op), GpuArg.Viewed(dst, op), GpuArg.I64(dst.ElementCount));
    }

    /// <inheritdoc/>
    public void Fill(Tensor dst, double value)
    {
        const string op = "Fill";
        // The bit pattern of the value in the tensor's dtype, replicated by a fill of that width.
        long bits = dst.DType switch
        {
            DType.Float32 => BitConverter.SingleToInt32Bits((float)value),
            DType.Float64 => BitConverter.DoubleToInt64Bits(value),
            DType.Float16 => BitConverter.HalfToInt16Bits((Half)value),
            DType.BFloat16 => BFloat16Bits((float)value),
            DType.Int32 => (int)value,
            DType.Int64 => (long)value,
            DType.UInt8 => (byte)value,
            DType.Bool => value != 0 ? 1 : 0,
            _ => throw Unsupported(op, dst.DType.ToString()),
        };
        string width = dst.DType.SizeOf() switch { 1 => "b8", 2 => "b16", 4 => "b32", _ => "b64" };
        LaunchElements("core", "fill_strided_" + width, dst.ElementCount, GpuArg.Viewed(dst, op), GpuArg.I64(bits), GpuArg.I64(dst.ElementCount));
    }

    /// <inheritdoc/>
    public void Cast(Tensor src, Tensor dst)
    {
        const string op = "Cast";
        LaunchElements("core", $"cast_{Suffix(src.DType)}_{Suffix(dst.DType)}", dst.ElementCount,
            GpuArg.Viewed(src, dst.Shape, op), GpuArg.Viewed(dst, op), GpuArg.I64(dst.ElementCount));
    }

    /// <summary>bfloat16 bits of a float, rounded to nearest even (NaN stays NaN).</summary>
    internal static short BFloat16Bits(float f)
    {
        uint x = BitConverter.SingleToUInt32Bits(f);
        if ((x & 0x7fffffffu) > 0x7f800000u) return (short)((x >> 16) | 0x40u);
        x += 0x7fffu + ((x >> 16) & 1u);
        return (short)(x >> 16);
    }
}
