namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>Validates q [B, H, Tq, D], k [B, H, Tk, D], v [B, H, Tk, Dv] and a mask broadcastable to
    /// [B, H, Tq, Tk]; returns the output shape [B, H, Tq, Dv] and the lse shape [B, H, Tq].</summary>
    public static (Shape O, Shape Lse) Attention(string op, Shape q, Shape k, Shape v, Shape? mask)
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

    /// <summary>Validates multi-head attention inputs xq [B, Tq, E], xk/xv [B, Tk, E] and E divisible by heads;
    /// returns (B, Tq, Tk, E).</summary>
    public static (int B, int Tq, int Tk, int E) MultiHeadAttention(string op, Shape xq, Shape xk, Shape xv, int heads)
    {
        if (xq.Rank != 3) throw new TesseraShapeException(op, "xq", $"expected [B, Tq, E], got {xq}");
        if (xk.Rank != 3) throw new TesseraShapeException(op, "xk", $"expected [B, Tk, E], got {xk}");
        if (xv.Rank != 3) throw new TesseraShapeException(op, "xv", $"expected [B, Tk, E], got {xv}");
        if (xk[0] != xq[0] || xk[2] != xq[2]) throw new TesseraShapeException(op, "xk", $"xk {xk} does not match xq {xq} in batch or embedding size");
        if (xv != xk) throw new TesseraShapeException(op, "xv", $"xv {xv} must have the shape of xk {xk}");
        if (heads <= 0) throw new TesseraArgumentException(op, nameof(heads), $"must be positive, got {heads}");
        if (xq[2] == 0 || xq[2] % heads != 0)
            throw new TesseraShapeException(op, nameof(heads), $"embedding size {xq[2]} is not a positive multiple of heads {heads}");
        return (xq[0], xq[1], xk[1], xq[2]);
    }
}
