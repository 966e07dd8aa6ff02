using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Kernels.Attention;

/// <summary>The one matrix primitive the attention kernels need: a row vector times a row-major matrix,
/// c[0..n) (+)= Σₜ a[t]·B[t·ldb + 0..n). Columns are processed in register blocks (4×Vector512, then Vector512,
/// Vector256, Vector128, scalar) so the accumulators stay in registers across the whole t loop.</summary>
internal static unsafe class AttentionSimd
{
    public static void RowTimesMatrix(float* a, int k, float* b, long ldb, int n, float* c, bool accumulate)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= n - 64; j += 64)
            {
                Vector512<float> c0, c1, c2, c3;
                if (accumulate) { c0 = Vector512.Load(c + j); c1 = Vector512.Load(c + j + 16); c2 = Vector512.Load(c + j + 32); c3 = Vector512.Load(c + j + 48); }
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
                var c0 = accumulate ? Vector512.Load(c + j) : Vector512<float>.Zero;
                float* bp = b + j;
                for (int t = 0; t < k; t++, bp += ldb) c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[t]), Vector512.Load(bp), c0);
                c0.Store(c + j);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= n - 32; j += 32)
            {
                Vector256<float> c0, c1, c2, c3;
                if (accumulate) { c0 = Vector256.Load(c + j); c1 = Vector256.Load(c + j + 8); c2 = Vector256.Load(c + j + 16); c3 = Vector256.Load(c + j + 24); }
                else { c0 = c1 = c2 = c3 = Vector256<float>.Zero; }
                float* bp = b + j;
                for (int t = 0; t < k; t++, bp += ldb)
                {
                    var at = Vector256.Create(a[t]);
                    c0 += at * Vector256.Load(bp);
                    c1 += at * Vector256.Load(bp + 8);
                    c2 += at * Vector256.Load(bp + 16);
                    c3 += at * Vector256.Load(bp + 24);
                }
                c0.Store(c + j); c1.Store(c + j + 8); c2.Store(c + j + 16); c3.Store(c + j + 24);
            }
            for (; j <= n - 8; j += 8)
            {
                var c0 = accumulate ? Vector256.Load(c + j) : Vector256<float>.Zero;
                float* bp = b + j;
                for (int t = 0; t < k; t++, bp += ldb) c0 += Vector256.Create(a[t]) * Vector256.Load(bp);
                c0.Store(c + j);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; j <= n - 4; j += 4)
            {
                var c0 = accumulate ? Vector128.Load(c + j) : Vector128<float>.Zero;
                float* bp = b + j;
                for (int t = 0; t < k; t++, bp += ldb) c0 += Vector128.Create(a[t]) * Vector128.Load(bp);
                c0.Store(c + j);
            }
        }
        for (; j < n; j++)
        {
            float s = accumulate ? c[j] : 0f;
            float* bp = b + j;
            for (int t = 0; t < k; t++, bp += ldb) s += a[t] * *bp;
            c[j] = s;
        }
    }

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
