using System.Numerics.Tensors;
using Tessera.Cpu.Kernels.Attention;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Flash-attention style scaled dot-product attention. Forward: per (batch·head, query tile), key tiles are
/// visited with an online softmax (running max m and sum l per query row); only one row of a Bc-wide score tile
/// exists at a time. Backward (FlashAttention-2): probabilities are recomputed tile by tile from lse, with
/// D_i = rowsum(dO∘O); threaded over batch·head so that every thread owns its dq/dk/dv slices. K (and V in the
/// backward) are transposed once into pooled scratch [B·H, D, Tk] so that scores are row-times-matrix products.
/// Per-chunk tile buffers come from pooled scratch, one slot per work chunk. Fully masked rows (every score −∞)
/// produce output 0, lse −∞ and zero gradients.</summary>
internal sealed unsafe partial class CpuKernels : IAttentionKernels
{
    private const int AttnBr = 64;   // query rows per tile
    private const int AttnBc = 64;   // keys per tile
    private const int AttnRows = 4;  // query rows per register block

    private struct AttnState
    {
        public float* Q, Kt, K, V, Vt, O, Lse, DO, Dq, Dk, Dv, Mask, Scratch, Partial;
        public long MaskB, MaskH, MaskQ, MaskK;
        public int B, H, Tq, Tk, D, Dvh, QTiles, Chunks;
        public long Items, SlotFloats, Bh;
        public float Scale;
        public bool Causal, HasMask;
    }

    private static float AttentionScale(AttentionParams p, int d) => float.IsNaN(p.Scale) ? (float)(1.0 / Math.Sqrt(d)) : p.Scale;

    private struct AttnTransposeState
    {
        public float* Src, Dst;
        public long S0, S1, S2, S3;
        public int H, T, D;
    }

    /// <summary>dst[bh, d, j] = src[b, h, j, d] for a (possibly strided) [B, H, T, D] tensor, threaded over b·h.
    /// Reading k (or v) once this way also absorbs any input strides.</summary>
    private void AttentionTransposeKV(Tensor src, Tensor dst)
    {
        var s = src.Strides;
        var st = new AttnTransposeState
        {
            Src = src.F32(), Dst = dst.F32(), H = src.Shape[1], T = src.Shape[2], D = src.Shape[3],
            S0 = s[0], S1 = s[1], S2 = s[2], S3 = s[3],
        };
        CpuParallel.For((long)src.Shape[0] * st.H, Threads, 1, st, static (st, i0, i1) =>
        {
            for (long bh = i0; bh < i1; bh++)
            {
                float* src = st.Src + bh / st.H * st.S0 + bh % st.H * st.S1;
                float* dst = st.Dst + bh * st.D * st.T;
                for (int j = 0; j < st.T; j++)
                {
                    float* row = src + j * st.S2;
                    for (int d = 0; d < st.D; d++) dst[(long)d * st.T + j] = row[d * st.S3];
                }
            }
        });
    }

    private static void AttentionSetMask(ref AttnState st, Tensor? mask, Tensor? expanded)
    {
        if (mask is null || expanded is null) return;
        var s = expanded.Strides;
        st.HasMask = true;
        st.Mask = expanded.F32();
        st.MaskB = s[0]; st.MaskH = s[1]; st.MaskQ = s[2]; st.MaskK = s[3];
    }

    /// <summary>s[0..n) ← scale·s + mask[b, h, i, j0..j0+n); returns the row maximum.</summary>
    private static float AttentionScaleMaskMax(in AttnState st, float* s, int n, long b, long h, int i, int j0)
    {
        if (!st.HasMask) return AttentionSimd.ScaleMaskMax(s, n, st.Scale, null);
        float* m = st.Mask + b * st.MaskB + h * st.MaskH + i * st.MaskQ + j0 * st.MaskK;
        if (st.MaskK == 1) return AttentionSimd.ScaleMaskMax(s, n, st.Scale, m);
        for (int j = 0; j < n; j++) s[j] = s[j] * st.Scale + m[j * st.MaskK];
        return TensorPrimitives.Max<float>(new ReadOnlySpan<float>(s, n));
    }

