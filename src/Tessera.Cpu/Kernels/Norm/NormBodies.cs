using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Norm;

// Loop bodies of the normalisation kernels (several streams per element), run by ElementLoop and RowReduce. Like
// every body they compute the same IEEE operations at every width and in the scalar tail: no fused multiply-add.

/// <summary>y = (x − m)·r·γ + β; γ and β are optional (null pointers).</summary>
internal unsafe struct AffineNormalizeBody(float* x, float* y, float* gamma, float* beta, float m, float r) : IElementBody
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scalar(long i)
    {
        float v = (x[i] - m) * r;
        if (gamma != null) v *= gamma[i];
        if (beta != null) v += beta[i];
        y[i] = v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V128(long i)
    {
        var v = (Vector128.Load(x + i) - Vector128.Create(m)) * Vector128.Create(r);
        if (gamma != null) v *= Vector128.Load(gamma + i);
        if (beta != null) v += Vector128.Load(beta + i);
        v.Store(y + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V256(long i)
    {
        var v = (Vector256.Load(x + i) - Vector256.Create(m)) * Vector256.Create(r);
        if (gamma != null) v *= Vector256.Load(gamma + i);
        if (beta != null) v += Vector256.Load(beta + i);
        v.Store(y + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V512(long i) => Value512(i).Store(y + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V512NonTemporal(long i) => Value512(i).StoreAlignedNonTemporal(y + i);

    public readonly nint Output => (nint)y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly Vector512<float> Value512(long i)
    {
        var v = (Vector512.Load(x + i) - Vector512.Create(m)) * Vector512.Create(r);
        if (gamma != null) v *= Vector512.Load(gamma + i);
        if (beta != null) v += Vector512.Load(beta + i);
        return v;
    }
}

/// <summary>Layer norm backward, one row: dx = g·r − c1 − (x − m)·c2 with g = dy·γ (γ optional); in the same pass
/// dγ += dy·((x − m)·r) and dβ += dy where those pointers are not null.</summary>
internal unsafe struct LayerNormDxBody(float* x, float* dy, float* gamma, float* dx, float* dgamma, float* dbeta,
    float m, float r, float c1, float c2) : IElementBody
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scalar(long i)
    {
        float d = dy[i], xc = x[i] - m;
        float g = gamma != null ? d * gamma[i] : d;
        dx[i] = g * r - c1 - xc * c2;
        if (dgamma != null) dgamma[i] += d * (xc * r);
        if (dbeta != null) dbeta[i] += d;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V128(long i)
    {
        var d = Vector128.Load(dy + i);
        var xc = Vector128.Load(x + i) - Vector128.Create(m);
        var g = gamma != null ? d * Vector128.Load(gamma + i) : d;
        (g * Vector128.Create(r) - Vector128.Create(c1) - xc * Vector128.Create(c2)).Store(dx + i);
        if (dgamma != null) (Vector128.Load(dgamma + i) + d * (xc * Vector128.Create(r))).Store(dgamma + i);
        if (dbeta != null) (Vector128.Load(dbeta + i) + d).Store(dbeta + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V256(long i)
    {
        var d = Vector256.Load(dy + i);
        var xc = Vector256.Load(x + i) - Vector256.Create(m);
        var g = gamma != null ? d * Vector256.Load(gamma + i) : d;
        (g * Vector256.Create(r) - Vector256.Create(c1) - xc * Vector256.Create(c2)).Store(dx + i);
        if (dgamma != null) (Vector256.Load(dgamma + i) + d * (xc * Vector256.Create(r))).Store(dgamma + i);
        if (dbeta != null) (Vector256.Load(dbeta + i) + d).Store(dbeta + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V512(long i)
    {
        var d = Vector512.Load(dy + i);
        var xc = Vector512.Load(x + i) - Vector512.Create(m);
        var g = gamma != null ? d * Vector512.Load(gamma + i) : d;
        (g * Vector512.Create(r) - Vector512.Create(c1) - xc * Vector512.Create(c2)).Store(dx + i);
        if (dgamma != null) (Vector512.Load(dgamma + i) + d * (xc * Vector512.Create(r))).Store(dgamma + i);
        if (dbeta != null) (Vector512.Load(dbeta + i) + d).Store(dbeta + i);
    }

    public void V512NonTemporal(long i) => V512(i);

    public readonly nint Output => (nint)dx;
}

/// <summary>The row sums of the norm backward passes: Σg and Σg·(x − m) with g = dy·γ (γ optional).</summary>
internal unsafe struct CenteredSumsBody(float* dy, float* gamma, float* x, float m) : IReduceBody
{
    public static bool Pair => true;

    public readonly nint Output => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Scalar(long i, out float second)
    {
        float g = gamma != null ? dy[i] * gamma[i] : dy[i];
        second = g * (x[i] - m);
        return g;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector128<float> V128(long i, out Vector128<float> second)
    {
        var g = gamma != null ? Vector128.Load(dy + i) * Vector128.Load(gamma + i) : Vector128.Load(dy + i);
        second = g * (Vector128.Load(x + i) - Vector128.Create(m));
        return g;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> V256(long i, out Vector256<float> second)
    {
        var g = gamma != null ? Vector256.Load(dy + i) * Vector256.Load(gamma + i) : Vector256.Load(dy + i);
        second = g * (Vector256.Load(x + i) - Vector256.Create(m));
        return g;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> V512(long i, out Vector512<float> second)
    {
        var g = gamma != null ? Vector512.Load(dy + i) * Vector512.Load(gamma + i) : Vector512.Load(dy + i);
        second = g * (Vector512.Load(x + i) - Vector512.Create(m));
        return g;
    }
}

/// <summary>Column statistics of the narrow batch-norm backward pass: sumDy += dy; sumDyXc += dy·(x − center).</summary>
internal unsafe struct ColumnGradSumsBody(float* sumDy, float* sumDyXc, float* dy, float* x, float* center) : IElementBody
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scalar(long i)
    {
        sumDy[i] += dy[i];
        sumDyXc[i] += dy[i] * (x[i] - center[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V128(long i)
    {
        var g = Vector128.Load(dy + i);
        (Vector128.Load(sumDy + i) + g).Store(sumDy + i);
        (Vector128.Load(sumDyXc + i) + g * (Vector128.Load(x + i) - Vector128.Load(center + i))).Store(sumDyXc + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V256(long i)
    {
        var g = Vector256.Load(dy + i);
        (Vector256.Load(sumDy + i) + g).Store(sumDy + i);
        (Vector256.Load(sumDyXc + i) + g * (Vector256.Load(x + i) - Vector256.Load(center + i))).Store(sumDyXc + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V512(long i)
    {
        var g = Vector512.Load(dy + i);
        (Vector512.Load(sumDy + i) + g).Store(sumDy + i);
        (Vector512.Load(sumDyXc + i) + g * (Vector512.Load(x + i) - Vector512.Load(center + i))).Store(sumDyXc + i);
    }

    public void V512NonTemporal(long i) => V512(i);

    public readonly nint Output => (nint)sumDy;
}
