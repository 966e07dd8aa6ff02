using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

internal sealed unsafe partial class CpuKernels : ICoreKernels
{
    public void Copy(Tensor src, Tensor dst)
    {
        int size = src.DType.SizeOf();
        if (src.IsContiguous && dst.IsContiguous)
        {
            long bytes = src.ElementCount * size;
            Buffer.MemoryCopy((void*)src.Address, (void*)dst.Address, bytes, bytes);
            return;
        }
        var plan = StridedPlan.Create(dst.Shape, src.StrideArray(), dst.StrideArray());
        var state = (plan, s: src.Address, d: dst.Address, size);
        CpuParallel.For(plan.Rows, Threads, Math.Max(1, 16384 / Math.Max(1, plan.Inner)), state, static (st, r0, r1) =>
        {
            var (plan, s, d, size) = st;
            long ss = plan.InnerStride[0] * size, ds = plan.InnerStride[1] * size;
            if (ss == size && ds == size)
            {
                // Rows contiguous on both sides (a transpose of whole planes: channel shuffles, head splits): one block
                // copy per row instead of an element loop.
                long bytes = (long)plan.Inner * size;
                for (long r = r0; r < r1; r++)
                    Buffer.MemoryCopy((byte*)s + plan.RowOffset(0, r) * size, (byte*)d + plan.RowOffset(1, r) * size, bytes, bytes);
                return;
            }
            for (long r = r0; r < r1; r++)
            {
                byte* ps = (byte*)s + plan.RowOffset(0, r) * size;
                byte* pd = (byte*)d + plan.RowOffset(1, r) * size;
                switch (size)
                {
                    case 4: for (int i = 0; i < plan.Inner; i++) *(int*)(pd + i * ds) = *(int*)(ps + i * ss); break;
                    case 8: for (int i = 0; i < plan.Inner; i++) *(long*)(pd + i * ds) = *(long*)(ps + i * ss); break;
                    case 2: for (int i = 0; i < plan.Inner; i++) *(short*)(pd + i * ds) = *(short*)(ps + i * ss); break;
                    default: for (int i = 0; i < plan.Inner; i++) pd[i * ds] = ps[i * ss]; break;
                }
            }
        });
    }

    public void Fill(Tensor dst, double value)
    {
        long n = dst.ElementCount;
        switch (dst.DType)
        {
            case DType.Float32: new Span<float>((void*)dst.Address, checked((int)n)).Fill((float)value); break;
            case DType.Int32: new Span<int>((void*)dst.Address, checked((int)n)).Fill((int)value); break;
            case DType.Int64: new Span<long>((void*)dst.Address, checked((int)n)).Fill((long)value); break;
            case DType.UInt8: new Span<byte>((void*)dst.Address, checked((int)n)).Fill((byte)value); break;
            case DType.Bool: new Span<byte>((void*)dst.Address, checked((int)n)).Fill(value != 0 ? (byte)1 : (byte)0); break;
            case DType.Float16: new Span<Half>((void*)dst.Address, checked((int)n)).Fill((Half)value); break;
            case DType.BFloat16: new Span<ushort>((void*)dst.Address, checked((int)n)).Fill(BFloat16Bits((float)value)); break;
            case DType.Float64: new Span<double>((void*)dst.Address, checked((int)n)).Fill(value); break;
            default: throw new TesseraDTypeException("Fill", nameof(dst), $"unsupported dtype {dst.DType}");
        }
    }

    public void Cast(Tensor src, Tensor dst)
    {
        using var s = src.Contiguous();
        long n = src.ElementCount;
        for (long i = 0; i < n; i++) Store(dst, i, Load(s, i));
    }

    private static double Load(Tensor t, long i) => t.DType switch
    {
        DType.Float32 => ((float*)t.Address)[i],
        DType.Float16 => (double)((Half*)t.Address)[i],
        DType.BFloat16 => BitConverter.Int32BitsToSingle(((ushort*)t.Address)[i] << 16),
        DType.Int32 => ((int*)t.Address)[i],
        DType.Int64 => ((long*)t.Address)[i],
        DType.UInt8 or DType.Bool => ((byte*)t.Address)[i],
        DType.Float64 => ((double*)t.Address)[i],
        _ => throw new TesseraDTypeException("Cast", "src", $"unsupported dtype {t.DType}"),
    };

    private static void Store(Tensor t, long i, double v)
    {
        switch (t.DType)
        {
            case DType.Float32: ((float*)t.Address)[i] = (float)v; break;
            case DType.Float16: ((Half*)t.Address)[i] = (Half)v; break;
            case DType.BFloat16: ((ushort*)t.Address)[i] = BFloat16Bits((float)v); break;
            case DType.Int32: ((int*)t.Address)[i] = double.IsNaN(v) ? 0 : (int)Math.Clamp(Math.Truncate(v), int.MinValue, int.MaxValue); break;
            case DType.Int64: ((long*)t.Address)[i] = double.IsNaN(v) ? 0 : (long)Math.Clamp(Math.Truncate(v), long.MinValue, long.MaxValue); break;
            case DType.UInt8: ((byte*)t.Address)[i] = (byte)(long)v; break;
            case DType.Bool: ((byte*)t.Address)[i] = v != 0 ? (byte)1 : (byte)0; break;
            case DType.Float64: ((double*)t.Address)[i] = v; break;
            default: throw new TesseraDTypeException("Cast", "dst", $"unsupported dtype {t.DType}");
        }
    }

    /// <summary>float → bfloat16 bits, round to nearest even (NaN stays NaN).</summary>
    internal static ushort BFloat16Bits(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((u >> 16) | 0x40);
        uint rounding = 0x7FFF + ((u >> 16) & 1);
        return (ushort)((u + rounding) >> 16);
    }
}
