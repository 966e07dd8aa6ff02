namespace Tessera.Kernels;

/// <summary>The argument rule of every op, shared by the eager facade (<see cref="Ops"/>) and the inference of the graph
/// operators, so that an argument refused eagerly is refused the same way in a graph. A rule works on shape/dtype
/// descriptions (<see cref="TensorSpec"/>), validates one op's arguments (dtypes, ranks, shapes, scalar parameters),
/// names the op (or graph node) in its errors, and returns the normalised parameters and the output shapes. Split by
/// op family into partial files.</summary>
public static partial class ShapeRules
{
    /// <summary>x converted to <paramref name="to"/>: both are element types Tessera defines. Returns y's shape.</summary>
    public static Shape Cast(string op, TensorSpec x, DType to)
    {
        if (!Enum.IsDefined(x.DType)) throw new TesseraDTypeException(op, "x", $"cannot cast from unknown dtype {(int)x.DType}");
        if (!Enum.IsDefined(to)) throw new TesseraDTypeException(op, "to", $"cannot cast to unknown dtype {(int)to}");
        return x.Shape;
    }

    /// <summary>Every element of <paramref name="dst"/> set to <paramref name="value"/>: a value that is not finite only
    /// fills a floating-point tensor. Returns the shape filled.</summary>
    public static Shape Fill(string op, TensorSpec dst, double value)
    {
        if (!Enum.IsDefined(dst.DType)) throw new TesseraDTypeException(op, "dst", $"cannot fill unknown dtype {(int)dst.DType}");
        StorableConstant(op, "value", value, dst.DType);
        return dst.Shape;
    }

    /// <summary>A constant that is not finite can be stored in a floating-point dtype only.</summary>
    private static void StorableConstant(string op, string name, double value, DType dtype)
    {
        if (!double.IsFinite(value) && !dtype.IsFloat())
            throw new TesseraArgumentException(op, name, $"{value} cannot be stored in {dtype}");
    }
}
