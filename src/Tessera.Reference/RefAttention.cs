using Tessera.Kernels;

namespace Tessera.Reference;

/// <summary>Reference scaled dot-product attention and multi-head attention. Materialises the whole score matrix
/// in double (obvious, not fast). A row whose scores are all −∞ (fully masked) yields output 0, lse −∞ and zero
/// gradients.</summary>
public static class RefAttention
{
    /// <summary>mask[b, h, i, j] with NumPy broadcasting of a mask of rank ≤ 4 to [B, H, Tq, Tk] (0 when null).</summary>
    private static double MaskAt(RefTensor? mask, int b, int h, int i, int j)
    {
        if (mask is null) return 0;
        int[] full = { b, h, i, j };
        long flat = 0;
        int lead = 4 - mask.Rank;
        for (int d = 0; d < mask.Rank; d++)
        {
            int size = mask.Shape[d];
            int idx = size == 1 ? 0 : full[lead + d];
            flat = flat * size + idx;
        }
        return mask.Data[flat];
    }

    private static double Scale(AttentionParams p, int d) => float.IsNaN(p.Scale) ? 1.0 / Math.Sqrt(d) : p.Scale;

    /// <summary>Scores of one query row: scale·q·k + mask (−∞ where causal hides key j &gt; i).</summary>
    private static double[] Scores(RefTensor q, RefTensor k, RefTensor? mask, int b, int h, int i, double scale, bool causal)
    {
        int tk = k.Shape[2], d = q.Shape[3];
        var s = new double[tk];
        for (int j = 0; j < tk; j++)
        {
            if (causal && j > i) { s[j] = double.NegativeInfinity; continue; }
            double dot = 0;
            for (int c = 0; c < d; c++) dot += q[b, h, i, c] * k[b, h, j, c];
            s[j] = dot * scale + MaskAt(mask, b, h, i, j);
        }
        return s;
    }

    /// <summary>Softmax probabilities and log-sum-exp of a score row; all zeros and −∞ when every score is −∞.</summary>
    private static (double[] P, double Lse) Softmax(double[] s)
    {
        double m = double.NegativeInfinity;
        foreach (var v in s) m = Math.Max(m, v);
        var p = new double[s.Length];
        if (double.IsNegativeInfinity(m)) return (p, double.NegativeInfinity);
        double sum = 0;
        for (int j = 0; j < s.Length; j++) { p[j] = Math.Exp(s[j] - m); sum += p[j]; }
        for (int j = 0; j < s.Length; j++) p[j] /= sum;
        return (p, m + Math.Log(sum));
    }

    /// <summary>o [B, H, Tq, Dv] and lse [B, H, Tq].</summary>
    public static (RefTensor O, RefTensor Lse) Attention(RefTensor q, RefTensor k, RefTensor v, RefTensor? mask, AttentionParams p)
    {
        int bn = q.Shape[0], hn = q.Shape[1], tq = q.Shape[2], d = q.Shape[3], tk = k.Shape[2], dv = v.Shape[3];
        double scale = Scale(p, d);
        var o = new RefTensor(bn, hn, tq, dv);
        var lse = new RefTensor(bn, hn, tq);
        for (int b = 0; b < bn; b++)
            for (int h = 0; h < hn; h++)
                for (int i = 0; i < tq; i++)
                {
                    var (pr, l) = Softmax(Scores(q, k, mask, b, h, i, scale, p.Causal));
                    lse[b, h, i] = l;
                    for (int c = 0; c < dv; c++)
                    {
                        double acc = 0;
                        for (int j = 0; j < tk; j++) acc += pr[j] * v[b, h, j, c];
                        o[b, h, i, c] = acc;
                    }
                }
        return (o, lse);
    }

    /// <summary>Analytic gradients (dq, dk, dv) of attention given dO.</summary>
    public static (RefTensor Dq, RefTensor Dk, RefTensor Dv) AttentionBackward(RefTensor q, RefTensor k, RefTensor v, RefTensor? mask,
        RefTensor dO, AttentionParams p)
    {
        int bn = q.Shape[0], hn = q.Shape[1], tq = q.Shape[2], d = q.Shape[3], tk = k.Shape[2], dv = v.Shape[3];
        double scale = Scale(p, d);
        var dq = new RefTensor(q.Shape);
        var dk = new RefTensor(k.Shape);
        var dvT = new RefTensor(v.Shape);
        for (int b = 0; b < bn; b++)
            for (int h = 0; h < hn; h++)
                for (int i = 0; i < tq; i++)
                {
                    var (pr, _) = Softmax(Scores(q, k, mask, b, h, i, scale, p.Causal));
                    var dp = new double[tk];
                    double dot = 0;
                    for (int j = 0; j < tk; j++)
                    {
                        for (int c = 0; c < dv; c++) dp[j] += dO[b, h, i, c] * v[b, h, j, c];
                        dot += pr[j] * dp[j];
                    }
                    for (int j = 0; j < tk; j++)
                    {
                        if (pr[j] == 0) continue;
                        double ds = pr[j] * (dp[j] - dot);
                        for (int c = 0; c < dv; c++) dvT[b, h, j, c] += pr[j] * dO[b, h, i, c];
                        for (int c = 0; c < d; c++)
                        {
                            dq[b, h, i, c] += scale * ds * k[b, h, j, c];
                            dk[b, h, j, c] += scale * ds * q[b, h, i, c];
                        }
                    }
                }
        return (dq, dk, dvT);
    }

