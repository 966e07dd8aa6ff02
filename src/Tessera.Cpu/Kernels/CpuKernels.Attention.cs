using System.Numerics.Tensors;
using Tessera.Cpu.Kernels.Attention;
using Tessera.Cpu.Simd;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Flash-attention style scaled dot-product attention. Forward (CpuKernels.AttentionForward.cs): per
/// (batch·head, query tile), key tiles are visited with an online softmax (running max m and sum l per query row), a
/// group of 4 query rows at a time. Backward (FlashAttention-2): probabilities are recomputed tile by tile from lse,
/// with D_i = rowsum(dO∘O); threaded over batch·head so that every thread owns its dq/dk/dv slices. K (and V in the
/// backward) are packed one head at a time, each tile of 64 keys as D rows of 64 (<see cref="AttentionPackHead"/>),
/// into the slot of the work chunk that reaches the head, just before its work on it, where they are still in cache
/// (forward B4 H8 T512 D64, in one process, the same bits: causal −7 % and full 0 to −4 %, against packing all 4 MiB
/// of every head first). Per-chunk tile buffers come from pooled scratch, one slot per work chunk. Fully masked rows
/// (every score −∞) produce output 0, lse −∞ and zero gradients.</summary>
internal sealed unsafe partial class CpuKernels : IAttentionKernels
{
    private const int AttnBr = 64;   // query rows per tile
    private const int AttnBc = 64;   // keys per tile
    private const int AttnRows = 4;  // query rows per register block

    private struct AttnState
    {
        public float* Q, Kt, K, V, Vt, O, Lse, DO, Dq, Dk, Dv, Mask, Scratch, Partial;
        public long MaskB, MaskH, MaskQ, MaskK;
        /// <summary>Forward: the strides of q, v and o over batch, head and position (their features contiguous).</summary>
        public long QB, QH, QT, VB, VH, VT, OB, OH, OT;
        public int B, H, Tq, Tk, D, Dvh, QTiles, Chunks;
        public long Items, SlotFloats, Bh;
        /// <summary>How a head's keys (and, backward, values) are packed, into the first HeadFloats of a chunk's slot.</summary>
        public AttnPackState KPack, VPack;
        public long HeadFloats;
        public float Scale;
        public bool Causal, HasMask;
    }

    private static float AttentionScale(AttentionParams p, int d) => float.IsNaN(p.Scale) ? (float)(1.0 / Math.Sqrt(d)) : p.Scale;

    private struct AttnPackState
    {
        public float* Src;
        public long S0, S1, S2, S3;
        public int H, T, D, Tiles;

        /// <summary>Floats of one packed head: Tiles tiles of Bc keys by D.</summary>
        public readonly long HeadFloats => (long)Tiles * AttnBc * D;
    }

    /// <summary>What <see cref="AttentionPackHead"/> reads: the [B, H, T, D] tensor's data and strides.</summary>
    private static AttnPackState AttentionPackState(Tensor src)
    {
        var s = src.Strides;
        var st = new AttnPackState
        {
            Src = src.F32(), H = src.Shape[1], T = src.Shape[2], D = src.Shape[3],
            S0 = s[0], S1 = s[1], S2 = s[2], S3 = s[3],
        };
        st.Tiles = (st.T + AttnBc - 1) / AttnBc;
        return st;
    }

