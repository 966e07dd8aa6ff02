using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Kernels.Optimizer;

/// <summary>The math of one fused optimizer update on one lane: parameter p, gradient g and up to two state values
/// (s1, s2), all updated in place. Drivers load and store; the math only computes. Every overload computes the same IEEE
/// operations in the same order (no FMA contraction), so vector and scalar lanes give bit-identical results.</summary>
internal interface IOptimizerMath
{
    /// <summary>How many state tensors the update reads and writes (0, 1 or 2).</summary>
    static abstract int States { get; }

    void Invoke(ref float p, float g, ref float s1, ref float s2);
    void Invoke(ref Vector128<float> p, Vector128<float> g, ref Vector128<float> s1, ref Vector128<float> s2);
    void Invoke(ref Vector256<float> p, Vector256<float> g, ref Vector256<float> s1, ref Vector256<float> s2);
    void Invoke(ref Vector512<float> p, Vector512<float> g, ref Vector512<float> s1, ref Vector512<float> s2);
}

/// <summary>p ← p − lr·(g + wd·p).</summary>
internal readonly struct SgdMath(float lr, float wd) : IOptimizerMath
{
    public static int States => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref float p, float g, ref float s1, ref float s2) => p -= lr * (g + wd * p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref Vector128<float> p, Vector128<float> g, ref Vector128<float> s1, ref Vector128<float> s2) => p -= lr * (g + wd * p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref Vector256<float> p, Vector256<float> g, ref Vector256<float> s1, ref Vector256<float> s2) => p -= lr * (g + wd * p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref Vector512<float> p, Vector512<float> g, ref Vector512<float> s1, ref Vector512<float> s2) => p -= lr * (g + wd * p);
}

