using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Kernels.Optimizer;

/// <summary>The math of one fused optimizer update on one lane: parameter p, gradient g and up to two state values
/// (s1, s2), all updated in place. <see cref="OptimizerBody{TMath}"/> loads and stores; the math only computes. Every
/// overload computes the same IEEE operations in the same order (no FMA contraction), so vector and scalar lanes give
/// bit-identical results.</summary>
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
