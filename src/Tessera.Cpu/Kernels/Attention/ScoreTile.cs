using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Attention;

/// <summary>One step of attention's online softmax for 4 query rows and a block of 16 to 64 keys: the products in
/// sixteen registers, stored to the rows of s, then per row the scores S[r, j] = scale·(q_r · K[:, j]) (+ mask[r, j]),
/// −∞ for j ≥ limit[r]; the running maximum m_r ← max(m_r, max_j S[r, j]); probabilities P[r, j] = e^(S[r, j] − m_r)
/// stored over the scores, their row sums, and the factor e^(m_old − m_new) for what came before. The products are
/// those of <see cref="AttentionSimd.RowsTimesMatrix"/> (one fused multiply-add per term, in order), the scores the
/// arithmetic of <see cref="ScaleMaskBody"/>, a maximum does not depend on its order, and the sums fold as
/// <see cref="RowReduce"/> folds a row of 16 to 64 elements — so the values equal those of the contraction and the row
/// reductions run one after the other (as narrower vectors do), bit for bit. A row that has seen only −∞ gets P = 0,
/// sum 0, factor 1 and keeps m = −∞.</summary>
internal static unsafe class ScoreTile
{
    /// <summary>Whether the fused block runs (it needs Vector512).</summary>
    public static bool Applies => VectorWidth.Use512;

    /// <summary>Rows q + r·ldq (r &lt; 4) of length d times the first <paramref name="cols"/> (16, 32, 48 or 64) columns of a
    /// packed key tile (d rows of 64); the mask (null, or rows of ≥ cols contiguous values at stride ldMask) and the
    /// limits per row; P goes to s (rows of 64); m[r] is updated, rowSum[r] and alpha[r] set.</summary>
    public static void Run(float* q, long ldq, int d, float* kTile, int cols, float scale, float* mask, long ldMask, int* limit,
        float* s, float* m, float* rowSum, float* alpha)
    {
        var p = new RowArgs(scale, mask, ldMask, limit, s, m, rowSum, alpha);
        switch (cols)
        {
            case 16: Run<Blocks1>(q, ldq, d, kTile, p); break;
            case 32: Run<Blocks2>(q, ldq, d, kTile, p); break;
            case 48: Run<Blocks3>(q, ldq, d, kTile, p); break;
            default: Run<Blocks4>(q, ldq, d, kTile, p); break;
        }
    }

    /// <summary>What the rows' epilogue needs besides the products.</summary>
    private readonly struct RowArgs(float scale, float* mask, long ldMask, int* limit, float* s, float* m, float* rowSum, float* alpha)
    {
        public readonly float Scale = scale;
        public readonly float* Mask = mask, S = s, M = m, RowSum = rowSum, Alpha = alpha;
        public readonly long LdMask = ldMask;
        public readonly int* Limit = limit;
    }

