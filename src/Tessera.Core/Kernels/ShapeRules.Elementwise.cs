namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>Output shape of a binary element-wise op: the NumPy broadcast of the inputs.</summary>
    public static Shape BinaryShape(string op, Shape a, Shape b) => Shape.Broadcast(a, b, op);

    /// <summary>True when the unary op's gradient reads the forward output y (otherwise it reads x).</summary>
    public static bool UnaryGradientUsesOutput(UnaryOp op) =>
        op is UnaryOp.Exp or UnaryOp.Sqrt or UnaryOp.Reciprocal or UnaryOp.Sigmoid or UnaryOp.Tanh;

    /// <summary>Validates the scalars of a unary op (finite where they scale, ordered bounds for Clamp).</summary>
    public static void CheckUnaryParams(string op, UnaryOp kind, UnaryParams p)
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
