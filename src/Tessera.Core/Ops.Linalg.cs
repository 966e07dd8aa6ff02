using Tessera.Kernels;

namespace Tessera;

public static partial class Ops
{
    /// <summary>c = act(Alpha·op(a)·op(b) + Beta·c + bias), act the fused activation of <see cref="GemmParams.Epilogue"/>
    /// (none by default), batched over broadcast leading dimensions (see
    /// <see cref="ShapeRules.Gemm(string, TensorSpec, TensorSpec, TensorSpec?, GemmParams)"/>). a and b may be strided views. bias is null or broadcastable to c (usually [N]).
    /// When <paramref name="c"/> is given it must be contiguous with the result's shape and is updated in place and
    /// returned; when it is null a new tensor is returned and Beta is ignored.</summary>
    public static Tensor Gemm(Tensor a, Tensor b, Tensor? bias, GemmParams p, Tensor? c = null) => GemmCore(nameof(Gemm), a, b, bias, p, c);

    /// <summary>NumPy matmul: batched over broadcast leading dimensions; rank-1 operands are promoted (a to a row, b to a
    /// column) and the promoted dimension is removed from the result.</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        const string op = nameof(MatMul);
        Check.SameDevice(op, (nameof(a), a), (nameof(b), b));
        var shape = ShapeRules.MatMul(op, a.Spec, b.Spec);
        using var a2 = a.Rank == 1 ? a.Unsqueeze(0) : a.Alias();
        using var b2 = b.Rank == 1 ? b.Unsqueeze(1) : b.Alias();
        using var c = GemmCore(op, a2, b2, null, new GemmParams(), null);
        return c.Reshape(shape.ToArray());
    }

    /// <summary>y = x·wᵀ + bias: x [..., In], w [Out, In], bias null or [Out] → y [..., Out].</summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? bias = null)
    {
        const string op = nameof(Linear);
        Check.SameDevice(op, [(nameof(x), x), (nameof(w), w)], (nameof(bias), bias));
        var shape = ShapeRules.Linear(op, x.Spec, w.Spec, bias?.Spec);
        using var x2 = LinearRows(x);
        using var y = GemmCore(op, x2, w, bias, new GemmParams(TransB: true), null);
        return y.Reshape(shape.ToArray());
    }

    /// <summary>Gradients of <see cref="MatMul"/>: da = dc·bᵀ and db = aᵀ·dc, each summed over the batch dimensions
    /// its operand was broadcast along, so da has a's shape and db has b's.</summary>
    public static (Tensor Da, Tensor Db) MatMulBackward(Tensor a, Tensor b, Tensor dc)
    {
        const string op = nameof(MatMulBackward);
        Check.SameDevice(op, (nameof(a), a), (nameof(b), b), (nameof(dc), dc));
        ShapeRules.MatMulBackward(op, a.Spec, b.Spec, dc.Spec);
        using var a2 = a.Rank == 1 ? a.Unsqueeze(0) : a.Alias();
        using var b2 = b.Rank == 1 ? b.Unsqueeze(1) : b.Alias();
        var c2Shape = ShapeRules.Gemm(a2.Shape, b2.Shape, new GemmParams(), op);
        using var dc2 = dc.Reshape(c2Shape.ToArray());
        var batch = c2Shape.ToArray()[..^2];
        using var da2 = MatMulReducedProduct(op, dc2, false, b2, true, batch, a2.Shape);
        using var db2 = MatMulReducedProduct(op, a2, true, dc2, false, batch, b2.Shape);
        return (da2.Reshape(a.Shape.ToArray()), db2.Reshape(b.Shape.ToArray()));
    }

    /// <summary>Gradients of <see cref="Linear"/>: dx = dy·w, dw = dyᵀ·x (summed over all leading dimensions),
    /// db = dy summed over all leading dimensions.</summary>
    public static (Tensor Dx, Tensor Dw, Tensor Db) LinearBackward(Tensor x, Tensor w, Tensor dy)
    {
        const string op = nameof(LinearBackward);
        var device = Check.SameDevice(op, (nameof(x), x), (nameof(w), w), (nameof(dy), dy));
        ShapeRules.LinearBackward(op, x.Spec, w.Spec, dy.Spec);
        int outF = w.Shape[0], inF = w.Shape[1];
        int rows = LinearLeadingCount(x.Shape);
        using var x2 = x.Reshape(rows, inF);
        using var dy2 = dy.Reshape(rows, outF);
        using var dx2 = GemmCore(op, dy2, w, null, new GemmParams(), null);
        var dw = GemmCore(op, dy2, x2, null, new GemmParams(TransA: true), null);
        using var ones = Tensor.Full(device, 1f, 1, rows);
        using var db2 = GemmCore(op, ones, dy2, null, new GemmParams(), null);
        return (dx2.Reshape(x.Shape.ToArray()), dw, db2.Reshape(outF));
    }

    private static Tensor GemmCore(string op, Tensor a, Tensor b, Tensor? bias, GemmParams p, Tensor? c)
    {
        var device = Check.SameDevice(op, [(nameof(a), a), (nameof(b), b)], (nameof(bias), bias), (nameof(c), c));
        var shape = ShapeRules.Gemm(op, a.Spec, b.Spec, bias?.Spec, p);
        if (c is null)
        {
            c = Tensor.Empty(device, DType.Float32, shape);
            p = p with { Beta = 0f };
        }
        else
        {
            Check.Output(op, nameof(c), c, shape, DType.Float32);
            if (ReferenceEquals(c.Storage, a.Storage) || ReferenceEquals(c.Storage, b.Storage))
                throw new TesseraArgumentException(op, nameof(c), "the output shares memory with an input");
        }
        device.Kernels.Gemm(a, b, bias, c, p);
        return c;
    }

    /// <summary>A rank-2 view [rows, In] of x [..., In] when that needs no copy; otherwise x itself (then batched).</summary>
    private static Tensor LinearRows(Tensor x)
    {
        if (x.Rank == 1) return x.Unsqueeze(0);
        if (x.Rank > 2 && x.IsContiguous) return x.Reshape(LinearLeadingCount(x.Shape), x.Shape[^1]);
        return x.Alias();
    }

    /// <summary>Product of all dimensions but the last.</summary>
    private static int LinearLeadingCount(Shape s)
    {
        long n = 1;
        for (int i = 0; i < s.Rank - 1; i++) n *= s[i];
        return checked((int)n);
    }

    /// <summary>Σ over the batch dimensions that <paramref name="target"/> does not have (or has as 1) of op(x)·op(y),
    /// where op(x): [batch..., r, t] and op(y): [batch..., t, s] broadcast to <paramref name="batch"/>. The summed
    /// dimensions are folded into the contraction (t) so one GEMM does the product and the reduction.</summary>
    private static Tensor MatMulReducedProduct(string op, Tensor x, bool tx, Tensor y, bool ty, int[] batch, Shape target)
    {
        int br = batch.Length;
        var tb = new int[br];
        for (int d = 0; d < br; d++) { int i = d - (br - (target.Rank - 2)); tb[d] = i >= 0 ? target[i] : 1; }
        var kept = new List<int>();
        var reduced = new List<int>();
        for (int d = 0; d < br; d++) (tb[d] == batch[d] ? kept : reduced).Add(d);
        if (reduced.Count == 0)
        {
            using var direct = GemmCore(op, x, y, null, new GemmParams(tx, ty), null);
            return direct.Reshape(target.ToArray());
        }
        using var ox = tx ? x.Transpose() : x.Alias();
        using var oy = ty ? y.Transpose() : y.Alias();
        int r = ox.Shape[^2], t = ox.Shape[^1], s = oy.Shape[^1];
        using var fx = ox.Expand([.. batch, r, t]);
        using var fy = oy.Expand([.. batch, t, s]);
        long rt = (long)t;
        foreach (var d in reduced) rt *= batch[d];
        var keptDims = kept.Select(d => batch[d]).ToArray();
        // x → [kept..., r, reduced..., t] → [kept..., r, R·t];  y → [kept..., reduced..., t, s] → [kept..., R·t, s].
        using var px = fx.Permute([.. kept, br, .. reduced, br + 1]);
        using var py = fy.Permute([.. kept, .. reduced, br, br + 1]);
        using var mx = px.Reshape([.. keptDims, r, checked((int)rt)]);
        using var my = py.Reshape([.. keptDims, checked((int)rt), s]);
        using var res = GemmCore(op, mx, my, null, new GemmParams(), null);
        return res.Reshape(target.ToArray());
    }
}
