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
        // The products go to their rows of s, and the softmax step reads them back in a call of its own: with the
        // sixteen accumulators live, the exponentials' constants and temporaries were spilled to the stack.
        float* s = p.S;
        c00.Store(s); if (nb >= 2) c01.Store(s + 16); if (nb >= 3) c02.Store(s + 32); if (nb >= 4) c03.Store(s + 48);
        s += 64;
        c10.Store(s); if (nb >= 2) c11.Store(s + 16); if (nb >= 3) c12.Store(s + 32); if (nb >= 4) c13.Store(s + 48);
        s += 64;
        c20.Store(s); if (nb >= 2) c21.Store(s + 16); if (nb >= 3) c22.Store(s + 32); if (nb >= 4) c23.Store(s + 48);
        s += 64;
        c30.Store(s); if (nb >= 2) c31.Store(s + 16); if (nb >= 3) c32.Store(s + 32); if (nb >= 4) c33.Store(s + 48);
        Rows<TBlocks>(p);
    }

    /// <summary>The four rows' products, stored in their rows of s, through the softmax step, the rows side by side: each
    /// row's scores and its maximum folded to four lanes, the four maxima at once (a 4 × 4 transpose), then each row's
    /// probabilities and its sum folded to four lanes, the four sums at once — the folds of a row in the order
    /// <see cref="RowReduce"/> takes, so every value is the same bits as one row at a time.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Rows<TBlocks>(in RowArgs p) where TBlocks : struct, IBlocks
    {
        int nb = TBlocks.Count;
        var ninf = Vector512.Create(float.NegativeInfinity);
        // Scores (stored back over the products) and each row's maximum in four lanes. The x86 maximum, one
        // instruction a step: the order of a maximum does not change it, and a NaN it drops still makes the
        // probabilities NaN (e^(NaN − m) is NaN whatever m is).
        var m0 = RowMax<TBlocks>(p, 0, ninf); var m1 = RowMax<TBlocks>(p, 1, ninf);
        var m2 = RowMax<TBlocks>(p, 2, ninf); var m3 = RowMax<TBlocks>(p, 3, ninf);
        Transpose4(ref m0, ref m1, ref m2, ref m3);
        var mOld = Vector128.Load(p.M);
        var mNew = Sse.Max(mOld, Sse.Max(Sse.Max(m0, m1), Sse.Max(m2, m3)));
        var e0 = RowExpSum<TBlocks>(p, 0, mNew.GetElement(0)); var e1 = RowExpSum<TBlocks>(p, 1, mNew.GetElement(1));
        var e2 = RowExpSum<TBlocks>(p, 2, mNew.GetElement(2)); var e3 = RowExpSum<TBlocks>(p, 3, mNew.GetElement(3));
        Transpose4(ref e0, ref e1, ref e2, ref e3);
        var sums = (e0 + e1) + (e2 + e3);
        var alpha = FastMath.Exp(mOld - mNew);
        // A row that has seen only −∞ (mNew = −∞): P = 0 (RowExpSum stored zeros), sum 0, factor 1, m stays −∞.
        var dead = Vector128.Equals(mNew, Vector128.Create(float.NegativeInfinity));
        Vector128.ConditionalSelect(dead, Vector128<float>.Zero, sums).Store(p.RowSum);
        Vector128.ConditionalSelect(dead, Vector128<float>.One, alpha).Store(p.Alpha);
        mNew.Store(p.M);
    }

    /// <summary>Row r's scores (over its products in s) and their maximum folded to four lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> RowMax<TBlocks>(in RowArgs p, int r, Vector512<float> ninf) where TBlocks : struct, IBlocks
    {
        int nb = TBlocks.Count, limit = p.Limit[r];
        float* mask = p.Mask == null ? null : p.Mask + r * p.LdMask;
        float* s = p.S + r * 64;
        var v0 = Score(Vector512.Load(s), 0, p.Scale, mask, limit);
        v0.Store(s);
        var v1 = ninf; var v2 = ninf; var v3 = ninf;
        if (nb >= 2) { v1 = Score(Vector512.Load(s + 16), 16, p.Scale, mask, limit); v1.Store(s + 16); }
        if (nb >= 3) { v2 = Score(Vector512.Load(s + 32), 32, p.Scale, mask, limit); v2.Store(s + 32); }
        if (nb >= 4) { v3 = Score(Vector512.Load(s + 48), 48, p.Scale, mask, limit); v3.Store(s + 48); }
        var mv = Avx512F.Max(Avx512F.Max(v0, v1), Avx512F.Max(v2, v3));
        var mh = Avx.Max(mv.GetLower(), mv.GetUpper());
        return Sse.Max(mh.GetLower(), mh.GetUpper());
    }

    /// <summary>Row r's probabilities e^(S − m) stored over its scores (zeros when m = −∞), and their sum folded to four
    /// lanes as <see cref="RowReduce"/> folds a row of 16·nb: one block of four accumulators for 64 elements, else
    /// the blocks in turn into the first; then 16 → 8 → 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> RowExpSum<TBlocks>(in RowArgs p, int r, float m) where TBlocks : struct, IBlocks
    {
        int nb = TBlocks.Count;
        float* s = p.S + r * 64;
        if (float.IsNegativeInfinity(m))
        {
            for (int k = 0; k < nb; k++) Vector512<float>.Zero.Store(s + 16 * k);
            return Vector128<float>.Zero;
        }
        var zero = Vector512<float>.Zero;
        var mb = Vector512.Create(m);
        var e0 = FastMath.Exp(Vector512.Load(s) - mb);
        e0.Store(s);
        Vector512<float> sum;
        if (nb == 4)
        {
            var e1 = FastMath.Exp(Vector512.Load(s + 16) - mb); var e2 = FastMath.Exp(Vector512.Load(s + 32) - mb);
            var e3 = FastMath.Exp(Vector512.Load(s + 48) - mb);
            e1.Store(s + 16); e2.Store(s + 32); e3.Store(s + 48);
            sum = ((zero + e0) + (zero + e1)) + ((zero + e2) + (zero + e3));
        }
        else
        {
            var a0 = zero + e0;
            if (nb >= 2) { var e1 = FastMath.Exp(Vector512.Load(s + 16) - mb); e1.Store(s + 16); a0 += e1; }
            if (nb >= 3) { var e2 = FastMath.Exp(Vector512.Load(s + 32) - mb); e2.Store(s + 32); a0 += e2; }
            sum = (a0 + zero) + (zero + zero);
        }
        var h = sum.GetLower() + sum.GetUpper();
        return h.GetLower() + h.GetUpper();
    }

    /// <summary>Rows a, b, c, d of a 4 × 4 block become its columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4(ref Vector128<float> a, ref Vector128<float> b, ref Vector128<float> c, ref Vector128<float> d)
    {
        var t0 = Sse.UnpackLow(a, b); var t1 = Sse.UnpackLow(c, d); var t2 = Sse.UnpackHigh(a, b); var t3 = Sse.UnpackHigh(c, d);
        a = Sse.MoveLowToHigh(t0, t1);
        b = Sse.MoveHighToLow(t1, t0);
        c = Sse.MoveLowToHigh(t2, t3);
        d = Sse.MoveHighToLow(t3, t2);
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
