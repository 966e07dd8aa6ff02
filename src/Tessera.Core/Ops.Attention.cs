using Tessera.Devices;
using Tessera.Kernels;

namespace Tessera;

public static partial class Ops
{
    /// <summary>Scaled dot-product attention: o [B, H, Tq, Dv] = softmax(q·kᵀ·scale + mask)·v with q [B, H, Tq, D],
    /// k [B, H, Tk, D], v [B, H, Tk, Dv]; the additive mask (may hold −∞) broadcasts to [B, H, Tq, Tk]; Causal hides
    /// key j &gt; query i (top-left aligned); scale defaults to 1/√D when NaN. Also returns lse [B, H, Tq], the
    /// log-sum-exp of each score row, for the backward pass. A fully masked row gives output 0 and lse −∞.</summary>
    public static (Tensor O, Tensor Lse) Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, AttentionParams p)
    {
        const string op = nameof(Attention);
        var device = Check.SameDevice(op, [(nameof(q), q), (nameof(k), k), (nameof(v), v)], (nameof(mask), mask));
        var (oShape, lseShape) = ShapeRules.Attention(op, q.Spec, k.Spec, v.Spec, mask?.Spec, p);
        var o = Tensor.Empty(device, DType.Float32, oShape);
        var lse = Tensor.Empty(device, DType.Float32, lseShape);
        device.Kernels.Attention(q, k, v, mask, o, lse, p);
        return (o, lse);
    }

    /// <summary>Gradients (dq, dk, dv) of <see cref="Attention"/> from dO, the forward output o and lse.</summary>
    public static (Tensor Dq, Tensor Dk, Tensor Dv) AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask,
        Tensor o, Tensor lse, Tensor dO, AttentionParams p)
    {
        const string op = nameof(AttentionBackward);
        var device = Check.SameDevice(op, [(nameof(q), q), (nameof(k), k), (nameof(v), v), (nameof(o), o), (nameof(lse), lse), (nameof(dO), dO)],
            (nameof(mask), mask));
        ShapeRules.AttentionBackward(op, q.Spec, k.Spec, v.Spec, mask?.Spec, o.Spec, lse.Spec, dO.Spec, p);
        var dq = Tensor.Empty(device, DType.Float32, q.Shape);
        var dk = Tensor.Empty(device, DType.Float32, k.Shape);
        var dv = Tensor.Empty(device, DType.Float32, v.Shape);
        device.Kernels.AttentionBackward(q, k, v, mask, o, lse, dO, dq, dk, dv, p);
        return (dq, dk, dv);
    }

    private static IDevice CheckMultiHeadAttention(string op, Tensor xq, Tensor xk, Tensor xv, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
        Tensor? bq, Tensor? bk, Tensor? bv, Tensor? bo, int heads, Tensor? mask, out (int B, int Tq, int Tk, int E) dims)
    {
        var device = Check.SameDevice(op, [(nameof(xq), xq), (nameof(xk), xk), (nameof(xv), xv), (nameof(wq), wq), (nameof(wk), wk),
            (nameof(wv), wv), (nameof(wo), wo)], (nameof(bq), bq), (nameof(bk), bk), (nameof(bv), bv), (nameof(bo), bo), (nameof(mask), mask));
        dims = ShapeRules.MultiHeadAttention(op, xq.Spec, xk.Spec, xv.Spec, new[] { wq.Spec, wk.Spec, wv.Spec, wo.Spec },
            new[] { bq?.Spec, bk?.Spec, bv?.Spec, bo?.Spec }, heads, mask?.Spec);
        return device;
    }

    /// <summary>c [M, N] = a [M, K]·op(b) (+ bias), through the device GEMM, into a zero-initialised output.</summary>
    private static Tensor MhaGemm(IDevice device, Tensor a, Tensor b, Tensor? bias, int m, int n, GemmParams p)
    {
        var c = Tensor.Zeros(device, DType.Float32, m, n);
        device.Kernels.Gemm(a, b, bias, c, p);
        return c;
    }

    /// <summary>[B, T, E] → [B·T, E] (a view when contiguous).</summary>
    private static Tensor MhaRows(Tensor x) => x.Reshape(x.Shape[0] * x.Shape[1], x.Shape[2]);

    /// <summary>[B·T, E] rows → strided view [B, H, T, E/H].</summary>
    private static Tensor MhaSplitHeads(Tensor rows, int b, int t, int heads)
    {
        using var r4 = rows.Reshape(b, t, heads, rows.Shape[1] / heads);
        return r4.Permute(0, 2, 1, 3);
    }

    /// <summary>[B, H, T, Dh] → contiguous [B·T, H·Dh].</summary>
    private static Tensor MhaMergeHeads(Tensor x)
    {
        using var p = x.Permute(0, 2, 1, 3);
        return p.Reshape(x.Shape[0] * x.Shape[2], x.Shape[1] * x.Shape[3]);
    }

    private static Tensor MhaColumnSums(IDevice device, Tensor rows)
    {
        using var ones = Tensor.Full(device, 1f, 1, rows.Shape[0]);
        using var s = MhaGemm(device, ones, rows, null, 1, rows.Shape[1], new GemmParams(TransA: false, TransB: false));
        return s.Reshape(rows.Shape[1]);
    }

    /// <summary>Multi-head attention on xq [B, Tq, E], xk/xv [B, Tk, E]: Q = xq·Wqᵀ + bq (likewise K, V; weights
    /// [E, E] in the Linear convention), heads split as [B, heads, T, E/heads], scaled dot-product attention with
    /// scale 1/√(E/heads), optional mask (broadcastable to [B, heads, Tq, Tk]) and causal masking, heads merged,
    /// then out = merged·Woᵀ + bo: [B, Tq, E].</summary>
    public static Tensor MultiHeadAttention(Tensor xq, Tensor xk, Tensor xv, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
        Tensor? bq, Tensor? bk, Tensor? bv, Tensor? bo, int heads, Tensor? mask = null, bool causal = false)
    {
        const string op = nameof(MultiHeadAttention);
        var device = CheckMultiHeadAttention(op, xq, xk, xv, wq, wk, wv, wo, bq, bk, bv, bo, heads, mask, out var d);
        var tb = new GemmParams(TransB: true);
        using var xq2 = MhaRows(xq);
        using var xk2 = MhaRows(xk);
        using var xv2 = MhaRows(xv);
        using var q2 = MhaGemm(device, xq2, wq, bq, d.B * d.Tq, d.E, tb);
        using var k2 = MhaGemm(device, xk2, wk, bk, d.B * d.Tk, d.E, tb);
        using var v2 = MhaGemm(device, xv2, wv, bv, d.B * d.Tk, d.E, tb);
        using var q = MhaSplitHeads(q2, d.B, d.Tq, heads);
        using var k = MhaSplitHeads(k2, d.B, d.Tk, heads);
        using var v = MhaSplitHeads(v2, d.B, d.Tk, heads);
        var (o, lse) = Attention(q, k, v, mask, new AttentionParams(float.NaN, causal));
        using (o) using (lse)
        {
            using var merged = MhaMergeHeads(o);
            using var out2 = MhaGemm(device, merged, wo, bo, d.B * d.Tq, d.E, tb);
            return out2.Reshape(d.B, d.Tq, d.E);
        }
    }

    /// <summary>Gradients of <see cref="MultiHeadAttention"/> given dOut [B, Tq, E]. Recomputes the forward pass
    /// (projections, attention output and lse), then runs the attention backward and the projections' backward.</summary>
    public static MultiHeadAttentionGradients MultiHeadAttentionBackward(Tensor dOut, Tensor xq, Tensor xk, Tensor xv,
        Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor? bq, Tensor? bk, Tensor? bv, Tensor? bo, int heads,
        Tensor? mask = null, bool causal = false)
    {
        const string op = nameof(MultiHeadAttentionBackward);
        var device = CheckMultiHeadAttention(op, xq, xk, xv, wq, wk, wv, wo, bq, bk, bv, bo, heads, mask, out var d);
        Check.SameDevice(op, (nameof(xq), xq), (nameof(dOut), dOut));
        Check.Float32(op, nameof(dOut), dOut.Spec);
        Check.SameShape(op, nameof(dOut), dOut.Spec, nameof(xq), xq.Spec);
        var tb = new GemmParams(TransB: true);
        var ta = new GemmParams(TransA: true);
        var nn = new GemmParams(TransA: false, TransB: false);
        int mq = d.B * d.Tq, mk = d.B * d.Tk, e = d.E;
        var ap = new AttentionParams(float.NaN, causal);
        using var xq2 = MhaRows(xq);
        using var xk2 = MhaRows(xk);
        using var xv2 = MhaRows(xv);
        using var q2 = MhaGemm(device, xq2, wq, bq, mq, e, tb);
        using var k2 = MhaGemm(device, xk2, wk, bk, mk, e, tb);
        using var v2 = MhaGemm(device, xv2, wv, bv, mk, e, tb);
        using var q = MhaSplitHeads(q2, d.B, d.Tq, heads);
        using var k = MhaSplitHeads(k2, d.B, d.Tk, heads);
        using var v = MhaSplitHeads(v2, d.B, d.Tk, heads);
        var (o, lse) = Attention(q, k, v, mask, ap);
        using (o) using (lse)
        {
            using var merged = MhaMergeHeads(o);
            using var dOut2 = MhaRows(dOut);
            // out = merged·Woᵀ + bo  ⇒  dMerged = dOut·Wo, dWo = dOutᵀ·merged, dbo = Σ_rows dOut.
            using var dMerged = MhaGemm(device, dOut2, wo, null, mq, e, nn);
            var dwo = MhaGemm(device, dOut2, merged, null, e, e, ta);
            var dbo = bo is null ? null : MhaColumnSums(device, dOut2);
            using var dO = MhaSplitHeads(dMerged, d.B, d.Tq, heads);
            var (dq, dk, dv) = AttentionBackward(q, k, v, mask, o, lse, dO, ap);
            using (dq) using (dk) using (dv)
            {
                using var dq2 = MhaMergeHeads(dq);
                using var dk2 = MhaMergeHeads(dk);
                using var dv2 = MhaMergeHeads(dv);
                (Tensor dx, Tensor dw, Tensor? db) Project(Tensor dy2, Tensor x2, Tensor w, Tensor? bias, int t)
                {
                    using var dx2 = MhaGemm(device, dy2, w, null, d.B * t, e, nn);
                    var dw = MhaGemm(device, dy2, x2, null, e, e, ta);
                    var db = bias is null ? null : MhaColumnSums(device, dy2);
                    return (dx2.Reshape(d.B, t, e), dw, db);
                }
                var (dxq, dwq, dbq) = Project(dq2, xq2, wq, bq, d.Tq);
                var (dxk, dwk, dbk) = Project(dk2, xk2, wk, bk, d.Tk);
                var (dxv, dwv, dbv) = Project(dv2, xv2, wv, bv, d.Tk);
                return new MultiHeadAttentionGradients(dxq, dxk, dxv, dwq, dwk, dwv, dwo, dbq, dbk, dbv, dbo);
            }
        }
    }
}
