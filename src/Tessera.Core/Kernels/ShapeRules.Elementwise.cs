namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>True when the unary op's gradient reads the forward output y (otherwise it reads x).</summary>
    public static bool UnaryGradientUsesOutput(UnaryOp op) =>
        op is UnaryOp.Exp or UnaryOp.Sqrt or UnaryOp.Reciprocal or UnaryOp.Sigmoid or UnaryOp.Tanh;

    /// <summary>y = f(x): x is Float32 and the scalars suit the op; returns y's shape (x's).</summary>
    public static Shape Unary(string op, UnaryOp kind, TensorSpec x, UnaryParams p)
    {
        Check.Float32(op, "x", x);
        CheckUnaryParams(op, kind, p);
        return x.Shape;
    }

    /// <summary>dx = dy·f'(x): x, dy and (when given) the forward output y are Float32 of x's shape; returns dx's shape.</summary>
    public static Shape UnaryBackward(string op, UnaryOp kind, TensorSpec x, TensorSpec? y, TensorSpec dy, UnaryParams p)
    {
        Check.Float32(op, "x", x);
        Check.Float32(op, "dy", dy);
        Check.SameShape(op, "dy", dy, "x", x);
        CheckUnaryParams(op, kind, p);
        if (y is { } ys)
        {
            Check.Float32(op, "y", ys);
            Check.SameShape(op, "y", ys, "x", x);
        }
        return x.Shape;
    }

    /// <summary>c = a ∘ b: Float32 inputs whose shapes broadcast (NumPy rules, both ways, for every op including
    /// <see cref="BinaryOp.PRelu"/>; <see cref="PRelu"/> is the one-way form); returns c's shape.</summary>
    public static Shape Binary(string op, BinaryOp kind, TensorSpec a, TensorSpec b)
    {
        Check.Float32(op, "a", a);
        Check.Float32(op, "b", b);
        return Shape.Broadcast(a.Shape, b.Shape, op);
    }

    /// <summary>Gradients of c = a ∘ b: the forward rule holds and dc is Float32 of c's shape; returns c's shape.</summary>
    public static Shape BinaryBackward(string op, BinaryOp kind, TensorSpec a, TensorSpec b, TensorSpec dc)
    {
        var c = Binary(op, kind, a, b);
        Check.Float32(op, "dc", dc);
        Check.Shape(op, "dc", dc, c);
        return c;
    }

    /// <summary>ONNX PRelu: Float32 x and slope, the slope broadcasting to x (unidirectionally); returns x's shape.</summary>
    public static Shape PRelu(string op, TensorSpec x, TensorSpec slope)
    {
        Check.Float32(op, "x", x);
        Check.Float32(op, "slope", slope);
        ExpandsTo(op, "slope", slope.Shape, x.Shape);
        return x.Shape;
    }

    /// <summary>Gradients of PRelu: the forward rule holds and dy is Float32 of x's shape (returned).</summary>
    public static Shape PReluBackward(string op, TensorSpec x, TensorSpec slope, TensorSpec dy)
    {
        var y = PRelu(op, x, slope);
        Check.Float32(op, "dy", dy);
        Check.Shape(op, "dy", dy, y);
        return y;
    }

    /// <summary>Validates the scalars of a unary op (finite where they scale, ordered bounds for Clamp).</summary>
    private static void CheckUnaryParams(string op, UnaryOp kind, UnaryParams p)
    {
        switch (kind)
        {
            case UnaryOp.LeakyRelu:
            case UnaryOp.PowScalar:
                Check.Finite(op, "alpha", p.Alpha);
                break;
            case UnaryOp.HardSigmoid:
            case UnaryOp.Affine:
                Check.Finite(op, "alpha", p.Alpha);
                Check.Finite(op, "beta", p.Beta);
                break;
            case UnaryOp.Clamp:
                if (float.IsNaN(p.Alpha) || float.IsNaN(p.Beta) || p.Alpha > p.Beta)
                    throw new TesseraArgumentException(op, "min/max", $"bounds must be ordered numbers (min ≤ max), got [{p.Alpha}, {p.Beta}]");
                break;
        }
    }
}
