namespace Tessera.Kernels;

/// <summary>The element-wise functions in double, one element at a time: the definitions, written for obviousness.
/// The reference implementation (Tessera.Reference) is built on them and the ONNX importer folds constants with them;
/// the backends' float kernels are tested against them.</summary>
public static class ScalarMath
{
    /// <summary>erf in double: the everywhere-positive series erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3···(2n+1)),
    /// accurate to ~1e-15 for |x| ≤ 6; ±1 beyond (erfc(6) ≈ 2e-17).</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax > 6) return Math.Sign(x);
        double term = ax, sum = ax;
        for (int n = 1; n < 1000; n++)
        {
            term *= 2 * ax * ax / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        double r = 2 / Math.Sqrt(Math.PI) * Math.Exp(-ax * ax) * sum;
        return x < 0 ? -r : r;
    }

    /// <summary>f(x) of a unary op (parameters as <see cref="UnaryParams"/>).</summary>
    public static double Unary(UnaryOp op, double x, UnaryParams p)
    {
        double a = p.Alpha, b = p.Beta;
        switch (op)
        {
            case UnaryOp.Identity: return x;
            case UnaryOp.Neg: return -x;
            case UnaryOp.Abs: return Math.Abs(x);
            case UnaryOp.Exp: return Math.Exp(x);
            case UnaryOp.Log: return Math.Log(x);
            case UnaryOp.Sqrt: return Math.Sqrt(x);
            case UnaryOp.Reciprocal: return 1 / x;
            case UnaryOp.Relu: return Math.Max(x, 0);
            case UnaryOp.LeakyRelu: return x >= 0 ? x : a * x;
            case UnaryOp.Sigmoid: return 1 / (1 + Math.Exp(-x));
            case UnaryOp.HardSigmoid: return Math.Min(Math.Max(a * x + b, 0), 1);
            case UnaryOp.Tanh: return Math.Tanh(x);
            case UnaryOp.Erf: return Erf(x);
            case UnaryOp.GeluErf: return 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));
            case UnaryOp.GeluTanh: return 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case UnaryOp.PowScalar: return Math.Pow(x, a);
            case UnaryOp.Clamp: return Math.Min(Math.Max(x, a), b);
            case UnaryOp.Affine: return a * x + b;
            case UnaryOp.Silu: return x / (1 + Math.Exp(-x));
            case UnaryOp.HardSwish: return x * Math.Min(Math.Max(x + 3, 0), 6) / 6;
            default: throw Unknown("Unary", op);
        }
    }

    /// <summary>f'(x) of a unary op (the analytic derivative).</summary>
    public static double UnaryDerivative(UnaryOp op, double x, UnaryParams p)
    {
        double a = p.Alpha, b = p.Beta;
        switch (op)
        {
            case UnaryOp.Identity: return 1;
            case UnaryOp.Neg: return -1;
            case UnaryOp.Abs: return x > 0 ? 1 : x < 0 ? -1 : 0;
            case UnaryOp.Exp: return Math.Exp(x);
            case UnaryOp.Log: return 1 / x;
            case UnaryOp.Sqrt: return 0.5 / Math.Sqrt(x);
            case UnaryOp.Reciprocal: return -1 / (x * x);
            case UnaryOp.Relu: return x > 0 ? 1 : 0;
            case UnaryOp.LeakyRelu: return x > 0 ? 1 : a;
            case UnaryOp.Sigmoid: { double s = 1 / (1 + Math.Exp(-x)); return s * (1 - s); }
            case UnaryOp.HardSigmoid: { double t = a * x + b; return t > 0 && t < 1 ? a : 0; }
            case UnaryOp.Tanh: { double t = Math.Tanh(x); return 1 - t * t; }
            case UnaryOp.Erf: return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x);
            case UnaryOp.GeluErf:
                return 0.5 * (1 + Erf(x / Math.Sqrt(2))) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
            case UnaryOp.GeluTanh:
            {
                double k = Math.Sqrt(2 / Math.PI), c = 0.044715;
                double t = Math.Tanh(k * (x + c * x * x * x));
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * c * x * x);
            }
            case UnaryOp.PowScalar: return a == 0 ? 0 : a * Math.Pow(x, a - 1);
            case UnaryOp.Clamp: return x >= a && x <= b ? 1 : 0;
            case UnaryOp.Affine: return a;
            case UnaryOp.Silu: { double s = 1 / (1 + Math.Exp(-x)); return s * (1 + x * (1 - s)); }
            case UnaryOp.HardSwish: return x < -3 ? 0 : x > 3 ? 1 : (2 * x + 3) / 6;
            default: throw Unknown("UnaryDerivative", op);
        }
    }

    /// <summary>a ∘ b of a binary op.</summary>
    public static double Binary(BinaryOp op, double a, double b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Pow => Math.Pow(a, b),
        BinaryOp.Max => Math.Max(a, b),
        BinaryOp.Min => Math.Min(a, b),
        BinaryOp.PRelu => a >= 0 ? a : b * a,
        _ => throw Unknown("Binary", op),
    };

    /// <summary>(∂c/∂a, ∂c/∂b) of c = a ∘ b. Max/Min: the gradient goes to the chosen input, ties to a.
    /// PRelu: the slope branch for a &lt; 0.
    /// Pow: ∂/∂a is 0 where b = 0, ∂/∂b is 0 where a = 0 and b ≥ 0 (PyTorch's conventions).</summary>
    public static (double Da, double Db) BinaryDerivative(BinaryOp op, double a, double b) => op switch
    {
        BinaryOp.Add => (1, 1),
        BinaryOp.Sub => (1, -1),
        BinaryOp.Mul => (b, a),
        BinaryOp.Div => (1 / b, -a / (b * b)),
        BinaryOp.Pow => (b == 0 ? 0 : b * Math.Pow(a, b - 1), a == 0 && b >= 0 ? 0 : Math.Pow(a, b) * Math.Log(a)),
        BinaryOp.Max => a >= b ? (1, 0) : (0, 1),
        BinaryOp.Min => a <= b ? (1, 0) : (0, 1),
        BinaryOp.PRelu => a >= 0 ? (1, 0) : (b, a),
        _ => throw Unknown("BinaryDerivative", op),
    };

    /// <summary>Whether a op b holds (NaN compares false under every op).</summary>
    public static bool Compare(CompareOp op, double a, double b) => op switch
    {
        CompareOp.Equal => a == b,
        CompareOp.Less => a < b,
        CompareOp.LessOrEqual => a <= b,
        CompareOp.Greater => a > b,
        CompareOp.GreaterOrEqual => a >= b,
        _ => throw Unknown("Compare", op),
    };

    private static TesseraArgumentException Unknown<TEnum>(string function, TEnum op) where TEnum : struct, Enum =>
        new($"ScalarMath.{function}", "op", $"{typeof(TEnum).Name}.{op} has no scalar definition");
}