    /// <summary>dst[t, d, j] = src[b, h, t·Bc + j, d] for head bh = b·H + h of a (possibly strided) [B, H, T, D] tensor:
    /// each tile of Bc keys (or values) transposed into D contiguous rows of Bc (zeros past the last key), so that scores
    /// are row-times-matrix products over a block that stays in L1 (rows a whole T apart alias in a few cache sets).
    /// Reading k (or v) this way also absorbs any input strides.</summary>
    private static void AttentionPackHead(in AttnPackState st, long bh, float* head)
    {
        float* src = st.Src + bh / st.H * st.S0 + bh % st.H * st.S1;
        for (int t = 0; t < st.Tiles; t++)
        {
            float* dst = AttentionTile(head, st.D, t * AttnBc);
            int keys = Math.Min(AttnBc, st.T - t * AttnBc), j = 0;
            float* tileSrc = src + t * AttnBc * st.S2;
            if (Avx.IsSupported && st.S3 == 1)
                for (; j + 8 <= keys; j += 8)
                    for (int d = 0; d + 8 <= st.D; d += 8)
                        Transpose8x8.Block(tileSrc + j * st.S2 + d, st.S2, dst + d * AttnBc + j, AttnBc);
            // The rest: keys past the last 8, and features past the last 8 of the keys done above.
            for (int jj = 0; jj < keys; jj++)
            {
                float* row = tileSrc + jj * st.S2;
                for (int d = jj < j ? st.D & ~7 : 0; d < st.D; d++) dst[d * AttnBc + jj] = row[d * st.S3];
            }
            if (keys < AttnBc)
                for (int d = 0; d < st.D; d++) new Span<float>(dst + d * AttnBc + keys, AttnBc - keys).Clear();
        }
    }

    /// <summary>The packed tile holding key j0 (a multiple of Bc) of one head's packed keys.</summary>
    private static float* AttentionTile(float* head, int d, int j0) => head + (long)j0 * d;

    private static void AttentionSetMask(ref AttnState st, Tensor? mask, Tensor? expanded)
    {
        if (mask is null || expanded is null) return;
        var s = expanded.Strides;
        st.HasMask = true;
        st.Mask = expanded.F32();
        st.MaskB = s[0]; st.MaskH = s[1]; st.MaskQ = s[2]; st.MaskK = s[3];
    }

    /// <summary>s[0..n) ← scale·s + mask[b, h, i, j0..j0+n), −∞ from index limit on; returns the row maximum.</summary>
    private static float AttentionScaleMaskMax(in AttnState st, float* s, int n, int limit, long b, long h, int i, int j0)
    {
        if (!st.HasMask) return AttentionSimd.ScaleMaskMax(s, n, st.Scale, null, limit);
        float* m = AttentionMaskRow(st, b, h, i, j0);
        if (st.MaskK == 1) return AttentionSimd.ScaleMaskMax(s, n, st.Scale, m, limit);
        for (int j = 0; j < n; j++) s[j] = j < limit ? s[j] * st.Scale + m[j * st.MaskK] : float.NegativeInfinity;
        return TensorPrimitives.Max<float>(new ReadOnlySpan<float>(s, n));
    }

