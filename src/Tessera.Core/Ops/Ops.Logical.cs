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
        var shape = ShapeRules.CompareShape(name, op, a.Shape, a.DType, b.Shape, b.DType);
        var c = Tensor.Empty(device, DType.Bool, shape);
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
        var shape = ShapeRules.WhereShape(name, cond.Shape, cond.DType, a.Shape, a.DType, b.Shape, b.DType);
        var c = Tensor.Empty(device, a.DType, shape);
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
        Check.Float32(name, nameof(dc), dc);
        var full = ShapeRules.WhereShape(name, cond.Shape, cond.DType, aShape, DType.Float32, bShape, DType.Float32);
        Check.Shape(name, nameof(dc), dc, full);
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
        const string name = "Not";
        Check.Alive(name, nameof(x), x);
        Check.DType(name, nameof(x), x, DType.Bool);
        var y = Tensor.Empty(x.Device, DType.Bool, x.Shape);
        x.Device.Kernels.LogicalNot(x, y);
        return y;
    }

    /// <summary>ONNX PRelu: x ≥ 0 ? x : slope·x, with the slope broadcast to x (float32; the result has x's shape).</summary>
    public static Tensor PRelu(Tensor x, Tensor slope)
    {
        const string name = nameof(PRelu);
        var device = Check.SameDevice(name, (nameof(x), x), (nameof(slope), slope));
        Check.Float32(name, nameof(x), x);
        Check.Float32(name, nameof(slope), slope);
        var c = Tensor.Empty(device, DType.Float32, ShapeRules.PReluShape(name, x.Shape, slope.Shape));
        device.Kernels.Binary(BinaryOp.PRelu, x, slope, c);
        return c;
    }

    /// <summary>Gradients of <see cref="PRelu"/>: dx = x ≥ 0 ? dy : slope·dy and dslope = Σ (x ≥ 0 ? 0 : x·dy) over the axes
    /// the slope was broadcast along.</summary>
    public static (Tensor? Dx, Tensor? Dslope) PReluBackward(Tensor x, Tensor slope, Tensor dy, bool needX = true, bool needSlope = true)
    {
        ShapeRules.PReluShape(nameof(PReluBackward), x.Shape, slope.Shape);
        return BinaryBackward(BinaryOp.PRelu, x, slope, dy, needX, needSlope);
    }
}
