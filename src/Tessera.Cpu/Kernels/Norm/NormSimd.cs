using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Kernels.Norm;

/// <summary>Row primitives of the normalisation kernels over contiguous float spans. Each runs a Vector512 loop,
/// then Vector256, then Vector128 on what is left (or on everything when the wider width is not accelerated),
/// then a scalar tail.</summary>
internal static unsafe class NormSimd
{
    /// <summary>Σ x.</summary>
    public static float Sum(float* x, int n)
    {
        int i = 0;
        float s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> a0 = default, a1 = default;
            for (; i <= n - 32; i += 32) { a0 += Vector512.Load(x + i); a1 += Vector512.Load(x + i + 16); }
            for (; i <= n - 16; i += 16) a0 += Vector512.Load(x + i);
            s += Vector512.Sum(a0 + a1);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            Vector256<float> a0 = default, a1 = default;
            for (; i <= n - 16; i += 16) { a0 += Vector256.Load(x + i); a1 += Vector256.Load(x + i + 8); }
            for (; i <= n - 8; i += 8) a0 += Vector256.Load(x + i);
            s += Vector256.Sum(a0 + a1);
        }
        if (Vector128.IsHardwareAccelerated && n - i >= 4)
        {
            Vector128<float> a0 = default;
            for (; i <= n - 4; i += 4) a0 += Vector128.Load(x + i);
            s += Vector128.Sum(a0);
        }
        for (; i < n; i++) s += x[i];
        return s;
    }

    /// <summary>Σ (x − m)².</summary>
    public static float SumSqDev(float* x, int n, float m)
    {
        int i = 0;
        float s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vm = Vector512.Create(m);
            Vector512<float> a0 = default, a1 = default;
            for (; i <= n - 32; i += 32)
            {
                var d0 = Vector512.Load(x + i) - vm; var d1 = Vector512.Load(x + i + 16) - vm;
                a0 = Vector512.FusedMultiplyAdd(d0, d0, a0); a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
            }
            for (; i <= n - 16; i += 16) { var d = Vector512.Load(x + i) - vm; a0 = Vector512.FusedMultiplyAdd(d, d, a0); }
            s += Vector512.Sum(a0 + a1);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            var vm = Vector256.Create(m);
            Vector256<float> a0 = default;
            for (; i <= n - 8; i += 8) { var d = Vector256.Load(x + i) - vm; a0 += d * d; }
            s += Vector256.Sum(a0);
        }
        if (Vector128.IsHardwareAccelerated && n - i >= 4)
        {
            var vm = Vector128.Create(m);
            Vector128<float> a0 = default;
            for (; i <= n - 4; i += 4) { var d = Vector128.Load(x + i) - vm; a0 += d * d; }
            s += Vector128.Sum(a0);
        }
        for (; i < n; i++) { float d = x[i] - m; s += d * d; }
        return s;
    }

    /// <summary>Σ dy and Σ dy·(x − m).</summary>
    public static void SumAndCenteredDot(float* dy, float* x, int n, float m, out float sumDy, out float sumDyXc)
    {
        int i = 0;
        float s0 = 0, s1 = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vm = Vector512.Create(m);
            Vector512<float> a0 = default, a1 = default;
            for (; i <= n - 16; i += 16)
            {
                var g = Vector512.Load(dy + i);
                a0 += g;
                a1 = Vector512.FusedMultiplyAdd(g, Vector512.Load(x + i) - vm, a1);
            }
            s0 += Vector512.Sum(a0); s1 += Vector512.Sum(a1);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            var vm = Vector256.Create(m);
            Vector256<float> a0 = default, a1 = default;
            for (; i <= n - 8; i += 8) { var g = Vector256.Load(dy + i); a0 += g; a1 += g * (Vector256.Load(x + i) - vm); }
            s0 += Vector256.Sum(a0); s1 += Vector256.Sum(a1);
        }
        if (Vector128.IsHardwareAccelerated && n - i >= 4)
        {
            var vm = Vector128.Create(m);
            Vector128<float> a0 = default, a1 = default;
            for (; i <= n - 4; i += 4) { var g = Vector128.Load(dy + i); a0 += g; a1 += g * (Vector128.Load(x + i) - vm); }
            s0 += Vector128.Sum(a0); s1 += Vector128.Sum(a1);
        }
        for (; i < n; i++) { s0 += dy[i]; s1 += dy[i] * (x[i] - m); }
        sumDy = s0;
        sumDyXc = s1;
    }

    /// <summary>y = x·a + b.</summary>
    public static void ScaleShift(float* x, float* y, int n, float a, float b)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a); var vb = Vector512.Create(b);
            for (; i <= n - 16; i += 16) Vector512.FusedMultiplyAdd(Vector512.Load(x + i), va, vb).Store(y + i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a); var vb = Vector256.Create(b);
            for (; i <= n - 8; i += 8) (Vector256.Load(x + i) * va + vb).Store(y + i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var va = Vector128.Create(a); var vb = Vector128.Create(b);
            for (; i <= n - 4; i += 4) (Vector128.Load(x + i) * va + vb).Store(y + i);
        }
        for (; i < n; i++) y[i] = x[i] * a + b;
    }

    /// <summary>r = α·u + β·(w − c) + γ.</summary>
    public static void Combine(float* u, float* w, float* r, int n, float alpha, float beta, float c, float gamma)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(alpha); var vb = Vector512.Create(beta); var vg = Vector512.Create(gamma); var vc = Vector512.Create(c);
            for (; i <= n - 16; i += 16)
                Vector512.FusedMultiplyAdd(Vector512.Load(u + i), va, Vector512.FusedMultiplyAdd(Vector512.Load(w + i) - vc, vb, vg)).Store(r + i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(alpha); var vb = Vector256.Create(beta); var vg = Vector256.Create(gamma); var vc = Vector256.Create(c);
            for (; i <= n - 8; i += 8) (Vector256.Load(u + i) * va + (Vector256.Load(w + i) - vc) * vb + vg).Store(r + i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var va = Vector128.Create(alpha); var vb = Vector128.Create(beta); var vg = Vector128.Create(gamma); var vc = Vector128.Create(c);
            for (; i <= n - 4; i += 4) (Vector128.Load(u + i) * va + (Vector128.Load(w + i) - vc) * vb + vg).Store(r + i);
        }
        for (; i < n; i++) r[i] = u[i] * alpha + (w[i] - c) * beta + gamma;
    }

    /// <summary>y = (x − m)·r·gamma + beta; gamma and beta are optional (null pointers). With
    /// <paramref name="nonTemporal"/>, 64-byte-aligned Vector512 stores bypass the cache (for outputs far larger than
    /// the cache; the caller issues a store fence before the data is shared).</summary>
    public static void AffineNormalize(float* x, float* y, float* gamma, float* beta, int n, float m, float r, bool nonTemporal = false)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m); var vr = Vector512.Create(r);
            for (; i <= n - 16; i += 16)
            {
                var v = (Vector512.Load(x + i) - vm) * vr;
                if (gamma != null) v *= Vector512.Load(gamma + i);
                if (beta != null) v += Vector512.Load(beta + i);
                if (nonTemporal && ((nuint)(y + i) & 63) == 0) v.StoreAlignedNonTemporal(y + i);
                else v.Store(y + i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m); var vr = Vector256.Create(r);
            for (; i <= n - 8; i += 8)
            {
                var v = (Vector256.Load(x + i) - vm) * vr;
                if (gamma != null) v *= Vector256.Load(gamma + i);
                if (beta != null) v += Vector256.Load(beta + i);
                v.Store(y + i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var vm = Vector128.Create(m); var vr = Vector128.Create(r);
            for (; i <= n - 4; i += 4)
            {
                var v = (Vector128.Load(x + i) - vm) * vr;
                if (gamma != null) v *= Vector128.Load(gamma + i);
                if (beta != null) v += Vector128.Load(beta + i);
                v.Store(y + i);
            }
        }
        for (; i < n; i++)
        {
            float v = (x[i] - m) * r;
            if (gamma != null) v *= gamma[i];
            if (beta != null) v += beta[i];
            y[i] = v;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float G(float* gamma, int i) => gamma == null ? 1f : gamma[i];

    /// <summary>Layer norm backward row sums: Σ g and Σ g·(x − m) with g = dy·gamma (gamma optional).</summary>
    public static void LayerNormBackwardSums(float* x, float* dy, float* gamma, int n, float m, out float sumG, out float sumGXc)
    {
        if (gamma == null) { SumAndCenteredDot(dy, x, n, m, out sumG, out sumGXc); return; }
        int i = 0;
        float s0 = 0, s1 = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vm = Vector512.Create(m);
            Vector512<float> a0 = default, a1 = default;
            for (; i <= n - 16; i += 16)
            {
                var g = Vector512.Load(dy + i) * Vector512.Load(gamma + i);
                a0 += g;
                a1 = Vector512.FusedMultiplyAdd(g, Vector512.Load(x + i) - vm, a1);
            }
            s0 += Vector512.Sum(a0); s1 += Vector512.Sum(a1);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            var vm = Vector256.Create(m);
            Vector256<float> a0 = default, a1 = default;
            for (; i <= n - 8; i += 8)
            {
                var g = Vector256.Load(dy + i) * Vector256.Load(gamma + i);
                a0 += g; a1 += g * (Vector256.Load(x + i) - vm);
            }
            s0 += Vector256.Sum(a0); s1 += Vector256.Sum(a1);
        }
        if (Vector128.IsHardwareAccelerated && n - i >= 4)
        {
            var vm = Vector128.Create(m);
            Vector128<float> a0 = default, a1 = default;
            for (; i <= n - 4; i += 4)
            {
                var g = Vector128.Load(dy + i) * Vector128.Load(gamma + i);
                a0 += g; a1 += g * (Vector128.Load(x + i) - vm);
            }
            s0 += Vector128.Sum(a0); s1 += Vector128.Sum(a1);
        }
        for (; i < n; i++) { float g = dy[i] * gamma[i]; s0 += g; s1 += g * (x[i] - m); }
        sumG = s0;
        sumGXc = s1;
    }

    /// <summary>dx = dy·gamma·r − c1 − (x − m)·c2 (gamma optional), and in the same pass dgamma += dy·(x − m)·r and
    /// dbeta += dy where those pointers are not null.</summary>
    public static void LayerNormBackwardDx(float* x, float* dy, float* gamma, float* dx, float* dgamma, float* dbeta,
        int n, float m, float r, float c1, float c2)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m); var vr = Vector512.Create(r); var v1 = Vector512.Create(c1); var v2 = Vector512.Create(c2);
            for (; i <= n - 16; i += 16)
            {
                var dyv = Vector512.Load(dy + i);
                var xc = Vector512.Load(x + i) - vm;
                var g = gamma != null ? dyv * Vector512.Load(gamma + i) : dyv;
                (g * vr - v1 - xc * v2).Store(dx + i);
                if (dgamma != null) Vector512.FusedMultiplyAdd(dyv, xc * vr, Vector512.Load(dgamma + i)).Store(dgamma + i);
                if (dbeta != null) (Vector512.Load(dbeta + i) + dyv).Store(dbeta + i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m); var vr = Vector256.Create(r); var v1 = Vector256.Create(c1); var v2 = Vector256.Create(c2);
            for (; i <= n - 8; i += 8)
            {
                var dyv = Vector256.Load(dy + i);
                var xc = Vector256.Load(x + i) - vm;
                var g = gamma != null ? dyv * Vector256.Load(gamma + i) : dyv;
                (g * vr - v1 - xc * v2).Store(dx + i);
                if (dgamma != null) (Vector256.Load(dgamma + i) + dyv * (xc * vr)).Store(dgamma + i);
                if (dbeta != null) (Vector256.Load(dbeta + i) + dyv).Store(dbeta + i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var vm = Vector128.Create(m); var vr = Vector128.Create(r); var v1 = Vector128.Create(c1); var v2 = Vector128.Create(c2);
            for (; i <= n - 4; i += 4)
            {
                var dyv = Vector128.Load(dy + i);
                var xc = Vector128.Load(x + i) - vm;
                var g = gamma != null ? dyv * Vector128.Load(gamma + i) : dyv;
                (g * vr - v1 - xc * v2).Store(dx + i);
                if (dgamma != null) (Vector128.Load(dgamma + i) + dyv * (xc * vr)).Store(dgamma + i);
                if (dbeta != null) (Vector128.Load(dbeta + i) + dyv).Store(dbeta + i);
            }
        }
        for (; i < n; i++)
        {
            float xc = x[i] - m;
            dx[i] = dy[i] * G(gamma, i) * r - c1 - xc * c2;
            if (dgamma != null) dgamma[i] += dy[i] * (xc * r);
            if (dbeta != null) dbeta[i] += dy[i];
        }
    }

    /// <summary>acc += x (element-wise).</summary>
    public static void AddInto(float* acc, float* x, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16) (Vector512.Load(acc + i) + Vector512.Load(x + i)).Store(acc + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) (Vector256.Load(acc + i) + Vector256.Load(x + i)).Store(acc + i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4) (Vector128.Load(acc + i) + Vector128.Load(x + i)).Store(acc + i);
        for (; i < n; i++) acc[i] += x[i];
    }
    // Column-wise primitives for batch norm on inputs with a small spatial size ([N, C] and the like): the per-column
    // coefficients are arrays, so a row of C·S values is processed with full-width vectors.

    /// <summary>acc += (x − center)² element-wise.</summary>
    public static void AddSqDevInto(float* acc, float* x, float* center, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var d = Vector512.Load(x + i) - Vector512.Load(center + i);
                Vector512.FusedMultiplyAdd(d, d, Vector512.Load(acc + i)).Store(acc + i);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) { var d = Vector256.Load(x + i) - Vector256.Load(center + i); (Vector256.Load(acc + i) + d * d).Store(acc + i); }
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4) { var d = Vector128.Load(x + i) - Vector128.Load(center + i); (Vector128.Load(acc + i) + d * d).Store(acc + i); }
        for (; i < n; i++) { float d = x[i] - center[i]; acc[i] += d * d; }
    }

    /// <summary>accDy += dy; accDyXc += dy·(x − center), element-wise.</summary>
    public static void AddDyAndCenteredProdInto(float* accDy, float* accDyXc, float* dy, float* x, float* center, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var g = Vector512.Load(dy + i);
                (Vector512.Load(accDy + i) + g).Store(accDy + i);
                Vector512.FusedMultiplyAdd(g, Vector512.Load(x + i) - Vector512.Load(center + i), Vector512.Load(accDyXc + i)).Store(accDyXc + i);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                var g = Vector256.Load(dy + i);
                (Vector256.Load(accDy + i) + g).Store(accDy + i);
                (Vector256.Load(accDyXc + i) + g * (Vector256.Load(x + i) - Vector256.Load(center + i))).Store(accDyXc + i);
            }
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4)
            {
                var g = Vector128.Load(dy + i);
                (Vector128.Load(accDy + i) + g).Store(accDy + i);
                (Vector128.Load(accDyXc + i) + g * (Vector128.Load(x + i) - Vector128.Load(center + i))).Store(accDyXc + i);
            }
        for (; i < n; i++) { accDy[i] += dy[i]; accDyXc[i] += dy[i] * (x[i] - center[i]); }
    }

    /// <summary>y = x·a + b with per-element coefficient arrays.</summary>
    public static void MulAddCols(float* x, float* a, float* b, float* y, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16) Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(a + i), Vector512.Load(b + i)).Store(y + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) (Vector256.Load(x + i) * Vector256.Load(a + i) + Vector256.Load(b + i)).Store(y + i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4) (Vector128.Load(x + i) * Vector128.Load(a + i) + Vector128.Load(b + i)).Store(y + i);
        for (; i < n; i++) y[i] = x[i] * a[i] + b[i];
    }

    /// <summary>r = α·u + β·(w − c) + γ with per-element coefficient arrays.</summary>
    public static void CombineCols(float* u, float* w, float* r, int n, float* alpha, float* beta, float* c, float* gamma)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
                Vector512.FusedMultiplyAdd(Vector512.Load(u + i), Vector512.Load(alpha + i),
                    Vector512.FusedMultiplyAdd(Vector512.Load(w + i) - Vector512.Load(c + i), Vector512.Load(beta + i), Vector512.Load(gamma + i))).Store(r + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                (Vector256.Load(u + i) * Vector256.Load(alpha + i) + (Vector256.Load(w + i) - Vector256.Load(c + i)) * Vector256.Load(beta + i) + Vector256.Load(gamma + i)).Store(r + i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4)
                (Vector128.Load(u + i) * Vector128.Load(alpha + i) + (Vector128.Load(w + i) - Vector128.Load(c + i)) * Vector128.Load(beta + i) + Vector128.Load(gamma + i)).Store(r + i);
        for (; i < n; i++) r[i] = u[i] * alpha[i] + (w[i] - c[i]) * beta[i] + gamma[i];
    }
}
