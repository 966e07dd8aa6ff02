using Tessera.Kernels;

namespace Tessera;

public static partial class Ops
{
    /// <summary>a op b with NumPy broadcasting → Bool. a and b share a dtype: Float32, Int32 or Int64 (Bool and UInt8 too
    /// for Equal). NaN compares unequal and unordered (every comparison with NaN is false).</summary>
    public static Tensor Compare(CompareOp op, Tensor a, Tensor b)
    {
        string name = op.ToString();
        var device = Check.SameDevice(name, (nameof(a), a), (nameof(b), b));
        var c = Tensor.Empty(device, DType.Bool, ShapeRules.Compare(name, op, a.Spec, b.Spec));
        device.Kernels.Compare(op, a, b, c);
        return c;
    }

    /// <summary>a == b (broadcasting) → Bool.</summary>
    public static Tensor Equal(Tensor a, Tensor b) => Compare(CompareOp.Equal, a, b);
    /// <summary>a &lt; b (broadcasting) → Bool.</summary>
    public static Tensor Less(Tensor a, Tensor b) => Compare(CompareOp.Less, a, b);
    /// <summary>a ≤ b (broadcasting) → Bool.</summary>
    public static Tensor LessOrEqual(Tensor a, Tensor b) => Compare(CompareOp.LessOrEqual, a, b);
    /// <summary>a &gt; b (broadcasting) → Bool.</summary>
    public static Tensor Greater(Tensor a, Tensor b) => Compare(CompareOp.Greater, a, b);
    /// <summary>a ≥ b (broadcasting) → Bool.</summary>
    public static Tensor GreaterOrEqual(Tensor a, Tensor b) => Compare(CompareOp.GreaterOrEqual, a, b);

    /// <summary>cond ? a : b element-wise, broadcasting all three. cond is Bool; a and b share a dtype (Float32, Int32,
    /// Int64 or Bool), which the result has.</summary>
    public static Tensor Where(Tensor cond, Tensor a, Tensor b)
    {
        const string name = nameof(Where);
        var device = Check.SameDevice(name, (nameof(cond), cond), (nameof(a), a), (nameof(b), b));
        var c = Tensor.Empty(device, a.DType, ShapeRules.Where(name, cond.Spec, a.Spec, b.Spec));
        device.Kernels.Where(cond, a, b, c);
        return c;
    }

    /// <summary>Gradients of c = where(cond, a, b) for float32 a and b: da = where(cond, dc, 0) and db = where(cond, 0, dc),
    /// each summed down to <paramref name="aShape"/> / <paramref name="bShape"/> over the broadcast axes. dc has the
    /// broadcast shape of cond, a and b.</summary>
    public static (Tensor? Da, Tensor? Db) WhereBackward(Tensor cond, Tensor dc, Shape aShape, Shape bShape, bool needA = true, bool needB = true)
    {
        const string name = nameof(WhereBackward);
        var device = Check.SameDevice(name, (nameof(cond), cond), (nameof(dc), dc));
        ShapeRules.WhereBackward(name, cond.Spec, dc.Spec, aShape, bShape);
        using var zero = Tensor.Zeros(device, DType.Float32);
        Tensor? da = null, db = null;
        try
        {
            if (needA) da = WhereGradient(cond, dc, zero, aShape);
            if (needB) db = WhereGradient(cond, zero, dc, bShape);
        }
        catch { da?.Dispose(); db?.Dispose(); throw; }
        return (da, db);
    }

    private static Tensor WhereGradient(Tensor cond, Tensor a, Tensor b, Shape target)
    {
        var device = cond.Device;
        var full = Tensor.Empty(device, DType.Float32, Shape.Broadcast(Shape.Broadcast(cond.Shape, a.Shape, nameof(WhereBackward)), b.Shape, nameof(WhereBackward)));
        device.Kernels.Where(cond, a, b, full);
        if (full.Shape == target) return full;
        using (full)
        {
            var g = Tensor.Empty(device, DType.Float32, target);
            device.Kernels.ExpandBackward(full, g);
            return g;
        }
    }

    /// <summary>Logical not of a Bool tensor.</summary>
    public static Tensor LogicalNot(Tensor x)
    {
        const string name = nameof(LogicalNot);
        Check.Alive(name, nameof(x), x);
        var y = Tensor.Empty(x.Device, DType.Bool, ShapeRules.LogicalNot(name, x.Spec));
        x.Device.Kernels.LogicalNot(x, y);
        return y;
    }
}