    /// <summary>mask[b, h, i, j0].</summary>
    private static float* AttentionMaskRow(in AttnState st, long b, long h, int i, int j0) =>
        st.Mask + b * st.MaskB + h * st.MaskH + i * st.MaskQ + j0 * st.MaskK;

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
        using var maskView = mask?.Expand(bn, hn, tq, tk);
        int keyTiles = (tk + AttnBc - 1) / AttnBc;
        // Fewer heads than threads: split each head's key tiles over threads instead (see below).
        bool splitKeys = bh < Threads && keyTiles > 1;
        int chunks = splitKeys ? Math.Min(Threads, keyTiles) : (int)Math.Min(bh, Math.Max(1, Threads) * 2L);
        // A head's packed keys and values: in each chunk's slot, packed before the chunk's work on that head; with the
        // key tiles split, once per head for every group, before them.
        var kPack = AttentionPackState(k);
        var vPack = AttentionPackState(v);
        long headFloats = kPack.HeadFloats + vPack.HeadFloats, inSlot = splitKeys ? 0 : headFloats;
        // Slot: [the head's packed keys and values]; Pᵀ, dSᵀ [Bc, Br]; P, dS [Br, Bc]; dP block [4, Bc]; D [Tq]; a
        // multiple of 16 floats, so every slot starts on a cache line.
        long slotFloats = (inSlot + 4L * AttnBr * AttnBc + AttnRows * AttnBc + tq + 15) & ~15L;
        using var scratch = Scratch(DType.Float32, chunks, checked((int)slotFloats));
        using var shared = splitKeys ? Scratch(DType.Float32, checked((int)headFloats)) : null;
        var st = new AttnState
        {
            Q = qc.F32(), K = kc.F32(), O = oc.F32(), Lse = lc.F32(), DO = dOc.F32(),
            Dq = dq.F32(), Dk = dk.F32(), Dv = dv.F32(), Scratch = scratch.F32(),
            B = bn, H = hn, Tq = tq, Tk = tk, D = d, Dvh = dvh, Chunks = chunks, Items = bh, SlotFloats = slotFloats,
            Scale = AttentionScale(p, d), Causal = p.Causal, KPack = kPack, VPack = vPack, HeadFloats = inSlot,
        };
        AttentionSetMask(ref st, mask, maskView);
        if (!splitKeys)
        {
            CpuParallel.For(chunks, Threads, 1, st, static (st, c0, c1) =>
            {
                for (long c = c0; c < c1; c++)
                {
                    float* kt = st.Scratch + c * st.SlotFloats, vt = kt + st.KPack.HeadFloats, slot = kt + st.HeadFloats;
                    for (long item = st.Items * c / st.Chunks; item < st.Items * (c + 1) / st.Chunks; item++)
                    {
                        AttentionPackHead(st.KPack, item, kt);
                        AttentionPackHead(st.VPack, item, vt);
                        AttentionBackwardHead(st, item, kt, vt, slot, 0, 1, st.Dq + item * st.Tq * st.D);
                    }
                }
            });
            return;
        }
        // Key-tile groups own disjoint dk/dv rows; dq is accumulated per group in pooled partials and summed in group
        // order (deterministic). Group g takes key tiles g, g + groups, ... so causal work stays balanced.
        int qd = checked(tq * d);
        using var partial = Scratch(DType.Float32, chunks, Math.Max(1, qd));
        st.Partial = partial.F32();
        st.Kt = shared!.F32();
        st.Vt = st.Kt + kPack.HeadFloats;
        for (long head = 0; head < bh; head++)
        {
            st.Bh = head;
            AttentionPackHead(st.KPack, head, st.Kt);
            AttentionPackHead(st.VPack, head, st.Vt);
            CpuParallel.For(chunks, Threads, 1, st, static (st, g0, g1) =>
            {
                for (long g = g0; g < g1; g++)
                {
                    float* part = st.Partial + g * st.Tq * st.D;
                    new Span<float>(part, st.Tq * st.D).Clear();
                    AttentionBackwardHead(st, st.Bh, st.Kt, st.Vt, st.Scratch + g * st.SlotFloats, (int)g, st.Chunks, part);
                }
            });
            var dqHead = new Span<float>(st.Dq + head * qd, qd);
            for (int g = 0; g < chunks; g++) TensorPrimitives.Add(dqHead, new ReadOnlySpan<float>(st.Partial + (long)g * qd, qd), dqHead);
        }
    }

    /// <summary>Backward of one (batch, head) over key tiles tileStart, tileStart + tileStride, ...: dk/dv rows of those
    /// tiles, and dq accumulated into <paramref name="dq"/> ([Tq, D]).</summary>
    private static void AttentionBackwardHead(in AttnState st, long bh, float* kt, float* vt, float* slot, int tileStart, int tileStride, float* dq)
    {
        int d = st.D, dv = st.Dvh, tk = st.Tk, tq = st.Tq;
        long b = bh / st.H, h = bh % st.H;
        float* pT = slot, dsT = pT + AttnBr * AttnBc, pm = dsT + AttnBr * AttnBc, dsm = pm + AttnBr * AttnBc;
        float* dpb = dsm + AttnBr * AttnBc, dRow = dpb + AttnRows * AttnBc;
        float* q = st.Q + bh * tq * d, k = st.K + bh * tk * d;
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
                    AttentionSimd.RowsTimesMatrix(q + (long)ig * d, d, ng, d, AttentionTile(kt, d, j0), AttnBc, nkG, pm + g * AttnBc, AttnBc, accumulate: false);
                    AttentionSimd.RowsTimesMatrix(dO + (long)ig * dv, dv, ng, dv, AttentionTile(vt, dv, j0), AttnBc, nkG, dpb, AttnBc, accumulate: false);
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
                        AttentionScaleMaskMax(st, prow, nk, nk, b, h, i, j0);
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