    /// <summary>y [B, T, E] = x [B, T, E]·Wᵀ + bias (Linear convention; W is [Eout, Ein]).</summary>
    public static RefTensor Linear(RefTensor x, RefTensor w, RefTensor? bias)
    {
        int bn = x.Shape[0], t = x.Shape[1], ein = x.Shape[2], eout = w.Shape[0];
        var y = new RefTensor(bn, t, eout);
        for (int b = 0; b < bn; b++)
            for (int i = 0; i < t; i++)
                for (int o = 0; o < eout; o++)
                {
                    double acc = bias is null ? 0 : bias.Data[o];
                    for (int e = 0; e < ein; e++) acc += x[b, i, e] * w[o, e];
                    y[b, i, o] = acc;
                }
        return y;
    }

    /// <summary>Backward of <see cref="Linear"/>: (dx, dW, dbias).</summary>
    public static (RefTensor Dx, RefTensor Dw, RefTensor Db) LinearBackward(RefTensor x, RefTensor w, RefTensor dy)
    {
        int bn = x.Shape[0], t = x.Shape[1], ein = x.Shape[2], eout = w.Shape[0];
        var dx = new RefTensor(x.Shape);
        var dw = new RefTensor(w.Shape);
        var db = new RefTensor(eout);
        for (int b = 0; b < bn; b++)
            for (int i = 0; i < t; i++)
                for (int o = 0; o < eout; o++)
                {
                    double g = dy[b, i, o];
                    db.Data[o] += g;
                    for (int e = 0; e < ein; e++)
                    {
                        dx[b, i, e] += g * w[o, e];
                        dw[o, e] += g * x[b, i, e];
                    }
                }
        return (dx, dw, db);
    }

    /// <summary>[B, T, E] → [B, H, T, E/H].</summary>
    public static RefTensor SplitHeads(RefTensor x, int heads)
    {
        int bn = x.Shape[0], t = x.Shape[1], e = x.Shape[2], dh = e / heads;
        var y = new RefTensor(bn, heads, t, dh);
        for (int b = 0; b < bn; b++)
            for (int i = 0; i < t; i++)
                for (int h = 0; h < heads; h++)
                    for (int c = 0; c < dh; c++) y[b, h, i, c] = x[b, i, h * dh + c];
        return y;
    }

    /// <summary>[B, H, T, Dh] → [B, T, H·Dh].</summary>
    public static RefTensor MergeHeads(RefTensor x)
    {
        int bn = x.Shape[0], heads = x.Shape[1], t = x.Shape[2], dh = x.Shape[3];
        var y = new RefTensor(bn, t, heads * dh);
        for (int b = 0; b < bn; b++)
            for (int i = 0; i < t; i++)
                for (int h = 0; h < heads; h++)
                    for (int c = 0; c < dh; c++) y[b, i, h * dh + c] = x[b, h, i, c];
        return y;
    }

    /// <summary>Multi-head attention: Linear projections, heads split, attention with scale 1/√(E/H), heads merged,
    /// output projection.</summary>
    public static RefTensor MultiHeadAttention(RefTensor xq, RefTensor xk, RefTensor xv,
        RefTensor wq, RefTensor wk, RefTensor wv, RefTensor wo,
        RefTensor? bq, RefTensor? bk, RefTensor? bv, RefTensor? bo, int heads, RefTensor? mask, bool causal)
    {
        var q = SplitHeads(Linear(xq, wq, bq), heads);
        var k = SplitHeads(Linear(xk, wk, bk), heads);
        var v = SplitHeads(Linear(xv, wv, bv), heads);
        var (o, _) = Attention(q, k, v, mask, new AttentionParams(float.NaN, causal));
        return Linear(MergeHeads(o), wo, bo);
    }

    /// <summary>Gradients of <see cref="MultiHeadAttention"/>, in the order
    /// dxq, dxk, dxv, dwq, dwk, dwv, dwo, dbq, dbk, dbv, dbo.</summary>
    public static RefTensor[] MultiHeadAttentionBackward(RefTensor dOut, RefTensor xq, RefTensor xk, RefTensor xv,
        RefTensor wq, RefTensor wk, RefTensor wv, RefTensor wo,
        RefTensor? bq, RefTensor? bk, RefTensor? bv, RefTensor? bo, int heads, RefTensor? mask, bool causal)
    {
        var ap = new AttentionParams(float.NaN, causal);
        var q = SplitHeads(Linear(xq, wq, bq), heads);
        var k = SplitHeads(Linear(xk, wk, bk), heads);
        var v = SplitHeads(Linear(xv, wv, bv), heads);
        var (o, _) = Attention(q, k, v, mask, ap);
        var merged = MergeHeads(o);
        var (dMerged, dwo, dbo) = LinearBackward(merged, wo, dOut);
        var dO = SplitHeads(dMerged, heads);
        var (dq, dk, dv) = AttentionBackward(q, k, v, mask, dO, ap);
        var (dxq, dwq, dbq) = LinearBackward(xq, wq, MergeHeads(dq));
        var (dxk, dwk, dbk) = LinearBackward(xk, wk, MergeHeads(dk));
        var (dxv, dwv, dbv) = LinearBackward(xv, wv, MergeHeads(dv));
        return new[] { dxq, dxk, dxv, dwq, dwk, dwv, dwo, dbq, dbk, dbv, dbo };
    }
}
