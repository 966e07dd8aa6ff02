using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Kernels.Linalg;

// The micro-kernels of Sgemm: an MR × NR tile of C = α·A panel·B panel + β·C, accumulated in registers.
internal static unsafe partial class Sgemm
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MicroKernel(GemmIsa isa, int kc, float* a, float* b, float* c, long ldc, float alpha, float beta)
    {
        switch (isa)
        {
            case GemmIsa.Vector512: Kernel512(kc, a, b, c, ldc, alpha, beta); break;
            case GemmIsa.Vector256:
                Kernel256(kc, a, b, c, ldc, alpha, beta);
                Kernel256(kc, a, b + 16, c + 16, ldc, alpha, beta);
                break;
            default: KernelScalar(kc, a, b, c, ldc, alpha, beta); break;
        }
    }

    /// <summary>6×32 tile with twelve 512-bit accumulators: per depth step two B loads, six A broadcasts, twelve FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            a += MR;
            b += NR;
        }
        Store512(c, c00, c01, alpha, beta); c += ldc;
        Store512(c, c10, c11, alpha, beta); c += ldc;
        Store512(c, c20, c21, alpha, beta); c += ldc;
        Store512(c, c30, c31, alpha, beta); c += ldc;
        Store512(c, c40, c41, alpha, beta); c += ldc;
        Store512(c, c50, c51, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, Vector512<float> v0, Vector512<float> v1, float alpha, float beta)
    {
        var va = Vector512.Create(alpha);
        v0 *= va;
        v1 *= va;
        if (beta != 0f)
        {
            var vb = Vector512.Create(beta);
            v0 = Vector512.FusedMultiplyAdd(vb, Vector512.Load(c), v0);
            v1 = Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 16), v1);
        }
        v0.Store(c);
        v1.Store(c + 16);
    }

    /// <summary>6×16 half of a panel with twelve 256-bit accumulators (B rows are NR apart in the packed panel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            a += MR;
            b += NR;
        }
        Store256(c, c00, c01, alpha, beta); c += ldc;
        Store256(c, c10, c11, alpha, beta); c += ldc;
        Store256(c, c20, c21, alpha, beta); c += ldc;
        Store256(c, c30, c31, alpha, beta); c += ldc;
        Store256(c, c40, c41, alpha, beta); c += ldc;
        Store256(c, c50, c51, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, Vector256<float> v0, Vector256<float> v1, float alpha, float beta)
    {
        var va = Vector256.Create(alpha);
        v0 *= va;
        v1 *= va;
        if (beta != 0f)
        {
            var vb = Vector256.Create(beta);
            v0 = Vector256.FusedMultiplyAdd(vb, Vector256.Load(c), v0);
            v1 = Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 8), v1);
        }
        v0.Store(c);
        v1.Store(c + 8);
    }

    private static void KernelScalar(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta)
    {
        float* acc = stackalloc float[MR * NR];
        new Span<float>(acc, MR * NR).Clear();
        for (int p = 0; p < kc; p++, a += MR, b += NR)
            for (int r = 0; r < MR; r++)
            {
                float x = a[r];
                float* row = acc + r * NR;
                for (int j = 0; j < NR; j++) row[j] += x * b[j];
            }
        for (int r = 0; r < MR; r++)
        {
            float* dst = c + r * ldc;
            float* src = acc + r * NR;
            if (beta == 0f) for (int j = 0; j < NR; j++) dst[j] = alpha * src[j];
            else for (int j = 0; j < NR; j++) dst[j] = alpha * src[j] + beta * dst[j];
        }
    }
}
