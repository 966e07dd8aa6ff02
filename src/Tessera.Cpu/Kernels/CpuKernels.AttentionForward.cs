using Tessera.Cpu.Kernels.Attention;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Attention forward: per (batch·head, tile of 64 queries), the key tiles the queries can see (under the
/// causal mask, those up to the tile's last query), groups of 4 query rows at a time. A group's online-softmax step —
/// scores with their scale, mask and causal limit, running maxima, probabilities and their sums — is made in
/// registers (<see cref="ScoreTile"/>; with narrower vectors the same values by the contraction and the row
/// reductions), and the probabilities times the value tile accumulate into the output rows, rescaled on the way by
/// e^(m_old − m_new). Under the causal mask a group computes only the blocks of 16 keys its last row sees.</summary>
internal sealed unsafe partial class CpuKernels
{
    public void Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, Tensor o, Tensor? lse, AttentionParams p)
    {
        int bn = q.Shape[0], hn = q.Shape[1], tq = q.Shape[2], d = q.Shape[3], tk = k.Shape[2], dv = v.Shape[3];
        long bh = (long)bn * hn;
        if (bh == 0 || tq == 0) return;
        if (tk == 0)
        {
            if (o.IsContiguous) Fill(o, 0);
            else
            {
                using var zeros = Tensor.Empty(Device, DType.Float32, o.Shape);
                Fill(zeros, 0);
                Copy(zeros, o);
            }
            if (lse is not null) Fill(lse, float.NegativeInfinity);
            return;
        }
        // q and v are read in place through their strides (a head split's permuted view) when their features are
        // contiguous; k is packed into tiles, which reads any strides.
        using var qc = q.Strides[3] == 1 ? null : q.Contiguous();
        using var vc = v.Strides[3] == 1 ? null : v.Contiguous();
        var qs = qc ?? q;
        var vs = vc ?? v;
        // o may be a strided view (the heads' merge written in place); with scattered features, through a dense copy.
        using var od = o.Strides[3] == 1 ? null : Tensor.Empty(Device, DType.Float32, o.Shape);
        var os = od ?? o;
        using var maskView = mask?.Expand(bn, hn, tq, tk);
        int qTiles = (tq + AttnBr - 1) / AttnBr;
        long items = bh * qTiles;
        int chunks = (int)Math.Min(items, Math.Max(1, Threads) * 4L);
        // Slot: the head's packed keys (packed by the chunk that reaches its query tiles, so they are in cache when its
        // tiles read them; a head whose tiles two chunks share is packed by each), then the group's scores [4, Bc], its
        // row sums, rescaling factors and key limits [4], m and l [Br]; a multiple of 16 floats, so every slot's keys
        // start on a cache line.
        var kPack = AttentionPackState(k);
        long slotFloats = (kPack.HeadFloats + AttnRows * AttnBc + 3 * AttnRows + 2 * AttnBr + 15) & ~15L;
        using var scratch = Scratch(DType.Float32, chunks, checked((int)slotFloats));
        var st = new AttnState
        {
            Q = qs.F32(), V = vs.F32(), O = os.F32(), KPack = kPack, HeadFloats = kPack.HeadFloats,
            QB = qs.Strides[0], QH = qs.Strides[1], QT = qs.Strides[2], VB = vs.Strides[0], VH = vs.Strides[1], VT = vs.Strides[2],
            OB = os.Strides[0], OH = os.Strides[1], OT = os.Strides[2], Lse = lse is null ? null : lse.F32(), Scratch = scratch.F32(),
            B = bn, H = hn, Tq = tq, Tk = tk, D = d, Dvh = dv, QTiles = qTiles, Chunks = chunks, Items = items, SlotFloats = slotFloats,
            Scale = AttentionScale(p, d), Causal = p.Causal,
        };
        AttentionSetMask(ref st, mask, maskView);
        CpuParallel.For(chunks, Threads, 1, st, static (st, c0, c1) =>
        {
            for (long c = c0; c < c1; c++)
            {
                float* kt = st.Scratch + c * st.SlotFloats, slot = kt + st.HeadFloats;
                long packed = -1;
                for (long item = st.Items * c / st.Chunks; item < st.Items * (c + 1) / st.Chunks; item++)
                {
                    long head = item / st.QTiles;
                    if (head != packed) AttentionPackHead(st.KPack, packed = head, kt);
                    AttentionForwardTile(st, head, (int)(item % st.QTiles), kt, slot);
                }
            }
        });
        if (od is not null) Copy(od, o);
    }

    private static void AttentionForwardTile(in AttnState st, long bh, int qt, float* kt, float* slot)
    {
        int d = st.D, dv = st.Dvh, tk = st.Tk;
        long b = bh / st.H, h = bh % st.H;
        int i0 = qt * AttnBr, i1 = Math.Min(st.Tq, i0 + AttnBr);
        float* sb = slot, rowSum = sb + AttnRows * AttnBc, alpha = rowSum + AttnRows, m = alpha + 2 * AttnRows, l = m + AttnBr;
        int* limit = (int*)(alpha + AttnRows);
        float* q = st.Q + b * st.QB + h * st.QH, v = st.V + b * st.VB + h * st.VH, o = st.O + b * st.OB + h * st.OH;
        for (int r = 0; r < i1 - i0; r++) { m[r] = float.NegativeInfinity; l[r] = 0; }
        // Under the causal mask, query i sees keys 0..i: this query tile sees keys below i1.
        int jEnd = st.Causal ? Math.Min(tk, i1) : tk;
        for (int j0 = 0; j0 < jEnd; j0 += AttnBc)
        {
            int tile = Math.Min(AttnBc, tk - j0);
            for (int ig = i0; ig < i1; ig += AttnRows)
            {
                int nr = Math.Min(AttnRows, i1 - ig);
                // The keys of this tile the group's last row sees; the softmax runs over whole blocks of 16 of them.
                int nkG = st.Causal ? Math.Min(tile, ig + nr - j0) : tile;
                if (nkG <= 0) continue;
                int len = Math.Min(tile, (nkG + 15) & ~15);
                for (int r = 0; r < nr; r++) limit[r] = st.Causal ? Math.Min(tile, ig + r + 1 - j0) : tile;
                AttentionSoftmaxStep(st, b, h, q + ig * st.QT, ig, nr, AttentionTile(kt, d, j0), j0, tile, nkG, len, limit, sb,
                    m + (ig - i0), rowSum, alpha);
                bool any = false;
                for (int r = 0; r < nr; r++)
                {
                    int ri = ig + r - i0;
                    l[ri] = l[ri] * alpha[r] + rowSum[r];
                    any |= !float.IsNegativeInfinity(m[ri]);
                }
                // The first key tile sets the output rows (every group gets there: it is never past the causal limit).
                if (j0 == 0 || any)
                    AttentionSimd.RowsTimesMatrix(sb, AttnBc, nr, nkG, v + j0 * st.VT, st.VT, dv, o + ig * st.OT, st.OT, accumulate: j0 > 0, alpha);
            }
        }
        for (int i = i0; i < i1; i++)
        {
            int r = i - i0;
            float* orow = o + i * st.OT;
            if (l[r] > 0)
            {
                AttentionSimd.Scale(orow, dv, 1f / l[r]);
                if (st.Lse != null) st.Lse[bh * st.Tq + i] = m[r] + MathF.Log(l[r]);
            }
            else if (st.Lse != null) st.Lse[bh * st.Tq + i] = float.NegativeInfinity;
        }
    }

    /// <summary>One online-softmax step of query rows ig..ig + nr against the packed key tile at j0 (tile keys): the
    /// probabilities e^(s − m) over [0, len) into s (0 where a row has seen only −∞, over at least nkG), the running
    /// maxima m updated, each row's sum and the factor for its earlier output (see <see cref="ScoreTile"/>, which does
    /// it in registers; the contraction and the row reductions give the same values).</summary>
    private static void AttentionSoftmaxStep(in AttnState st, long b, long h, float* q, int ig, int nr, float* kTile, int j0, int tile,
        int nkG, int len, int* limit, float* s, float* m, float* rowSum, float* alpha)
    {
        bool maskRows = !st.HasMask || st.MaskK == 1;
        if (nr == AttnRows && (len & 15) == 0 && maskRows && ScoreTile.Applies)
        {
            float* mask = st.HasMask ? AttentionMaskRow(st, b, h, ig, j0) : null;
            ScoreTile.Run(q, st.QT, st.D, kTile, len, st.Scale, mask, st.MaskQ, limit, s, m, rowSum, alpha);
            return;
        }
        AttentionSimd.RowsTimesMatrix(q, st.QT, nr, st.D, kTile, AttnBc, tile, s, AttnBc, accumulate: false);
        for (int r = 0; r < nr; r++)
        {
            float* row = s + r * AttnBc;
            float mNew = Math.Max(m[r], AttentionScaleMaskMax(st, row, len, limit[r], b, h, ig + r, j0));
            if (float.IsNegativeInfinity(mNew))
            {
                new Span<float>(row, Math.Max(nkG, len)).Clear();
                (rowSum[r], alpha[r]) = (0f, 1f);
                continue;
            }
            rowSum[r] = AttentionSimd.ExpSum(row, len, mNew);
            alpha[r] = FastMath.Exp(m[r] - mNew);            // 0 when m was −∞
            m[r] = mNew;
        }
    }
}
