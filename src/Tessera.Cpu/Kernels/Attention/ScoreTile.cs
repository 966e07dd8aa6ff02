using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Attention;

/// <summary>A block of attention scores for 4 query rows and 16 to 64 keys made in registers: S[r, j] = scale·(q_r · K[:, j]) (+ mask[r, j]), −∞ for
/// j ≥ limit[r], stored row by row with each row's maximum. The products are those of
/// <see cref="AttentionSimd.RowsTimesMatrix"/> (one fused multiply-add per term, in order) and the rest the arithmetic of
/// <see cref="ScaleMaskBody"/>, and a maximum does not depend on its order, so the values equal those of the two run
/// one after the other — bit for bit, at any width — without a row reduction per row.</summary>
internal static unsafe class ScoreTile
{
    /// <summary>Whether the fused block runs (it needs Vector512).</summary>
    public static bool Applies => VectorWidth.Use512;

    /// <summary>Rows q + r·ldq (r &lt; 4) of length d times the first <paramref name="cols"/> (16, 32, 48 or 64) columns of a
    /// packed key tile (d rows of 64); the mask (null, or rows of ≥ cols contiguous values at stride ldMask) and the
    /// limits per row; s has rows of 64.</summary>
    public static void Run(float* q, long ldq, int d, float* kTile, int cols, float scale, float* mask, long ldMask, int* limit,
        float* s, float* rowMax)
    {
        switch (cols)
        {
            case 16: Run<Blocks1>(q, ldq, d, kTile, scale, mask, ldMask, limit, s, rowMax); break;
            case 32: Run<Blocks2>(q, ldq, d, kTile, scale, mask, ldMask, limit, s, rowMax); break;
            case 48: Run<Blocks3>(q, ldq, d, kTile, scale, mask, ldMask, limit, s, rowMax); break;
            default: Run<Blocks4>(q, ldq, d, kTile, scale, mask, ldMask, limit, s, rowMax); break;
        }
    }

    private static void Run<TBlocks>(float* q, long ldq, int d, float* kTile, float scale, float* mask, long ldMask, int* limit,
        float* s, float* rowMax) where TBlocks : struct, IBlocks
    {
        int nb = TBlocks.Count;
        Vector512<float> c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33;
        c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = Vector512<float>.Zero;
        float* q0 = q, q1 = q + ldq, q2 = q + 2 * ldq, q3 = q + 3 * ldq;
        float* bp = kTile;
        for (int t = 0; t < d; t++, bp += 64)
        {
            var x0 = Vector512.Create(q0[t]); var x1 = Vector512.Create(q1[t]); var x2 = Vector512.Create(q2[t]); var x3 = Vector512.Create(q3[t]);
            var b = Vector512.Load(bp);
            c00 = Vector512.FusedMultiplyAdd(x0, b, c00); c10 = Vector512.FusedMultiplyAdd(x1, b, c10);
            c20 = Vector512.FusedMultiplyAdd(x2, b, c20); c30 = Vector512.FusedMultiplyAdd(x3, b, c30);
            if (nb < 2) continue;
            b = Vector512.Load(bp + 16);
            c01 = Vector512.FusedMultiplyAdd(x0, b, c01); c11 = Vector512.FusedMultiplyAdd(x1, b, c11);
            c21 = Vector512.FusedMultiplyAdd(x2, b, c21); c31 = Vector512.FusedMultiplyAdd(x3, b, c31);
            if (nb < 3) continue;
            b = Vector512.Load(bp + 32);
            c02 = Vector512.FusedMultiplyAdd(x0, b, c02); c12 = Vector512.FusedMultiplyAdd(x1, b, c12);
            c22 = Vector512.FusedMultiplyAdd(x2, b, c22); c32 = Vector512.FusedMultiplyAdd(x3, b, c32);
            if (nb < 4) continue;
            b = Vector512.Load(bp + 48);
            c03 = Vector512.FusedMultiplyAdd(x0, b, c03); c13 = Vector512.FusedMultiplyAdd(x1, b, c13);
            c23 = Vector512.FusedMultiplyAdd(x2, b, c23); c33 = Vector512.FusedMultiplyAdd(x3, b, c33);
        }
        rowMax[0] = Row<TBlocks>(c00, c01, c02, c03, scale, mask, limit[0], s);
        rowMax[1] = Row<TBlocks>(c10, c11, c12, c13, scale, mask == null ? null : mask + ldMask, limit[1], s + 64);
        rowMax[2] = Row<TBlocks>(c20, c21, c22, c23, scale, mask == null ? null : mask + 2 * ldMask, limit[2], s + 128);
        rowMax[3] = Row<TBlocks>(c30, c31, c32, c33, scale, mask == null ? null : mask + 3 * ldMask, limit[3], s + 192);
    }

    /// <summary>One row's products (the first TBlocks vectors of v0..v3) scaled, masked, limited and stored; returns
    /// their maximum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Row<TBlocks>(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, float scale,
        float* mask, int limit, float* s) where TBlocks : struct, IBlocks
    {
        int nb = TBlocks.Count;
        var ninf = Vector512.Create(float.NegativeInfinity);
        v0 = Finish(v0, 0, scale, mask, limit, s);
        v1 = nb >= 2 ? Finish(v1, 16, scale, mask, limit, s) : ninf;
        v2 = nb >= 3 ? Finish(v2, 32, scale, mask, limit, s) : ninf;
        v3 = nb >= 4 ? Finish(v3, 48, scale, mask, limit, s) : ninf;
        var m = Vector512.Max(Vector512.Max(v0, v1), Vector512.Max(v2, v3));
        var h = Vector256.Max(m.GetLower(), m.GetUpper());
        var e = Vector128.Max(h.GetLower(), h.GetUpper());
        return MathF.Max(MathF.Max(e.GetElement(0), e.GetElement(1)), MathF.Max(e.GetElement(2), e.GetElement(3)));
    }

    /// <summary>Columns j..j + 16 of a row: scale·v (+ mask), −∞ from the limit on, stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Finish(Vector512<float> v, int j, float scale, float* mask, int limit, float* s)
    {
        v *= Vector512.Create(scale);
        if (mask != null) v += Vector512.Load(mask + j);
        if (j + 16 > limit)
        {
            var idx = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + Vector512.Create(j);
            v = Vector512.ConditionalSelect(Vector512.LessThan(idx, Vector512.Create(limit)).AsSingle(), v, Vector512.Create(float.NegativeInfinity));
        }
        v.Store(s + j);
        return v;
    }

    /// <summary>How many 16-column blocks a score block has, as a type (so each count compiles to its own loop).</summary>
    private interface IBlocks
    {
        static abstract int Count { get; }
    }

    private struct Blocks1 : IBlocks { public static int Count => 1; }
    private struct Blocks2 : IBlocks { public static int Count => 2; }
    private struct Blocks3 : IBlocks { public static int Count => 3; }
    private struct Blocks4 : IBlocks { public static int Count => 4; }
}
