namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>True when <paramref name="op"/> accepts inputs of <paramref name="dtype"/>: Float32, Int32 and Int64 for
    /// every comparison, Bool and UInt8 as well for Equal.</summary>
    public static bool CompareSupports(CompareOp op, DType dtype) =>
        dtype is DType.Float32 or DType.Int32 or DType.Int64 || (op == CompareOp.Equal && dtype is DType.Bool or DType.UInt8);

    /// <summary>c = a op b → Bool: a and b alike and supported (<see cref="CompareSupports"/>); returns the broadcast shape.</summary>
    public static Shape Compare(string op, CompareOp kind, TensorSpec a, TensorSpec b)
    {
        if (!CompareSupports(kind, a.DType))
            throw new TesseraDTypeException(op, "a", $"{kind} compares Float32, Int32 or Int64{(kind == CompareOp.Equal ? ", Bool or UInt8" : "")} tensors, got {a.DType}");
        if (b.DType != a.DType) throw new TesseraDTypeException(op, "b", $"dtype {b.DType} differs from a ({a.DType})");
        return Shape.Broadcast(a.Shape, b.Shape, op);
    }

    /// <summary>True for the dtypes <c>Where</c> selects between.</summary>
    public static bool WhereSupports(DType dtype) => dtype is DType.Float32 or DType.Int32 or DType.Int64 or DType.Bool;

    /// <summary>c = cond ? a : b: cond Bool; a and b alike and supported (<see cref="WhereSupports"/>); returns the
    /// broadcast of all three shapes (c has a's dtype).</summary>
    public static Shape Where(string op, TensorSpec cond, TensorSpec a, TensorSpec b)
    {
        if (cond.DType != DType.Bool) throw new TesseraDTypeException(op, "cond", $"expected Bool, got {cond.DType}");
        if (!WhereSupports(a.DType)) throw new TesseraDTypeException(op, "a", $"expected Float32, Int32, Int64 or Bool, got {a.DType}");
        if (b.DType != a.DType) throw new TesseraDTypeException(op, "b", $"dtype {b.DType} differs from a ({a.DType})");
        return Shape.Broadcast(Shape.Broadcast(cond.Shape, a.Shape, op), b.Shape, op);
    }

    /// <summary>Gradients of a float32 select: dc is Float32 of the broadcast shape of cond, a and b; returns that shape.</summary>
    public static Shape WhereBackward(string op, TensorSpec cond, TensorSpec dc, Shape aShape, Shape bShape)
    {
        Check.Float32(op, "dc", dc);
        var full = Where(op, cond, new TensorSpec(aShape, DType.Float32), new TensorSpec(bShape, DType.Float32));
        Check.Shape(op, "dc", dc, full);
        return full;
    }

    /// <summary>y = !x: x is Bool; returns y's shape.</summary>
    public static Shape LogicalNot(string op, TensorSpec x)
    {
        Check.DType(op, "x", x, DType.Bool);
        return x.Shape;
    }
}
