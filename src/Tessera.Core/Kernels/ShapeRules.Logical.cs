namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>True when <paramref name="op"/> accepts inputs of <paramref name="dtype"/>: Float32, Int32 and Int64 for
    /// every comparison, Bool and UInt8 as well for Equal.</summary>
    public static bool CompareSupports(CompareOp op, DType dtype) =>
        dtype is DType.Float32 or DType.Int32 or DType.Int64 || (op == CompareOp.Equal && dtype is DType.Bool or DType.UInt8);

    /// <summary>Checks the dtypes of a comparison (a and b alike and supported) and returns the broadcast shape.</summary>
    public static Shape CompareShape(string node, CompareOp op, Shape a, DType da, Shape b, DType db)
    {
        if (!CompareSupports(op, da))
            throw new TesseraDTypeException(node, "a", $"{op} compares Float32, Int32 or Int64{(op == CompareOp.Equal ? ", Bool or UInt8" : "")} tensors, got {da}");
        if (db != da) throw new TesseraDTypeException(node, "b", $"dtype {db} differs from a ({da})");
        return Shape.Broadcast(a, b, node);
    }

    /// <summary>True for the dtypes <c>Where</c> selects between.</summary>
    public static bool WhereSupports(DType dtype) => dtype is DType.Float32 or DType.Int32 or DType.Int64 or DType.Bool;

    /// <summary>Checks the dtypes of a select (cond Bool; a and b alike and supported) and returns the broadcast of all three shapes.</summary>
    public static Shape WhereShape(string node, Shape cond, DType dcond, Shape a, DType da, Shape b, DType db)
    {
        if (dcond != DType.Bool) throw new TesseraDTypeException(node, "cond", $"expected Bool, got {dcond}");
        if (!WhereSupports(da)) throw new TesseraDTypeException(node, "a", $"expected Float32, Int32, Int64 or Bool, got {da}");
        if (db != da) throw new TesseraDTypeException(node, "b", $"dtype {db} differs from a ({da})");
        return Shape.Broadcast(Shape.Broadcast(cond, a, node), b, node);
    }

    /// <summary>ONNX PRelu broadcasts the slope to x only (unidirectionally): checks that and returns x's shape.</summary>
    public static Shape PReluShape(string node, Shape x, Shape slope)
    {
        ExpandsTo(node, "slope", slope, x);
        return x;
    }
}
