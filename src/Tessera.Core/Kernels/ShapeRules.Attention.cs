namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>Scaled dot-product attention: Float32 q [B, H, Tq, D] (D ≥ 1), k [B, H, Tk, D], v [B, H, Tk, Dv] and an
    /// additive mask broadcastable to [B, H, Tq, Tk]; the scale finite or NaN (1/√D). Returns the output shape
    /// [B, H, Tq, Dv] and the lse shape [B, H, Tq].</summary>
    public static (Shape O, Shape Lse) Attention(string op, TensorSpec q, TensorSpec k, TensorSpec v, TensorSpec? mask, AttentionParams p)
    {
        Check.Float32(op, "q", q);
        Check.Float32(op, "k", k);
        Check.Float32(op, "v", v);
        if (mask is { } m) Check.Float32(op, "mask", m);
        if (!float.IsNaN(p.Scale) && !float.IsFinite(p.Scale))
            throw new TesseraArgumentException(op, "Scale", $"must be finite (or NaN for 1/√D), got {p.Scale}");
        return AttentionShapes(op, q.Shape, k.Shape, v.Shape, mask?.Shape);
    }

    /// <summary>Attention backward: the forward rule holds; o and dO are Float32 of the output shape, lse Float32 of the
    /// lse shape. Returns those shapes (dq, dk, dv have the shapes of q, k, v).</summary>
    public static (Shape O, Shape Lse) AttentionBackward(string op, TensorSpec q, TensorSpec k, TensorSpec v, TensorSpec? mask,
        TensorSpec o, TensorSpec lse, TensorSpec dO, AttentionParams p)
    {
        var r = Attention(op, q, k, v, mask, p);
        Check.Float32(op, "o", o);
        Check.Float32(op, "lse", lse);
        Check.Float32(op, "dO", dO);
        Check.Shape(op, "o", o, r.O);
        Check.Shape(op, "dO", dO, r.O);
        Check.Shape(op, "lse", lse, r.Lse);
        return r;
    }

    private static (Shape O, Shape Lse) AttentionShapes(string op, Shape q, Shape k, Shape v, Shape? mask)
    {
        if (q.Rank != 4) throw new TesseraShapeException(op, "q", $"expected [B, H, Tq, D], got {q}");
        if (k.Rank != 4) throw new TesseraShapeException(op, "k", $"expected [B, H, Tk, D], got {k}");
        if (v.Rank != 4) throw new TesseraShapeException(op, "v", $"expected [B, H, Tk, Dv], got {v}");
        if (k[0] != q[0] || k[1] != q[1] || k[3] != q[3])
            throw new TesseraShapeException(op, "k", $"k {k} does not match q {q} in batch, heads or head size");
        if (v[0] != q[0] || v[1] != q[1] || v[2] != k[2])
            throw new TesseraShapeException(op, "v", $"v {v} does not match k {k} in batch, heads or key length");
        if (q[3] == 0) throw new TesseraShapeException(op, "q", $"head size D must be positive, got {q}");
        if (mask is { } m)
        {
            var full = new Shape(q[0], q[1], q[2], k[2]);
            if (m.Rank > 4) throw new TesseraShapeException(op, "mask", $"mask {m} has rank > 4; expected broadcastable to {full}");
            for (int i = 0; i < m.Rank; i++)
            {
                int target = full[4 - m.Rank + i];
                if (m[i] != 1 && m[i] != target)
                    throw new TesseraShapeException(op, "mask", $"mask {m} is not broadcastable to {full}");
            }
        }
        return (new Shape(q[0], q[1], q[2], v[3]), new Shape(q[0], q[1], q[2]));
    }

    /// <summary>Multi-head attention: Float32 inputs xq [B, Tq, E], xk and xv [B, Tk, E] (one shape), weights [E, E]
    /// (Linear [E_out, E_in]), biases [E] or absent, heads ≥ 1 dividing E, and a mask broadcastable to
    /// [B, heads, Tq, Tk]. Returns (B, Tq, Tk, E).</summary>
    public static (int B, int Tq, int Tk, int E) MultiHeadAttention(string op, TensorSpec xq, TensorSpec xk, TensorSpec xv,
        IReadOnlyList<TensorSpec> weights, IReadOnlyList<TensorSpec?> biases, int heads, TensorSpec? mask)
    {
        string[] w = { "wq", "wk", "wv", "wo" }, b = { "bq", "bk", "bv", "bo" };
        Check.Float32(op, "xq", xq);
        Check.Float32(op, "xk", xk);
        Check.Float32(op, "xv", xv);
        for (int i = 0; i < 4; i++) Check.Float32(op, w[i], weights[i]);
        for (int i = 0; i < 4; i++) if (biases[i] is { } bi) Check.Float32(op, b[i], bi);
        if (mask is { } m) Check.Float32(op, "mask", m);
        Shape q = xq.Shape, k = xk.Shape, v = xv.Shape;
        if (q.Rank != 3) throw new TesseraShapeException(op, "xq", $"expected [B, Tq, E], got {q}");
        if (k.Rank != 3) throw new TesseraShapeException(op, "xk", $"expected [B, Tk, E], got {k}");
        if (v.Rank != 3) throw new TesseraShapeException(op, "xv", $"expected [B, Tk, E], got {v}");
        if (k[0] != q[0] || k[2] != q[2]) throw new TesseraShapeException(op, "xk", $"xk {k} does not match xq {q} in batch or embedding size");
        if (v != k) throw new TesseraShapeException(op, "xv", $"xv {v} must have the shape of xk {k}");
        if (heads <= 0) throw new TesseraArgumentException(op, nameof(heads), $"must be positive, got {heads}");
        int e = q[2];
        if (e == 0 || e % heads != 0)
            throw new TesseraShapeException(op, nameof(heads), $"embedding size {e} is not a positive multiple of heads {heads}");
        var ws = new Shape(e, e);
        var bs = new Shape(e);
        for (int i = 0; i < 4; i++)
            if (weights[i].Shape != ws) throw new TesseraShapeException(op, w[i], $"expected weight {ws} (Linear [E_out, E_in]), got {weights[i].Shape}");
        for (int i = 0; i < 4; i++)
            if (biases[i] is { } bi && bi.Shape != bs) throw new TesseraShapeException(op, b[i], $"expected bias {bs}, got {bi.Shape}");
        int dh = e / heads;
        AttentionShapes(op, new Shape(q[0], heads, q[1], dh), new Shape(q[0], heads, k[1], dh), new Shape(q[0], heads, k[1], dh), mask?.Shape);
        return (q[0], q[1], k[1], e);
    }
}
