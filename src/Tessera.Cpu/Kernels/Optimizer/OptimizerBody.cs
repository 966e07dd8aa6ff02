using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Optimizer;

/// <summary>One optimizer update per element for <see cref="ElementLoop"/>: loads p, g and the states the math uses,
/// applies it and stores p and the states back in place.</summary>
internal unsafe struct OptimizerBody<TMath>(TMath math, float* p, float* g, float* s1, float* s2) : IElementBody
    where TMath : struct, IOptimizerMath
{
    /// <summary>Elements per parallel chunk at least (≈ 64-128 KiB of traffic per chunk).</summary>
    private const long Grain = 8192;

    /// <summary>Runs the update over [0, n), split over threads in chunks. Results do not depend on the thread count
    /// or the vector width (lanes are independent and every width computes the same operations).</summary>
    public static void Run(TMath math, float* p, float* g, float* s1, float* s2, long n, int threads) =>
        CpuParallel.For(n, threads, Grain, new OptimizerBody<TMath>(math, p, g, s1, s2), Chunk);

    /// <summary>One chunk; optimised from the first call (a training step calls it only a few times per tensor).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Chunk(OptimizerBody<TMath> body, long begin, long end) => ElementLoop.Run(ref body, begin, end);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scalar(long i)
    {
        float a = TMath.States >= 1 ? s1[i] : 0f, b = TMath.States >= 2 ? s2[i] : 0f;
        math.Invoke(ref p[i], g[i], ref a, ref b);
        if (TMath.States >= 1) s1[i] = a;
        if (TMath.States >= 2) s2[i] = b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V128(long i)
    {
        var pv = Vector128.Load(p + i);
        var a = TMath.States >= 1 ? Vector128.Load(s1 + i) : default;
        var b = TMath.States >= 2 ? Vector128.Load(s2 + i) : default;
        math.Invoke(ref pv, Vector128.Load(g + i), ref a, ref b);
        pv.Store(p + i);
        if (TMath.States >= 1) a.Store(s1 + i);
        if (TMath.States >= 2) b.Store(s2 + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V256(long i)
    {
        var pv = Vector256.Load(p + i);
        var a = TMath.States >= 1 ? Vector256.Load(s1 + i) : default;
        var b = TMath.States >= 2 ? Vector256.Load(s2 + i) : default;
        math.Invoke(ref pv, Vector256.Load(g + i), ref a, ref b);
        pv.Store(p + i);
        if (TMath.States >= 1) a.Store(s1 + i);
        if (TMath.States >= 2) b.Store(s2 + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V512(long i)
    {
        var pv = Vector512.Load(p + i);
        var a = TMath.States >= 1 ? Vector512.Load(s1 + i) : default;
        var b = TMath.States >= 2 ? Vector512.Load(s2 + i) : default;
        math.Invoke(ref pv, Vector512.Load(g + i), ref a, ref b);
        pv.Store(p + i);
        if (TMath.States >= 1) a.Store(s1 + i);
        if (TMath.States >= 2) b.Store(s2 + i);
    }

    public void V512NonTemporal(long i) => V512(i);

    public readonly nint Output => (nint)p;
}
