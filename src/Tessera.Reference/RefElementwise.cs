using Tessera.Kernels;

namespace Tessera.Reference;

/// <summary>Reference element-wise ops in double: the definitions, written for obviousness. Broadcasting follows
/// NumPy: shapes are right-aligned, size-1 dimensions stretch.</summary>
public static class RefElementwise
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

    /// <summary>f(x) for one element.</summary>
    public static double UnaryScalar(UnaryOp op, double x, UnaryParams p)
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
            default: throw new ArgumentException($"unknown unary op {op}");
        }
    }

    /// <summary>f'(x) for one element (the analytic derivative).</summary>
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
            default: throw new ArgumentException($"unknown unary op {op}");
        }
    }

    public static RefTensor Unary(UnaryOp op, RefTensor x, UnaryParams p = default)
    {
        var y = new RefTensor(x.Shape);
        for (int i = 0; i < x.Length; i++) y.Data[i] = UnaryScalar(op, x.Data[i], p);
        return y;
    }

    /// <summary>dx = dy·f'(x).</summary>
    public static RefTensor UnaryBackward(UnaryOp op, RefTensor x, RefTensor dy, UnaryParams p = default)
    {
        var dx = new RefTensor(x.Shape);
        for (int i = 0; i < x.Length; i++) dx.Data[i] = dy.Data[i] * UnaryDerivative(op, x.Data[i], p);
        return dx;
    }

    public static double BinaryScalar(BinaryOp op, double a, double b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Pow => Math.Pow(a, b),
        BinaryOp.Max => Math.Max(a, b),
        BinaryOp.Min => Math.Min(a, b),
        BinaryOp.PRelu => a >= 0 ? a : b * a,
        _ => throw new ArgumentException($"unknown binary op {op}"),
    };

    /// <summary>(∂c/∂a, ∂c/∂b) at one element. Max/Min: the gradient goes to the chosen input, ties to a.
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
        _ => throw new ArgumentException($"unknown binary op {op}"),
    };

    /// <summary>NumPy broadcast shape.</summary>
    public static int[] BroadcastShape(int[] a, int[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var d = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            int db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (da != db && da != 1 && db != 1) throw new ArgumentException("shapes do not broadcast");
            d[i] = da == 1 ? db : da;
        }
        return d;
    }

    /// <summary>Flat index into <paramref name="t"/> of the element that broadcasts to multi-index <paramref name="idx"/>
    /// of the (higher or equal rank) output.</summary>
    public static long BroadcastIndex(RefTensor t, int[] idx)
    {
        int lead = idx.Length - t.Rank;
        long flat = 0;
        for (int i = 0; i < t.Rank; i++) flat = flat * t.Shape[i] + (t.Shape[i] == 1 ? 0 : idx[lead + i]);
        return flat;
    }

    public static RefTensor Binary(BinaryOp op, RefTensor a, RefTensor b)
    {
        var c = new RefTensor(BroadcastShape(a.Shape, b.Shape));
        for (long i = 0; i < c.Length; i++)
        {
            var idx = c.Unravel(i);
            c.Data[i] = BinaryScalar(op, a.Data[BroadcastIndex(a, idx)], b.Data[BroadcastIndex(b, idx)]);
        }
        return c;
    }

    /// <summary>(da, db): dc times the partial derivatives, summed into the element each output came from.</summary>
    public static (RefTensor Da, RefTensor Db) BinaryBackward(BinaryOp op, RefTensor a, RefTensor b, RefTensor dc)
    {
        var da = new RefTensor(a.Shape);
        var db = new RefTensor(b.Shape);
        for (long i = 0; i < dc.Length; i++)
        {
            var idx = dc.Unravel(i);
            long ia = BroadcastIndex(a, idx), ib = BroadcastIndex(b, idx);
            var (ga, gb) = BinaryDerivative(op, a.Data[ia], b.Data[ib]);
            da.Data[ia] += dc.Data[i] * ga;
            db.Data[ib] += dc.Data[i] * gb;
        }
        return (da, db);
    }
}
