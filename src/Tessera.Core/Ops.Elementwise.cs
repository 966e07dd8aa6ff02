using Tessera.Kernels;

namespace Tessera;

public static partial class Ops
{
    /// <summary>y = f(x) for a unary op (float32). Errors name the op (e.g. "Relu").</summary>
    public static Tensor Unary(UnaryOp op, Tensor x, UnaryParams p = default)
    {
        string name = op.ToString();
        Check.Alive(name, nameof(x), x);
        var y = Tensor.Empty(x.Device, DType.Float32, ShapeRules.Unary(name, op, x.Spec, p));
        x.Device.Kernels.Unary(op, x, y, p);
        return y;
    }

    /// <summary>dx = dy·f'(x). <paramref name="y"/> is the forward output; pass it when at hand (it is recomputed if null
    /// and the op's gradient needs it: Exp, Sqrt, Reciprocal, Sigmoid, Tanh).</summary>
    public static Tensor UnaryBackward(UnaryOp op, Tensor x, Tensor? y, Tensor dy, UnaryParams p = default)
    {
        string name = op + "Backward";
        var device = Check.SameDevice(name, [(nameof(x), x), (nameof(dy), dy)], (nameof(y), y));
        var shape = ShapeRules.UnaryBackward(name, op, x.Spec, y?.Spec, dy.Spec, p);
        Tensor? computed = y is null && ShapeRules.UnaryGradientUsesOutput(op) ? Unary(op, x, p) : null;
        try
        {
            var dx = Tensor.Empty(device, DType.Float32, shape);
            device.Kernels.UnaryBackward(op, x, y ?? computed ?? x, dy, dx, p);
            return dx;
        }
        finally { computed?.Dispose(); }
    }