    public void Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, Tensor o, Tensor? lse, AttentionParams p)
    {
        int bn = q.Shape[0], hn = q.Shape[1], tq = q.Shape[2], d = q.Shape[3], tk = k.Shape[2], dv = v.Shape[3];
        long bh = (long)bn * hn;
        if (bh == 0 || tq == 0) return;
        if (tk == 0)
        {
            Fill(o, 0);
            if (lse is not null) Fill(lse, float.NegativeInfinity);
            return;
        }
        using var qc = q.Contiguous();
        using var vc = v.Contiguous();
        using var kt = Scratch(DType.Float32, checked((int)bh), d, tk);
        AttentionTransposeKV(k, kt);
        using var maskView = mask?.Expand(bn, hn, tq, tk);
        int qTiles = (tq + AttnBr - 1) / AttnBr;
        long items = bh * qTiles;
        int chunks = (int)Math.Min(items, Math.Max(1, Threads) * 4L);
        long slotFloats = AttnRows * AttnBc + 2 * AttnBr;
        using var scratch = Scratch(DType.Float32, chunks, (int)slotFloats);
        var st = new AttnState
        {
            Q = qc.F32(), Kt = kt.F32(), V = vc.F32(), O = o.F32(), Lse = lse is null ? null : lse.F32(), Scratch = scratch.F32(),
            B = bn, H = hn, Tq = tq, Tk = tk, D = d, Dvh = dv, QTiles = qTiles, Chunks = chunks, Items = items, SlotFloats = slotFloats,
            Scale = AttentionScale(p, d), Causal = p.Causal,
        };
        AttentionSetMask(ref st, mask, maskView);
        CpuParallel.For(chunks, Threads, 1, st, static (st, c0, c1) =>
        {
            for (long c = c0; c < c1; c++)
            {
                float* slot = st.Scratch + c * st.SlotFloats;
                for (long item = st.Items * c / st.Chunks; item < st.Items * (c + 1) / st.Chunks; item++)
                    AttentionForwardTile(st, item / st.QTiles, (int)(item % st.QTiles), slot);
            }
        });
    }

    private static void AttentionForwardTile(in AttnState st, long bh, int qt, float* slot)
    {
        int d = st.D, dv = st.Dvh, tk = st.Tk;
        long b = bh / st.H, h = bh % st.H;
        int i0 = qt * AttnBr, i1 = Math.Min(st.Tq, i0 + AttnBr);
        float* sb = slot, m = slot + AttnRows * AttnBc, l = m + AttnBr;
        float* q = st.Q + bh * st.Tq * d, kt = st.Kt + bh * d * tk, v = st.V + bh * tk * dv, o = st.O + bh * st.Tq * dv;
        for (int r = 0; r < i1 - i0; r++) { m[r] = float.NegativeInfinity; l[r] = 0; }
        new Span<float>(o + (long)i0 * dv, (i1 - i0) * dv).Clear();
        int jEnd = st.Causal ? Math.Min(tk, i1) : tk;
        for (int j0 = 0; j0 < jEnd; j0 += AttnBc)
        {
            int tile = Math.Min(AttnBc, tk - j0);
            for (int ig = i0; ig < i1; ig += AttnRows)
            {
                int nr = Math.Min(AttnRows, i1 - ig);
                // The last row of a group sees the most keys under the causal mask.
                int nkG = st.Causal ? Math.Min(tile, ig + nr - j0) : tile;
                if (nkG <= 0) continue;
                AttentionSimd.RowsTimesMatrix(q + (long)ig * d, d, nr, d, kt + j0, tk, nkG, sb, AttnBc, accumulate: false);
                bool any = false;
                for (int r = 0; r < nr; r++)
                {
                    int i = ig + r, ri = i - i0;
                    float* s = sb + r * AttnBc;
                    int nk = st.Causal ? Math.Min(nkG, i + 1 - j0) : nkG;
                    var full = new Span<float>(s, nkG);
                    if (nk <= 0) { full.Clear(); continue; }
                    float mNew = Math.Max(m[ri], AttentionScaleMaskMax(st, s, nk, b, h, i, j0));
                    if (float.IsNegativeInfinity(mNew)) { full.Clear(); continue; }   // everything so far is masked
                    float rowSum = AttentionSimd.ExpSum(s, nk, mNew);
                    full[nk..].Clear();
                    float alpha = FastMath.Exp(m[ri] - mNew);           // 0 when m was −∞
                    if (alpha != 1f)
                    {
                        var os = new Span<float>(o + (long)i * dv, dv);
                        TensorPrimitives.Multiply(os, alpha, os);
                    }
                    l[ri] = l[ri] * alpha + rowSum;
                    m[ri] = mNew;
                    any = true;
                }
                if (any) AttentionSimd.RowsTimesMatrix(sb, AttnBc, nr, nkG, v + (long)j0 * dv, dv, dv, o + (long)ig * dv, dv, accumulate: true);
            }
        }
        for (int i = i0; i < i1; i++)
        {
            int r = i - i0;
            float* orow = o + (long)i * dv;
            if (l[r] > 0)
            {
                var os = new Span<float>(orow, dv);
                TensorPrimitives.Multiply(os, 1f / l[r], os);
                if (st.Lse != null) st.Lse[bh * st.Tq + i] = m[r] + MathF.Log(l[r]);
            }
            else if (st.Lse != null) st.Lse[bh * st.Tq + i] = float.NegativeInfinity;
        }
    }

    public void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask, Tensor o, Tensor lse, Tensor dO,
        Tensor dq, Tensor dk, Tensor dv, AttentionParams p)
    {
        int bn = q.Shape[0], hn = q.Shape[1], tq = q.Shape[2], d = q.Shape[3], tk = k.Shape[2], dvh = v.Shape[3];
        long bh = (long)bn * hn;
        Fill(dq, 0);
        Fill(dk, 0);
        Fill(dv, 0);
        if (bh == 0 || tq == 0 || tk == 0) return;
        using var qc = q.Contiguous();
        using var kc = k.Contiguous();
        using var oc = o.Contiguous();
        using var lc = lse.Contiguous();
        using var dOc = dO.Contiguous();
        using var kt = Scratch(DType.Float32, checked((int)bh), d, tk);
        using var vt = Scratch(DType.Float32, checked((int)bh), dvh, tk);
        AttentionTransposeKV(k, kt);
        AttentionTransposeKV(v, vt);
        using var maskView = mask?.Expand(bn, hn, tq, tk);
        int keyTiles = (tk + AttnBc - 1) / AttnBc;
        // Fewer heads than threads: split each head's key tiles over threads instead (see below).
        bool splitKeys = bh < Threads && keyTiles > 1;
        int chunks = splitKeys ? Math.Min(Threads, keyTiles) : (int)Math.Min(bh, Math.Max(1, Threads) * 2L);
        // Slot: Pᵀ, dSᵀ [Bc, Br]; P, dS [Br, Bc]; dP block [4, Bc]; D [Tq].
        long slotFloats = 4L * AttnBr * AttnBc + AttnRows * AttnBc + tq;
        using var scratch = Scratch(DType.Float32, chunks, checked((int)slotFloats));
        var st = new AttnState
        {
            Q = qc.F32(), K = kc.F32(), Kt = kt.F32(), Vt = vt.F32(), O = oc.F32(), Lse = lc.F32(), DO = dOc.F32(),
            Dq = dq.F32(), Dk = dk.F32(), Dv = dv.F32(), Scratch = scratch.F32(),
            B = bn, H = hn, Tq = tq, Tk = tk, D = d, Dvh = dvh, Chunks = chunks, Items = bh, SlotFloats = slotFloats,
            Scale = AttentionScale(p, d), Causal = p.Causal,
        };
        AttentionSetMask(ref st, mask, maskView);
        if (!splitKeys)
        {
            CpuParallel.For(chunks, Threads, 1, st, static (st, c0, c1) =>
            {
                for (long c = c0; c < c1; c++)
                {
                    float* slot = st.Scratch + c * st.SlotFloats;
                    for (long item = st.Items * c / st.Chunks; item < st.Items * (c + 1) / st.Chunks; item++)
                        AttentionBackwardHead(st, item, slot, 0, 1, st.Dq + item * st.Tq * st.D);
                }
            });
            return;
        }
        // Key-tile groups own disjoint dk/dv rows; dq is accumulated per group in pooled partials and summed in group
        // order (deterministic). Group g takes key tiles g, g + groups, ... so causal work stays balanced.
        int qd = checked(tq * d);
        using var partial = Scratch(DType.Float32, chunks, Math.Max(1, qd));
        st.Partial = partial.F32();
        for (long head = 0; head < bh; head++)
        {
            st.Bh = head;
            CpuParallel.For(chunks, Threads, 1, st, static (st, g0, g1) =>
            {
                for (long g = g0; g < g1; g++)
                {
                    float* part = st.Partial + g * st.Tq * st.D;
                    new Span<float>(part, st.Tq * st.D).Clear();
                    AttentionBackwardHead(st, st.Bh, st.Scratch + g * st.SlotFloats, (int)g, st.Chunks, part);
                }
            });
            var dqHead = new Span<float>(st.Dq + head * qd, qd);
            for (int g = 0; g < chunks; g++) TensorPrimitives.Add(dqHead, new ReadOnlySpan<float>(st.Partial + (long)g * qd, qd), dqHead);
        }
    }

    /// <summary>Backward of one (batch, head) over key tiles tileStart, tileStart + tileStride, ...: dk/dv rows of those
    /// tiles, and dq accumulated into <paramref name="dq"/> ([Tq, D]).</summary>
    private static void AttentionBackwardHead(in AttnState st, long bh, float* slot, int tileStart, int tileStride, float* dq)
    {
        int d = st.D, dv = st.Dvh, tk = st.Tk, tq = st.Tq;
        long b = bh / st.H, h = bh % st.H;
        float* pT = slot, dsT = pT + AttnBr * AttnBc, pm = dsT + AttnBr * AttnBc, dsm = pm + AttnBr * AttnBc;
        float* dpb = dsm + AttnBr * AttnBc, dRow = dpb + AttnRows * AttnBc;
        float* q = st.Q + bh * tq * d, k = st.K + bh * tk * d, kt = st.Kt + bh * d * tk, vt = st.Vt + bh * dv * tk;
        float* o = st.O + bh * tq * dv, dO = st.DO + bh * tq * dv, lse = st.Lse + bh * tq;
        float* dk = st.Dk + bh * tk * d, dvp = st.Dv + bh * tk * dv;
        for (int i = 0; i < tq; i++)
            dRow[i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(dO + (long)i * dv, dv), new ReadOnlySpan<float>(o + (long)i * dv, dv));
        for (int j0 = tileStart * AttnBc; j0 < tk; j0 += tileStride * AttnBc)
        {
            int tile = Math.Min(AttnBc, tk - j0);
            // Causal: query rows i < j0 see none of this key tile.
            for (int i0 = st.Causal ? j0 : 0; i0 < tq; i0 += AttnBr)
            {
                int nr = Math.Min(AttnBr, tq - i0);
                for (int g = 0; g < nr; g += AttnRows)
                {
                    int ng = Math.Min(AttnRows, nr - g), ig = i0 + g;
                    int nkG = st.Causal ? Math.Min(tile, ig + ng - j0) : tile;
                    // S = q·kᵀ and dP = dO·vᵀ for the group's rows.
                    AttentionSimd.RowsTimesMatrix(q + (long)ig * d, d, ng, d, kt + j0, tk, nkG, pm + g * AttnBc, AttnBc, accumulate: false);
                    AttentionSimd.RowsTimesMatrix(dO + (long)ig * dv, dv, ng, dv, vt + j0, tk, nkG, dpb, AttnBc, accumulate: false);
                    for (int r = 0; r < ng; r++)
                    {
                        int i = ig + r;
                        float* prow = pm + (g + r) * AttnBc, dsrow = dsm + (g + r) * AttnBc;
                        int nk = st.Causal ? Math.Min(nkG, i + 1 - j0) : nkG;
                        float li = lse[i];
                        if (float.IsNegativeInfinity(li)) nk = 0;   // fully masked row: no gradient
                        new Span<float>(prow + nk, tile - nk).Clear();
                        new Span<float>(dsrow + nk, tile - nk).Clear();
                        if (nk <= 0) continue;
                        // P = exp(scale·S + mask − lse), dS = P∘(dP − D)·scale.
                        AttentionScaleMaskMax(st, prow, nk, b, h, i, j0);
                        AttentionSimd.ExpSum(prow, nk, li);
                        AttentionSimd.SoftmaxGrad(prow, dpb + r * AttnBc, dsrow, nk, dRow[i], st.Scale);
                    }
                    // dq rows += dS · K_tile
                    AttentionSimd.RowsTimesMatrix(dsm + g * AttnBc, AttnBc, ng, nkG, k + (long)j0 * d, d, d, dq + (long)ig * d, d, accumulate: true);
                }
                AttentionSimd.Transpose(pm, AttnBc, nr, tile, pT, AttnBr);
                AttentionSimd.Transpose(dsm, AttnBc, nr, tile, dsT, AttnBr);
                for (int j = 0; j < tile; j += AttnRows)
                {
                    int nj = Math.Min(AttnRows, tile - j);
                    // dv rows += Pᵀ · dO_tile; dk rows += dSᵀ · Q_tile
                    AttentionSimd.RowsTimesMatrix(pT + j * AttnBr, AttnBr, nj, nr, dO + (long)i0 * dv, dv, dv, dvp + (long)(j0 + j) * dv, dv, accumulate: true);
                    AttentionSimd.RowsTimesMatrix(dsT + j * AttnBr, AttnBr, nj, nr, q + (long)i0 * d, d, d, dk + (long)(j0 + j) * d, d, accumulate: true);
                }
            }
        }
    }
}
