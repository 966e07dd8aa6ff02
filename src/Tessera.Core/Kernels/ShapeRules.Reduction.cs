namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>y = reduce(x) over <paramref name="axes"/> (empty: every axis; negative axes count from the end): x is
    /// Float32, the axes are in range and distinct, and Max/Min do not fold zero elements into a non-empty output.
    /// Returns the normalised parameters (axes in [0, rank), ascending) and y's shape.</summary>
    public static (ReduceParams P, Shape Y) Reduce(string op, ReduceOp kind, TensorSpec x, ReadOnlySpan<int> axes, bool keepDims)
    {
        Check.Float32(op, "x", x);
        var p = new ReduceParams(Check.Axes(op, axes, x.Shape.Rank), keepDims);
        var y = ReduceShape(x.Shape, p);
        if (kind is ReduceOp.Max or ReduceOp.Min && ReducedCount(x.Shape, p) == 0 && x.Shape.ElementCount == 0 && y.ElementCount > 0)
            throw new TesseraShapeException(op, "x", $"cannot take the {kind} of zero elements (shape {x.Shape}, axes [{string.Join(", ", p.Axes)}])");
        return (p, y);
    }

    /// <summary>dx of a reduction: the forward rule holds; dy and (when given) the forward output y are Float32 of y's
    /// shape. Returns the normalised parameters and y's shape (dx has x's).</summary>
    public static (ReduceParams P, Shape Y) ReduceBackward(string op, ReduceOp kind, TensorSpec x, TensorSpec? y, TensorSpec dy,
        ReadOnlySpan<int> axes, bool keepDims)
    {
        var r = Reduce(op, kind, x, axes, keepDims);
        Check.Float32(op, "dy", dy);
        Check.Shape(op, "dy", dy, r.Y);
        if (y is { } ys)
        {
            Check.Float32(op, "y", ys);
            Check.Shape(op, "y", ys, r.Y);
        }
        return r;
    }

    /// <summary>Output shape of a reduction: reduced axes become 1 (keepDims) or disappear.</summary>
    public static Shape ReduceShape(Shape x, ReduceParams p)
    {
        var dims = new List<int>();
        for (int i = 0; i < x.Rank; i++)
        {
            bool reduced = p.Axes.Length == 0 || Array.IndexOf(p.Axes, i) >= 0;
            if (!reduced) dims.Add(x[i]);
            else if (p.KeepDims) dims.Add(1);
        }
        return new Shape(dims.ToArray());
    }

    /// <summary>Number of elements folded into each output of a reduction.</summary>
    public static long ReducedCount(Shape x, ReduceParams p)
    {
        long n = 1;
        for (int i = 0; i < x.Rank; i++)
            if (p.Axes.Length == 0 || Array.IndexOf(p.Axes, i) >= 0) n *= x[i];
        return n;
    }

    /// <summary>Int64 index of the maximum along <paramref name="axis"/>: x is Float32 and the axis in range and not
    /// empty. Returns the normalised parameters and the output shape.</summary>
    public static (ArgReduceParams P, Shape Y) ArgMax(string op, TensorSpec x, int axis, bool keepDims, bool selectLastIndex)
    {
        Check.Float32(op, "x", x);
        var p = new ArgReduceParams(x.Shape.Axis(axis, op), keepDims, selectLastIndex);
        if (x.Shape[p.Axis] == 0) throw new TesseraShapeException(op, "x", $"axis {axis} of {x.Shape} is empty");
        return (p, ReduceShape(x.Shape, new ReduceParams(new[] { p.Axis }, keepDims)));
    }

    /// <summary>Softmax or log-softmax along <paramref name="axis"/>: x is Float32 and the axis in range. Returns the
    /// normalised parameters (the output has x's shape).</summary>
    public static SoftmaxParams Softmax(string op, TensorSpec x, int axis, bool log)
    {
        Check.Float32(op, "x", x);
        return new SoftmaxParams(x.Shape.Axis(axis, op), log);
    }

    /// <summary>dx of softmax from its output y: y and dy are Float32 of one shape and the axis is in range.</summary>
    public static SoftmaxParams SoftmaxBackward(string op, TensorSpec y, TensorSpec dy, int axis, bool log)
    {
        Check.Float32(op, "y", y);
        Check.Float32(op, "dy", dy);
        Check.SameShape(op, "dy", dy, "y", y);
        return new SoftmaxParams(y.Shape.Axis(axis, op), log);
    }

    /// <summary>Mean or maximum over the spatial axes of NCHW: x has rank 4. Returns the axes reduced ([2, 3]).</summary>
    public static int[] GlobalPool2d(string op, TensorSpec x)
    {
        Check.Rank(op, "x", x, 4);
        return new[] { 2, 3 };
    }
}