    /// <summary>c = a ∘ b with NumPy broadcasting (float32).</summary>
    public static Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        string name = op.ToString();
        var device = Check.SameDevice(name, (nameof(a), a), (nameof(b), b));
        var c = Tensor.Empty(device, DType.Float32, ShapeRules.Binary(name, op, a.Spec, b.Spec));
        device.Kernels.Binary(op, a, b, c);
        return c;
    }

    /// <summary>Gradients of c = a ∘ b given dc (of the broadcast shape): da with a's shape and db with b's shape, each
    /// summed over the axes it was broadcast along. Max/Min send the gradient to the chosen input (ties to a).</summary>
    public static (Tensor? Da, Tensor? Db) BinaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor dc, bool needA = true, bool needB = true)
    {
        string name = op + "Backward";
        var device = Check.SameDevice(name, (nameof(a), a), (nameof(b), b), (nameof(dc), dc));
        ShapeRules.BinaryBackward(name, op, a.Spec, b.Spec, dc.Spec);
        var da = needA ? Tensor.Empty(device, DType.Float32, a.Shape) : null;
        var db = needB ? Tensor.Empty(device, DType.Float32, b.Shape) : null;
        device.Kernels.BinaryBackward(op, a, b, dc, da, db);
        return (da, db);
    }

    /// <summary>ONNX PRelu: x ≥ 0 ? x : slope·x, with the slope broadcast to x (float32; the result has x's shape).</summary>
    public static Tensor PRelu(Tensor x, Tensor slope)
    {
        const string name = nameof(PRelu);
        var device = Check.SameDevice(name, (nameof(x), x), (nameof(slope), slope));
        var c = Tensor.Empty(device, DType.Float32, ShapeRules.PRelu(name, x.Spec, slope.Spec));
        device.Kernels.Binary(BinaryOp.PRelu, x, slope, c);
        return c;
    }

    /// <summary>Gradients of <see cref="PRelu"/>: dx = x ≥ 0 ? dy : slope·dy and dslope = Σ (x ≥ 0 ? 0 : x·dy) over the axes
    /// the slope was broadcast along.</summary>
    public static (Tensor? Dx, Tensor? Dslope) PReluBackward(Tensor x, Tensor slope, Tensor dy, bool needX = true, bool needSlope = true)
    {
        const string name = nameof(PReluBackward);
        Check.SameDevice(name, (nameof(x), x), (nameof(slope), slope), (nameof(dy), dy));
        ShapeRules.PReluBackward(name, x.Spec, slope.Spec, dy.Spec);
        return BinaryBackward(BinaryOp.PRelu, x, slope, dy, needX, needSlope);
    }

    /// <summary>a + b (broadcasting).</summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary(BinaryOp.Add, a, b);
    /// <summary>a − b (broadcasting).</summary>
    public static Tensor Sub(Tensor a, Tensor b) => Binary(BinaryOp.Sub, a, b);
    /// <summary>a·b (broadcasting).</summary>
    public static Tensor Mul(Tensor a, Tensor b) => Binary(BinaryOp.Mul, a, b);
    /// <summary>a/b (broadcasting).</summary>
    public static Tensor Div(Tensor a, Tensor b) => Binary(BinaryOp.Div, a, b);
    /// <summary>a^b (broadcasting).</summary>
    public static Tensor Pow(Tensor a, Tensor b) => Binary(BinaryOp.Pow, a, b);
    /// <summary>Element-wise max(a, b) (broadcasting).</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Binary(BinaryOp.Max, a, b);
    /// <summary>Element-wise min(a, b) (broadcasting).</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Binary(BinaryOp.Min, a, b);

    /// <summary>−x.</summary>
    public static Tensor Neg(Tensor x) => Unary(UnaryOp.Neg, x);
    /// <summary>|x|.</summary>
    public static Tensor Abs(Tensor x) => Unary(UnaryOp.Abs, x);
    /// <summary>eˣ.</summary>
    public static Tensor Exp(Tensor x) => Unary(UnaryOp.Exp, x);
    /// <summary>ln x.</summary>
    public static Tensor Log(Tensor x) => Unary(UnaryOp.Log, x);
    /// <summary>√x.</summary>
    public static Tensor Sqrt(Tensor x) => Unary(UnaryOp.Sqrt, x);
    /// <summary>1/x.</summary>
    public static Tensor Reciprocal(Tensor x) => Unary(UnaryOp.Reciprocal, x);
    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor x) => Unary(UnaryOp.Relu, x);
    /// <summary>1/(1 + e^−x).</summary>
    public static Tensor Sigmoid(Tensor x) => Unary(UnaryOp.Sigmoid, x);
    /// <summary>tanh x.</summary>
    public static Tensor Tanh(Tensor x) => Unary(UnaryOp.Tanh, x);
    /// <summary>erf x.</summary>
    public static Tensor Erf(Tensor x) => Unary(UnaryOp.Erf, x);
    /// <summary>x ≥ 0 ? x : alpha·x.</summary>
    public static Tensor LeakyRelu(Tensor x, float alpha = 0.01f) => Unary(UnaryOp.LeakyRelu, x, new(alpha));
    /// <summary>GELU: exact (erf) or, with <paramref name="approximate"/>, the tanh approximation.</summary>
    public static Tensor Gelu(Tensor x, bool approximate = false) => Unary(approximate ? UnaryOp.GeluTanh : UnaryOp.GeluErf, x);
    /// <summary>clamp(alpha·x + beta, 0, 1) (ONNX defaults alpha = 0.2, beta = 0.5).</summary>
    public static Tensor HardSigmoid(Tensor x, float alpha = 0.2f, float beta = 0.5f) => Unary(UnaryOp.HardSigmoid, x, new(alpha, beta));
    /// <summary>x^p for a scalar exponent.</summary>
    public static Tensor PowScalar(Tensor x, float p) => Unary(UnaryOp.PowScalar, x, new(p));
    /// <summary>min(max(x, min), max).</summary>
    public static Tensor Clamp(Tensor x, float min, float max) => Unary(UnaryOp.Clamp, x, new(min, max));
    /// <summary>scale·x + shift.</summary>
    public static Tensor Affine(Tensor x, float scale, float shift = 0f) => Unary(UnaryOp.Affine, x, new(scale, shift));
}
