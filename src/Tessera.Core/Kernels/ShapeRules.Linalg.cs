namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>Shape of c = op(a)·op(b): a [..., M, K] ([..., K, M] when TransA), b [..., K, N] ([..., N, K] when
    /// TransB), both rank ≥ 2; the leading (batch) dimensions broadcast NumPy-style.</summary>
    public static Shape Gemm(Shape a, Shape b, GemmParams p, string op = "Gemm")
    {
        if (a.Rank < 2) throw new TesseraShapeException(op, "a", $"expected rank ≥ 2, got {a}");
        if (b.Rank < 2) throw new TesseraShapeException(op, "b", $"expected rank ≥ 2, got {b}");
        int m = p.TransA ? a[^1] : a[^2], ka = p.TransA ? a[^2] : a[^1];
        int kb = p.TransB ? b[^1] : b[^2], n = p.TransB ? b[^2] : b[^1];
        if (ka != kb)
            throw new TesseraShapeException(op, "b", $"inner dimensions differ: a {a}{(p.TransA ? "ᵀ" : "")} has K = {ka}, b {b}{(p.TransB ? "ᵀ" : "")} has K = {kb}");
        var batch = MatMulBatchBroadcast(a, b, op);
        return Shape.Create(op, [.. batch, m, n]);
    }

    /// <summary>NumPy matmul shape: rank ≥ 1 each; a rank-1 a is a row [1, K] and a rank-1 b a column [K, 1], whose
    /// unit dimension is then dropped from the result.</summary>
    public static Shape MatMul(Shape a, Shape b, string op = "MatMul")
    {
        if (a.Rank < 1) throw new TesseraShapeException(op, "a", $"expected rank ≥ 1, got {a}");
        if (b.Rank < 1) throw new TesseraShapeException(op, "b", $"expected rank ≥ 1, got {b}");
        var a2 = a.Rank == 1 ? new Shape(1, a[0]) : a;
        var b2 = b.Rank == 1 ? new Shape(b[0], 1) : b;
        var c = Gemm(a2, b2, new GemmParams(), op).ToArray().ToList();
        if (b.Rank == 1) c.RemoveAt(c.Count - 1);
        if (a.Rank == 1) c.RemoveAt(c.Count - (b.Rank == 1 ? 1 : 2));
        return new Shape(c.ToArray());
    }

    /// <summary>Shape of y = x·wᵀ + b: x [..., In] (rank ≥ 1), w [Out, In], b null or [Out] → y [..., Out].</summary>
    public static Shape Linear(Shape x, Shape w, Shape? bias = null, string op = "Linear")
    {
        if (x.Rank < 1) throw new TesseraShapeException(op, "x", $"expected rank ≥ 1, got {x}");
        if (w.Rank != 2) throw new TesseraShapeException(op, "w", $"expected [Out, In], got {w}");
        if (x[^1] != w[1]) throw new TesseraShapeException(op, "w", $"x {x} has {x[^1]} input features but w {w} expects {w[1]}");
        if (bias is { } b && (b.Rank != 1 || b[0] != w[0]))
            throw new TesseraShapeException(op, "bias", $"expected [{w[0]}], got {b}");
        var dims = x.ToArray();
        dims[^1] = w[0];
        return Shape.Create(op, dims);
    }

    /// <summary>c = act(Alpha·op(a)·op(b) + bias): Float32 a, b and bias; the shapes per <see cref="Gemm(Shape, Shape, GemmParams, string)"/>,
    /// the bias broadcasting to c, and the epilogue's activation one of <see cref="Epilogue.Activations"/>. Returns c's shape.</summary>
    public static Shape Gemm(string op, TensorSpec a, TensorSpec b, TensorSpec? bias, GemmParams p)
    {
        Check.Float32(op, "a", a);
        Check.Float32(op, "b", b);
        var c = Gemm(a.Shape, b.Shape, p, op);
        if (bias is { } bs)
        {
            Check.Float32(op, "bias", bs);
            ExpandsTo(op, "bias", bs.Shape, c);
        }
        CheckEpilogue(op, p.Epilogue);
        return c;
    }

    /// <summary>NumPy matmul of Float32 a and b (shapes per <see cref="MatMul(Shape, Shape, string)"/>); returns c's shape.</summary>
    public static Shape MatMul(string op, TensorSpec a, TensorSpec b)
    {
        Check.Float32(op, "a", a);
        Check.Float32(op, "b", b);
        return MatMul(a.Shape, b.Shape, op);
    }

    /// <summary>Gradients of matmul: the forward rule holds and dc is Float32 of c's shape (returned).</summary>
    public static Shape MatMulBackward(string op, TensorSpec a, TensorSpec b, TensorSpec dc)
    {
        var c = MatMul(op, a, b);
        Check.Float32(op, "dc", dc);
        Check.Shape(op, "dc", dc, c);
        return c;
    }

    /// <summary>y = x·wᵀ + bias: Float32 x, w and bias (shapes per <see cref="Linear(Shape, Shape, Shape?, string)"/>);
    /// returns y's shape.</summary>
    public static Shape Linear(string op, TensorSpec x, TensorSpec w, TensorSpec? bias)
    {
        Check.Float32(op, "x", x);
        Check.Float32(op, "w", w);
        if (bias is { } b) Check.Float32(op, "bias", b);
        return Linear(x.Shape, w.Shape, bias?.Shape, op);
    }

    /// <summary>Gradients of linear: the forward rule holds (without bias) and dy is Float32 of y's shape (returned).</summary>
    public static Shape LinearBackward(string op, TensorSpec x, TensorSpec w, TensorSpec dy)
    {
        var y = Linear(op, x, w, null);
        Check.Float32(op, "dy", dy);
        Check.Shape(op, "dy", dy, y);
        return y;
    }

    private static int[] MatMulBatchBroadcast(Shape a, Shape b, string op)
    {
        int ra = a.Rank - 2, rb = b.Rank - 2, r = Math.Max(ra, rb);
        var d = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - ra) >= 0 ? a[i - (r - ra)] : 1;
            int db = i - (r - rb) >= 0 ? b[i - (r - rb)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new TesseraShapeException(op, "b", $"batch dimensions of a {a} and b {b} do not broadcast (batch dimension {i}: {da} vs {db})");
            d[i] = da == 1 ? db : da;
        }
        return d;
    }
}
