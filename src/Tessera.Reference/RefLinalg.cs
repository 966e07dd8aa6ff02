using Tessera.Kernels;

namespace Tessera.Reference;

/// <summary>Reference matrix products: plain loops, double accumulation, NumPy broadcasting of batch dimensions.</summary>
public static class RefLinalg
{
    /// <summary>c = act(Alpha·op(a)·op(b) + Beta·c + bias), act the activation of <see cref="GemmParams.Epilogue"/>
    /// (c may be null: then the Beta term is absent).</summary>
    public static RefTensor Gemm(RefTensor a, RefTensor b, RefTensor? bias, GemmParams p, RefTensor? c = null)
    {
        int m = p.TransA ? a.Shape[^1] : a.Shape[^2];
        int k = p.TransA ? a.Shape[^2] : a.Shape[^1];
        int n = p.TransB ? b.Shape[^2] : b.Shape[^1];
        int kb = p.TransB ? b.Shape[^1] : b.Shape[^2];
        if (k != kb) throw new ArgumentException($"inner dimensions {k} and {kb} differ");
        var batch = RefElementwise.BroadcastShape(a.Shape[..^2], b.Shape[..^2]);
        var outShape = batch.Concat(new[] { m, n }).ToArray();
        var y = new RefTensor(outShape);
        for (long flat = 0; flat < y.Length; flat++)
        {
            var idx = y.Unravel(flat);
            int i = idx[^2], j = idx[^1];
            var bIdx = idx[..^2];
            double s = 0;
            for (int q = 0; q < k; q++)
            {
                double av = a[Project(bIdx, a.Shape, p.TransA ? q : i, p.TransA ? i : q)];
                double bv = b[Project(bIdx, b.Shape, p.TransB ? j : q, p.TransB ? q : j)];
                s += av * bv;
            }
            double v = p.Alpha * s;
            if (c is not null && p.Beta != 0) v += p.Beta * c.Data[flat];
            if (bias is not null) v += bias[Broadcast(idx, bias.Shape)];
            y.Data[flat] = ScalarMath.Unary(p.Epilogue.Activation, v, p.Epilogue.Params);
        }
        return y;
    }

    /// <summary>NumPy matmul (rank-1 operands promoted, promoted dimension dropped).</summary>
    public static RefTensor MatMul(RefTensor a, RefTensor b)
    {
        var a2 = a.Rank == 1 ? new RefTensor(new[] { 1, a.Shape[0] }, a.Data) : a;
        var b2 = b.Rank == 1 ? new RefTensor(new[] { b.Shape[0], 1 }, b.Data) : b;
        var c = Gemm(a2, b2, null, new GemmParams());
        var shape = c.Shape.ToList();
        if (b.Rank == 1) shape.RemoveAt(shape.Count - 1);
        if (a.Rank == 1) shape.RemoveAt(shape.Count - (b.Rank == 1 ? 1 : 2));
        return new RefTensor(shape.ToArray(), c.Data);
    }

    /// <summary>y[..., o] = Σ_i x[..., i]·w[o, i] + bias[o].</summary>
    public static RefTensor Linear(RefTensor x, RefTensor w, RefTensor? bias)
    {
        int outF = w.Shape[0], inF = w.Shape[1];
        int rows = x.Length / Math.Max(1, inF);
        if (inF == 0) rows = (int)RefTensor.Count(x.Shape[..^1]);
        var shape = x.Shape.ToArray();
        shape[^1] = outF;
        var y = new RefTensor(shape);
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = bias is null ? 0 : bias.Data[o];
                for (int i = 0; i < inF; i++) s += x.Data[r * inF + i] * w.Data[o * inF + i];
                y.Data[r * outF + o] = s;
            }
        return y;
    }

    /// <summary>Gradients of <see cref="MatMul"/>: dc is scattered back through each multiply, so broadcast operands
    /// accumulate over the batch entries that used them.</summary>
    public static (RefTensor Da, RefTensor Db) MatMulBackward(RefTensor a, RefTensor b, RefTensor dc)
    {
        var a2 = a.Rank == 1 ? new RefTensor(new[] { 1, a.Shape[0] }, a.Data) : a;
        var b2 = b.Rank == 1 ? new RefTensor(new[] { b.Shape[0], 1 }, b.Data) : b;
        int m = a2.Shape[^2], k = a2.Shape[^1], n = b2.Shape[^1];
        var batch = RefElementwise.BroadcastShape(a2.Shape[..^2], b2.Shape[..^2]);
        var cShape = batch.Concat(new[] { m, n }).ToArray();
        var dc2 = new RefTensor(cShape, dc.Data);
        var da = new RefTensor(a2.Shape);
        var db = new RefTensor(b2.Shape);
        for (long flat = 0; flat < dc2.Length; flat++)
        {
            var idx = dc2.Unravel(flat);
            int i = idx[^2], j = idx[^1];
            var bIdx = idx[..^2];
            double g = dc2.Data[flat];
            for (int q = 0; q < k; q++)
            {
                var ai = Project(bIdx, a2.Shape, i, q);
                var bi = Project(bIdx, b2.Shape, q, j);
                da[ai] += g * b2[bi];
                db[bi] += g * a2[ai];
            }
        }
        return (new RefTensor(a.Shape, da.Data), new RefTensor(b.Shape, db.Data));
    }

    /// <summary>Gradients of <see cref="Linear"/>: dx = dy·w, dw = Σ dyᵀ·x, db = Σ dy.</summary>
    public static (RefTensor Dx, RefTensor Dw, RefTensor Db) LinearBackward(RefTensor x, RefTensor w, RefTensor dy)
    {
        int outF = w.Shape[0], inF = w.Shape[1];
        int rows = (int)RefTensor.Count(x.Shape[..^1]);
        var dx = new RefTensor(x.Shape);
        var dw = new RefTensor(w.Shape);
        var db = new RefTensor(outF);
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double g = dy.Data[r * outF + o];
                db.Data[o] += g;
                for (int i = 0; i < inF; i++)
                {
                    dx.Data[r * inF + i] += g * w.Data[o * inF + i];
                    dw.Data[o * inF + i] += g * x.Data[r * inF + i];
                }
            }
        return (dx, dw, db);
    }

    /// <summary>Index into a tensor of <paramref name="shape"/> (rank ≥ 2) for batch index <paramref name="batch"/>
    /// of the broadcast result and matrix element (row, col).</summary>
    private static int[] Project(int[] batch, int[] shape, int row, int col)
    {
        var idx = Broadcast([.. batch, 0, 0], shape);
        idx[^2] = row;
        idx[^1] = col;
        return idx;
    }

    /// <summary>The element of a tensor of <paramref name="shape"/> that broadcasting maps to output index <paramref name="outIdx"/>.</summary>
    private static int[] Broadcast(int[] outIdx, int[] shape)
    {
        var idx = new int[shape.Length];
        int lead = outIdx.Length - shape.Length;
        for (int d = 0; d < shape.Length; d++) idx[d] = shape[d] == 1 ? 0 : outIdx[lead + d];
        return idx;
    }
}