/// <summary>Momentum in one form that covers PyTorch and ONNX: g' = g + wd·p; v ← decay·v + scale·g';
/// p ← p − lr·(nesterov ? g' + mu·v : v). (s1 = v.)</summary>
internal readonly struct MomentumMath(float lr, float wd, float decay, float scale, float mu, bool nesterov) : IOptimizerMath
{
    public static int States => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref float p, float g, ref float v, ref float s2)
    {
        float gr = g + wd * p;
        v = decay * v + scale * gr;
        p -= lr * (nesterov ? gr + mu * v : v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref Vector128<float> p, Vector128<float> g, ref Vector128<float> v, ref Vector128<float> s2)
    {
        var gr = g + wd * p;
        v = decay * v + scale * gr;
        p -= lr * (nesterov ? gr + mu * v : v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref Vector256<float> p, Vector256<float> g, ref Vector256<float> v, ref Vector256<float> s2)
    {
        var gr = g + wd * p;
        v = decay * v + scale * gr;
        p -= lr * (nesterov ? gr + mu * v : v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref Vector512<float> p, Vector512<float> g, ref Vector512<float> v, ref Vector512<float> s2)
    {
        var gr = g + wd * p;
        v = decay * v + scale * gr;
        p -= lr * (nesterov ? gr + mu * v : v);
    }
}

/// <summary>Adam in one form that covers Adam, AdamW and ONNX Adam (s1 = m, s2 = v):
/// g' = g + l2·p; p ← p·pre; m ← b1·m + (1−b1)·g'; v ← b2·v + (1−b2)·g'²;
/// p ← (p − step·m / (√v·c2 + eps))·post.</summary>
internal readonly struct AdamMath(float l2, float pre, float b1, float b2, float c2, float eps, float step, float post) : IOptimizerMath
{
    public static int States => 2;

    private readonly float _ob1 = 1f - b1, _ob2 = 1f - b2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref float p, float g, ref float m, ref float v)
    {
        float gr = g + l2 * p;
        m = b1 * m + _ob1 * gr;
        v = b2 * v + _ob2 * (gr * gr);
        p = (p * pre - step * m / (MathF.Sqrt(v) * c2 + eps)) * post;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref Vector128<float> p, Vector128<float> g, ref Vector128<float> m, ref Vector128<float> v)
    {
        var gr = g + l2 * p;
        m = b1 * m + _ob1 * gr;
        v = b2 * v + _ob2 * (gr * gr);
        p = (p * pre - step * m / (Vector128.Sqrt(v) * c2 + Vector128.Create(eps))) * post;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref Vector256<float> p, Vector256<float> g, ref Vector256<float> m, ref Vector256<float> v)
    {
        var gr = g + l2 * p;
        m = b1 * m + _ob1 * gr;
        v = b2 * v + _ob2 * (gr * gr);
        p = (p * pre - step * m / (Vector256.Sqrt(v) * c2 + Vector256.Create(eps))) * post;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref Vector512<float> p, Vector512<float> g, ref Vector512<float> m, ref Vector512<float> v)
    {
        var gr = g + l2 * p;
        m = b1 * m + _ob1 * gr;
        v = b2 * v + _ob2 * (gr * gr);
        p = (p * pre - step * m / (Vector512.Sqrt(v) * c2 + Vector512.Create(eps))) * post;
    }
}

/// <summary>Runs an <see cref="IOptimizerMath"/> over contiguous float arrays: one pass, Vector512 → 256 → 128 → scalar,
/// split over threads in chunks. Results do not depend on the thread count (lanes are independent and every width
/// computes the same operations).</summary>
internal static unsafe class OptimizerDriver
{
    /// <summary>Elements per parallel chunk at least (≈ 64-128 KiB of traffic per chunk).</summary>
    private const long Grain = 8192;

    public static void Run<TMath>(TMath math, float* p, float* g, float* s1, float* s2, long n, int threads) where TMath : struct, IOptimizerMath
    {
        var state = (math, (nint)p, (nint)g, (nint)s1, (nint)s2);
        CpuParallel.For(n, threads, Grain, state, static (st, begin, end) =>
            Range(st.math, (float*)st.Item2, (float*)st.Item3, (float*)st.Item4, (float*)st.Item5, begin, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Range<TMath>(TMath math, float* p, float* g, float* s1, float* s2, long begin, long end) where TMath : struct, IOptimizerMath
    {
        long i = begin;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= end; i += 16)
            {
                var pv = Vector512.Load(p + i);
                var a = TMath.States >= 1 ? Vector512.Load(s1 + i) : default;
                var b = TMath.States >= 2 ? Vector512.Load(s2 + i) : default;
                math.Invoke(ref pv, Vector512.Load(g + i), ref a, ref b);
                pv.Store(p + i);
                if (TMath.States >= 1) a.Store(s1 + i);
                if (TMath.States >= 2) b.Store(s2 + i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= end; i += 8)
            {
                var pv = Vector256.Load(p + i);
                var a = TMath.States >= 1 ? Vector256.Load(s1 + i) : default;
                var b = TMath.States >= 2 ? Vector256.Load(s2 + i) : default;
                math.Invoke(ref pv, Vector256.Load(g + i), ref a, ref b);
                pv.Store(p + i);
                if (TMath.States >= 1) a.Store(s1 + i);
                if (TMath.States >= 2) b.Store(s2 + i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= end; i += 4)
            {
                var pv = Vector128.Load(p + i);
                var a = TMath.States >= 1 ? Vector128.Load(s1 + i) : default;
                var b = TMath.States >= 2 ? Vector128.Load(s2 + i) : default;
                math.Invoke(ref pv, Vector128.Load(g + i), ref a, ref b);
                pv.Store(p + i);
                if (TMath.States >= 1) a.Store(s1 + i);
                if (TMath.States >= 2) b.Store(s2 + i);
            }
        }
        float dummy1 = 0, dummy2 = 0;
        for (; i < end; i++)
        {
            ref float a = ref TMath.States >= 1 ? ref s1[i] : ref dummy1;
            ref float b = ref TMath.States >= 2 ? ref s2[i] : ref dummy2;
            math.Invoke(ref p[i], g[i], ref a, ref b);
        }
    }
}
