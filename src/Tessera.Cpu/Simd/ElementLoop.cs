using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Cpu.Simd;

/// <summary>The Vector512 → Vector256 → Vector128 → scalar cascade over an index range, written once for every
/// element-wise body, and its parallel form. Outputs much larger than the caches are written with non-temporal
/// stores (no read-for-ownership of the destination, no eviction of useful lines).</summary>
public static class ElementLoop
{
    /// <summary>Elements per parallel work item: below this, threading costs more than it saves.</summary>
    public const long Grain = 32768;

    /// <summary>Element count from which a parallel call streams its output with non-temporal stores (16 MiB of floats).</summary>
    public const long NonTemporalThreshold = 4L << 20;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TBody>(ref TBody body, long begin, long end, bool nonTemporal = false) where TBody : struct, IElementBody
    {
        long i = begin;
        if (Vector512.IsHardwareAccelerated)
        {
            if (nonTemporal)
            {
                for (; i < end && ((body.Output + (nint)(i * sizeof(float))) & 63) != 0; i++) body.Scalar(i);
                for (; i + 64 <= end; i += 64)
                {
                    body.V512NonTemporal(i); body.V512NonTemporal(i + 16); body.V512NonTemporal(i + 32); body.V512NonTemporal(i + 48);
                }
                for (; i + 16 <= end; i += 16) body.V512NonTemporal(i);
                if (Sse.IsSupported) Sse.StoreFence(); // order the weakly-ordered streaming stores before later writes
            }
            for (; i + 64 <= end; i += 64) { body.V512(i); body.V512(i + 16); body.V512(i + 32); body.V512(i + 48); }
            for (; i + 16 <= end; i += 16) body.V512(i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            if (!Vector512.IsHardwareAccelerated)
                for (; i + 32 <= end; i += 32) { body.V256(i); body.V256(i + 8); body.V256(i + 16); body.V256(i + 24); }
            for (; i + 8 <= end; i += 8) body.V256(i);
        }
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= end; i += 4) body.V128(i);
        for (; i < end; i++) body.Scalar(i);
    }

    /// <summary>Runs the body over [0, n) on up to <paramref name="threads"/> threads.</summary>
    public static void Parallel<TBody>(TBody body, long n, int threads) where TBody : struct, IElementBody
    {
        bool nt = n >= NonTemporalThreshold;
        if (n <= Grain || threads <= 1) { Run(ref body, 0, n, nt); return; }
        if (nt) CpuParallel.For(n, threads, Grain, body, static (b, begin, end) => Run(ref b, begin, end, true));
        else CpuParallel.For(n, threads, Grain, body, static (b, begin, end) => Run(ref b, begin, end));
    }
}
