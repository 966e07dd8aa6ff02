using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Cpu.Simd;

/// <summary>The Vector512 → Vector256 → Vector128 → scalar cascade over an index range, written once for every
/// element-wise body, and its parallel form. Outputs much larger than the caches are written with non-temporal
/// stores (no read-for-ownership of the destination, no eviction of useful lines).</summary>
internal static class ElementLoop
{
    /// <summary>Elements per parallel work item: below this, threading costs more than it saves.</summary>
    public const long Grain = 32768;

    /// <summary>Element count from which a parallel call streams its output with non-temporal stores (16 MiB of floats).</summary>
    public const long NonTemporalThreshold = 4L << 20;

    /// <summary>Runs the body over [begin, end). With <paramref name="nonTemporal"/> (and Vector512) the output is
    /// streamed from its first 64-byte-aligned element on; the caller then calls <see cref="StoreFence"/> once after
    /// its last streaming run, before the data is shared.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TBody>(ref TBody body, long begin, long end, bool nonTemporal = false) where TBody : struct, IElementBody
    {
        long i = begin;
        bool w512 = VectorWidth.Use512;
        if (w512)
        {
            if (nonTemporal)
            {
                for (; i < end && ((body.Output + (nint)(i * sizeof(float))) & 63) != 0; i++) body.Scalar(i);
                for (; i + 64 <= end; i += 64)
                {
                    body.V512NonTemporal(i); body.V512NonTemporal(i + 16); body.V512NonTemporal(i + 32); body.V512NonTemporal(i + 48);
                }
                for (; i + 16 <= end; i += 16) body.V512NonTemporal(i);
            }
            for (; i + 64 <= end; i += 64) { body.V512(i); body.V512(i + 16); body.V512(i + 32); body.V512(i + 48); }
            for (; i + 16 <= end; i += 16) body.V512(i);
        }
        if (VectorWidth.Use256)
        {
            if (!w512)
                for (; i + 32 <= end; i += 32) { body.V256(i); body.V256(i + 8); body.V256(i + 16); body.V256(i + 24); }
            for (; i + 8 <= end; i += 8) body.V256(i);
        }
        if (VectorWidth.Use128)
            for (; i + 4 <= end; i += 4) body.V128(i);
        for (; i < end; i++) body.Scalar(i);
    }

    /// <summary>Orders earlier non-temporal (weakly-ordered) stores before later writes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFence()
    {
        if (Sse.IsSupported) Sse.StoreFence();
    }

    /// <summary>Runs the body over [0, n) on up to <paramref name="threads"/> threads; large outputs of bodies that are
    /// not <see cref="IElementBody.ComputeBound"/> are streamed.</summary>
    public static void Parallel<TBody>(TBody body, long n, int threads) where TBody : struct, IElementBody
    {
        bool nt = n >= NonTemporalThreshold && !TBody.ComputeBound;
        if (n <= Grain || threads <= 1)
        {
            Run(ref body, 0, n, nt);
            if (nt) StoreFence();
            return;
        }
        if (nt) CpuParallel.For(n, threads, Grain, body, static (b, begin, end) => { Run(ref b, begin, end, true); StoreFence(); });
        else CpuParallel.For(n, threads, Grain, body, static (b, begin, end) => Run(ref b, begin, end));
    }
}
