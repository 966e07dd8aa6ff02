using System.Runtime.Intrinsics;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Attention;

/// <summary>The one matrix primitive the attention kernels need: a row vector times a row-major matrix,
/// c[0..n) (+)= Σₜ a[t]·B[t·ldb + 0..n). Columns are processed in register blocks (4×Vector512, then Vector512,
/// Vector256, Vector128, scalar) so the accumulators stay in registers across the whole t loop. Like every
/// contraction (Sgemm, DirectConv) each term is one fused multiply-add, at every width and in the scalar tail, so a
/// column's value does not depend on the width that computed it. The row primitives of the attention softmax
/// (<see cref="ScaleMaskMax"/>, <see cref="ExpSum"/>, <see cref="SoftmaxGrad"/>) run on the Simd drivers.</summary>
internal static unsafe class AttentionSimd
{
    /// <summary>c[0..n) (+)= Σₜ a[t]·B[t, 0..n); when accumulating, c is multiplied by <paramref name="cScale"/> as it is
    /// loaded.</summary>
    public static void RowTimesMatrix(float* a, int k, float* b, long ldb, int n, float* c, bool accumulate, float cScale = 1f)
    {
        int j = 0;
        if (VectorWidth.Use512)
        {
            for (; j <= n - 64; j += 64)
            {
                Vector512<float> c0, c1, c2, c3;
                if (accumulate)
                {
                    var sc = Vector512.Create(cScale);
                    c0 = Vector512.Load(c + j) * sc; c1 = Vector512.Load(c + j + 16) * sc; c2 = Vector512.Load(c + j + 32) * sc; c3 = Vector512.Load(c + j + 48) * sc;
                }
                else { c0 = c1 = c2 = c3 = Vector512<float>.Zero; }
                float* bp = b + j;
                for (int t = 0; t < k; t++, bp += ldb)
                {
                    var at = Vector512.Create(a[t]);
                    c0 = Vector512.FusedMultiplyAdd(at, Vector512.Load(bp), c0);
                    c1 = Vector512.FusedMultiplyAdd(at, Vector512.Load(bp + 16), c1);
                    c2 = Vector512.FusedMultiplyAdd(at, Vector512.Load(bp + 32), c2);
                    c3 = Vector512.FusedMultiplyAdd(at, Vector512.Load(bp + 48), c3);
                }
                c0.Store(c + j); c1.Store(c + j + 16); c2.Store(c + j + 32); c3.Store(c + j + 48);
            }
            for (; j <= n - 16; j += 16)
            {
                var c0 = accumulate ? Vector512.Load(c + j) * Vector512.Create(cScale) : Vector512<float>.Zero;
                float* bp = b + j;
                for (int t = 0; t < k; t++, bp += ldb) c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[t]), Vector512.Load(bp), c0);
                c0.Store(c + j);
            }
        }
        if (VectorWidth.Use256)
        {
            for (; j <= n - 32; j += 32)
            {
                Vector256<float> c0, c1, c2, c3;
                if (accumulate)
                {
                    var sc = Vector256.Create(cScale);
                    c0 = Vector256.Load(c + j) * sc; c1 = Vector256.Load(c + j + 8) * sc; c2 = Vector256.Load(c + j + 16) * sc; c3 = Vector256.Load(c + j + 24) * sc;
                }
                else { c0 = c1 = c2 = c3 = Vector256<float>.Zero; }
                float* bp = b + j;
                for (int t = 0; t < k; t++, bp += ldb)
                {
                    var at = Vector256.Create(a[t]);
                    c0 = Vector256.FusedMultiplyAdd(at, Vector256.Load(bp), c0);
                    c1 = Vector256.FusedMultiplyAdd(at, Vector256.Load(bp + 8), c1);
                    c2 = Vector256.FusedMultiplyAdd(at, Vector256.Load(bp + 16), c2);
                    c3 = Vector256.FusedMultiplyAdd(at, Vector256.Load(bp + 24), c3);
                }
                c0.Store(c + j); c1.Store(c + j + 8); c2.Store(c + j + 16); c3.Store(c + j + 24);
            }
            for (; j <= n - 8; j += 8)
            {
                var c0 = accumulate ? Vector256.Load(c + j) * Vector256.Create(cScale) : Vector256<float>.Zero;
                float* bp = b + j;
                for (int t = 0; t < k; t++, bp += ldb) c0 = Vector256.FusedMultiplyAdd(Vector256.Create(a[t]), Vector256.Load(bp), c0);
                c0.Store(c + j);
            }
        }
        if (VectorWidth.Use128)
        {
            for (; j <= n - 4; j += 4)
            {
                var c0 = accumulate ? Vector128.Load(c + j) * Vector128.Create(cScale) : Vector128<float>.Zero;
                float* bp = b + j;
                for (int t = 0; t < k; t++, bp += ldb) c0 = Vector128.FusedMultiplyAdd(Vector128.Create(a[t]), Vector128.Load(bp), c0);
                c0.Store(c + j);
            }
        }
        for (; j < n; j++)
        {
            float s = accumulate ? c[j] * cScale : 0f;
            float* bp = b + j;
            for (int t = 0; t < k; t++, bp += ldb) s = MathF.FusedMultiplyAdd(a[t], *bp, s);
            c[j] = s;
        }
    }

    /// <summary>C[r, 0..n) (+)= Σₜ A[r, t]·B[t, 0..n) for r &lt; rows ≤ 4 (A row stride lda, C row stride ldc). With four rows
    /// and Vector512, a 4×64 block of C stays in 16 registers while t runs, so each loaded B vector feeds four FMAs.
    /// When accumulating, row r of C is multiplied by <paramref name="cScale"/>[r] (if given) as it is loaded: the online
    /// softmax's rescaling, the same products a separate pass would make.</summary>
    public static void RowsTimesMatrix(float* a, long lda, int rows, int k, float* b, long ldb, int n, float* c, long ldc, bool accumulate,
        float* cScale = null)
    {
        int j = 0;
        if (rows == 4 && VectorWidth.Use512)
        {
            Vector512<float> s0 = Vector512<float>.One, s1 = s0, s2 = s0, s3 = s0;
            if (cScale != null) (s0, s1, s2, s3) = (Vector512.Create(cScale[0]), Vector512.Create(cScale[1]), Vector512.Create(cScale[2]), Vector512.Create(cScale[3]));
            float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
            float* r0 = c, r1 = c + ldc, r2 = c + 2 * ldc, r3 = c + 3 * ldc;
            for (; j <= n - 64; j += 64)
            {
                Vector512<float> c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33;
                if (accumulate)
                {
                    c00 = Vector512.Load(r0 + j) * s0; c01 = Vector512.Load(r0 + j + 16) * s0; c02 = Vector512.Load(r0 + j + 32) * s0; c03 = Vector512.Load(r0 + j + 48) * s0;
                    c10 = Vector512.Load(r1 + j) * s1; c11 = Vector512.Load(r1 + j + 16) * s1; c12 = Vector512.Load(r1 + j + 32) * s1; c13 = Vector512.Load(r1 + j + 48) * s1;
                    c20 = Vector512.Load(r2 + j) * s2; c21 = Vector512.Load(r2 + j + 16) * s2; c22 = Vector512.Load(r2 + j + 32) * s2; c23 = Vector512.Load(r2 + j + 48) * s2;
                    c30 = Vector512.Load(r3 + j) * s3; c31 = Vector512.Load(r3 + j + 16) * s3; c32 = Vector512.Load(r3 + j + 32) * s3; c33 = Vector512.Load(r3 + j + 48) * s3;
                }
                else
                {
                    c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = Vector512<float>.Zero;
                }
                float* bp = b + j;
                for (int t = 0; t < k; t++, bp += ldb)
                {
                    var b0 = Vector512.Load(bp); var b1 = Vector512.Load(bp + 16); var b2 = Vector512.Load(bp + 32); var b3 = Vector512.Load(bp + 48);
                    var x = Vector512.Create(a0[t]);
                    c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                    c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
                    x = Vector512.Create(a1[t]);
                    c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                    c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
                    x = Vector512.Create(a2[t]);
                    c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                    c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
                    x = Vector512.Create(a3[t]);
                    c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                    c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
                }
                c00.Store(r0 + j); c01.Store(r0 + j + 16); c02.Store(r0 + j + 32); c03.Store(r0 + j + 48);
                c10.Store(r1 + j); c11.Store(r1 + j + 16); c12.Store(r1 + j + 32); c13.Store(r1 + j + 48);
                c20.Store(r2 + j); c21.Store(r2 + j + 16); c22.Store(r2 + j + 32); c23.Store(r2 + j + 48);
                c30.Store(r3 + j); c31.Store(r3 + j + 16); c32.Store(r3 + j + 32); c33.Store(r3 + j + 48);
            }
            for (; j <= n - 16; j += 16)
            {
                Vector512<float> c0, c1, c2, c3;
                if (accumulate) { c0 = Vector512.Load(r0 + j) * s0; c1 = Vector512.Load(r1 + j) * s1; c2 = Vector512.Load(r2 + j) * s2; c3 = Vector512.Load(r3 + j) * s3; }
                else { c0 = c1 = c2 = c3 = Vector512<float>.Zero; }
                float* bp = b + j;
                for (int t = 0; t < k; t++, bp += ldb)
                {
                    var bv = Vector512.Load(bp);
                    c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[t]), bv, c0);
                    c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[t]), bv, c1);
                    c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[t]), bv, c2);
                    c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[t]), bv, c3);
                }
                c0.Store(r0 + j); c1.Store(r1 + j); c2.Store(r2 + j); c3.Store(r3 + j);
            }
        }
        if (j < n)
            for (int r = 0; r < rows; r++) RowTimesMatrix(a + r * lda, k, b + j, ldb, n - j, c + r * ldc + j, accumulate, cScale == null ? 1f : cScale[r]);
    }

    /// <summary>s ← scale·s + mask (mask: null or n contiguous values), −∞ from index <paramref name="limit"/> on;
    /// returns max(s).</summary>
    public static float ScaleMaskMax(float* s, int n, float scale, float* mask, int limit)
    {
        var body = new ScaleMaskBody(s, scale, mask, limit);
        return RowReduce.Run(ref body, new MaxReduce(), n, out _);
    }

    /// <summary>c[0..n) ← c·α (one product per element, as TensorPrimitives.Multiply; without its call overhead).</summary>
    public static void Scale(float* c, int n, float alpha)
    {
        int j = 0;
        if (VectorWidth.Use512)
            for (; j <= n - 16; j += 16) (Vector512.Load(c + j) * Vector512.Create(alpha)).Store(c + j);
        if (VectorWidth.Use256)
            for (; j <= n - 8; j += 8) (Vector256.Load(c + j) * Vector256.Create(alpha)).Store(c + j);
        if (VectorWidth.Use128)
            for (; j <= n - 4; j += 4) (Vector128.Load(c + j) * Vector128.Create(alpha)).Store(c + j);
        for (; j < n; j++) c[j] *= alpha;
    }

    /// <summary>s ← exp(s − m); returns Σ s.</summary>
    public static float ExpSum(float* s, int n, float m) => RowReduce.Run(new ExpShiftMath(m), new SumReduce(), s, s, n);

    /// <summary>ds = p∘(dp − dRow)·scale.</summary>
    public static void SoftmaxGrad(float* p, float* dp, float* ds, int n, float dRow, float scale) =>
        Drivers.Map(new SoftmaxGradMath(dRow, scale), p, dp, ds, n);

    /// <summary>dst [cols, rows] = srcᵀ for src [rows, cols] with row stride lds (dst row stride ldd).</summary>
    public static void Transpose(float* src, long lds, int rows, int cols, float* dst, long ldd)
    {
        for (int r = 0; r < rows; r++)
        {
            float* s = src + r * lds;
            for (int c = 0; c < cols; c++) dst[c * ldd + r] = s[c];
        }
    }
}