    private static void Run<TBlocks>(float* q, long ldq, int d, float* kTile, in RowArgs p) where TBlocks : struct, IBlocks
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
        // The products go to their rows of s, and each row's softmax step reads them back in a call of its own: with
        // the sixteen accumulators live, the exponentials' constants and temporaries were spilled to the stack.
        float* s = p.S;
        c00.Store(s); if (nb >= 2) c01.Store(s + 16); if (nb >= 3) c02.Store(s + 32); if (nb >= 4) c03.Store(s + 48);
        s += 64;
        c10.Store(s); if (nb >= 2) c11.Store(s + 16); if (nb >= 3) c12.Store(s + 32); if (nb >= 4) c13.Store(s + 48);
        s += 64;
        c20.Store(s); if (nb >= 2) c21.Store(s + 16); if (nb >= 3) c22.Store(s + 32); if (nb >= 4) c23.Store(s + 48);
        s += 64;
        c30.Store(s); if (nb >= 2) c31.Store(s + 16); if (nb >= 3) c32.Store(s + 32); if (nb >= 4) c33.Store(s + 48);
        for (int r = 0; r < 4; r++) Row<TBlocks>(p, r);
    }

    /// <summary>Row r's products, stored in its row of s, through the softmax step.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Row<TBlocks>(in RowArgs p, int r) where TBlocks : struct, IBlocks
    {
        int nb = TBlocks.Count, limit = p.Limit[r];
        float* mask = p.Mask == null ? null : p.Mask + r * p.LdMask;
        float* s = p.S + r * 64;
        var ninf = Vector512.Create(float.NegativeInfinity);
        var v0 = Score(Vector512.Load(s), 0, p.Scale, mask, limit);
        var v1 = nb >= 2 ? Score(Vector512.Load(s + 16), 16, p.Scale, mask, limit) : ninf;
        var v2 = nb >= 3 ? Score(Vector512.Load(s + 32), 32, p.Scale, mask, limit) : ninf;
        var v3 = nb >= 4 ? Score(Vector512.Load(s + 48), 48, p.Scale, mask, limit) : ninf;
        // The row's maximum (its order does not change it; the x86 maximum, one instruction a step, as the scores hold
        // no NaN that a NaN maximum would keep out of the probabilities: e^(NaN − m) is NaN whatever m is).
        var mv = Avx512F.Max(Avx512F.Max(v0, v1), Avx512F.Max(v2, v3));
        var mh = Avx.Max(mv.GetLower(), mv.GetUpper());
        var me = Sse.Max(mh.GetLower(), mh.GetUpper());
        me = Sse.Max(me, Sse.Shuffle(me, me, 0b01_00_11_10));
        me = Sse.MaxScalar(me, Sse.Shuffle(me, me, 0b10_11_00_01));
        float mOld = p.M[r], mNew = Sse.MaxScalar(Vector128.CreateScalarUnsafe(mOld), me).ToScalar();
        if (float.IsNegativeInfinity(mNew))
        {
            for (int k = 0; k < nb; k++) Vector512<float>.Zero.Store(s + 16 * k);
            p.RowSum[r] = 0f;
            p.Alpha[r] = 1f;
            return;
        }
        var zero = Vector512<float>.Zero;
        var mb = Vector512.Create(mNew);
        var e0 = FastMath.Exp(v0 - mb);
        e0.Store(s);
        Vector512<float> sum;
        if (nb == 4)
        {
            var e1 = FastMath.Exp(v1 - mb); var e2 = FastMath.Exp(v2 - mb); var e3 = FastMath.Exp(v3 - mb);
            e1.Store(s + 16); e2.Store(s + 32); e3.Store(s + 48);
            sum = ((zero + e0) + (zero + e1)) + ((zero + e2) + (zero + e3));
        }
        else
        {
            var a0 = zero + e0;
            if (nb >= 2) { var e1 = FastMath.Exp(v1 - mb); e1.Store(s + 16); a0 += e1; }
            if (nb >= 3) { var e2 = FastMath.Exp(v2 - mb); e2.Store(s + 32); a0 += e2; }
            sum = (a0 + zero) + (zero + zero);
        }
        var h = sum.GetLower() + sum.GetUpper();
        var e = h.GetLower() + h.GetUpper();
        p.RowSum[r] = (e.GetElement(0) + e.GetElement(1)) + (e.GetElement(2) + e.GetElement(3));
        p.Alpha[r] = FastMath.Exp(mOld - mNew);
        p.M[r] = mNew;
    }

    /// <summary>Columns j..j + 16 of a row: scale·v (+ mask), −∞ from the limit on, stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Score(Vector512<float> v, int j, float scale, float* mask, int limit)
    {
        v *= Vector512.Create(scale);
        if (mask != null) v += Vector512.Load(mask + j);
        if (j + 16 > limit)
        {
            var idx = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + Vector512.Create(j);
            v = Vector512.ConditionalSelect(Vector512.LessThan(idx, Vector512.Create(limit)).AsSingle(), v, Vector512.Create(float.NegativeInfinity));
        }
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
