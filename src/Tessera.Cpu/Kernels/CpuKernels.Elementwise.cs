using System.Numerics.Tensors;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Element-wise kernels: each op maps to a math functor run by the generic drivers in Simd/; binary gradients
/// of broadcast inputs are summed by <see cref="BroadcastGradient"/>.
/// Log over contiguous inputs goes to TensorPrimitives; everything that needs an exponential uses
/// <see cref="FastMath.Exp(float)"/>.</summary>
internal sealed unsafe partial class CpuKernels : IElementwiseKernels
{
    public void Unary(UnaryOp op, Tensor x, Tensor y, UnaryParams p)
    {
        if (x.IsContiguous && op is UnaryOp.Log)
        {
            LogPrimitives(x.F32(), y.F32(), y.ElementCount);
            return;
        }
        var run = new UnaryRun(x, y, Threads);
        UnaryDispatch.Visit(op, p, ref run);
    }

    /// <summary>The element-wise driver over x → y with the functor <see cref="UnaryDispatch"/> picks.</summary>
    private readonly struct UnaryRun(Tensor x, Tensor y, int threads) : IUnaryMathVisitor
    {
        public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath => Drivers.Unary(math, x, y, threads);
    }

    public void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, UnaryParams p)
    {
        var u = ShapeRules.UnaryGradientUsesOutput(op) ? y : x;
        int t = Threads;
        switch (op)
        {
            case UnaryOp.Identity: Drivers.Binary(new IdentityGradMath(), u, dy, dx, t); break;
            case UnaryOp.Neg: Drivers.Binary(new NegGradMath(), u, dy, dx, t); break;
            case UnaryOp.Abs: Drivers.Binary(new AbsGradMath(), u, dy, dx, t); break;
            case UnaryOp.Exp: Drivers.Binary(new ExpGradMath(), u, dy, dx, t); break;
            case UnaryOp.Log: Drivers.Binary(new LogGradMath(), u, dy, dx, t); break;
            case UnaryOp.Sqrt: Drivers.Binary(new SqrtGradMath(), u, dy, dx, t); break;
            case UnaryOp.Reciprocal: Drivers.Binary(new ReciprocalGradMath(), u, dy, dx, t); break;
            case UnaryOp.Relu: Drivers.Binary(new ReluGradMath(), u, dy, dx, t); break;
            case UnaryOp.LeakyRelu: Drivers.Binary(new LeakyReluGradMath(p.Alpha), u, dy, dx, t); break;
            case UnaryOp.Sigmoid: Drivers.Binary(new SigmoidGradMath(), u, dy, dx, t); break;
            case UnaryOp.HardSigmoid: Drivers.Binary(new HardSigmoidGradMath(p.Alpha, p.Beta), u, dy, dx, t); break;
            case UnaryOp.Tanh: Drivers.Binary(new TanhGradMath(), u, dy, dx, t); break;
            case UnaryOp.Erf: Drivers.Binary(new ErfGradMath(), u, dy, dx, t); break;
            case UnaryOp.GeluErf: Drivers.Binary(new GeluErfGradMath(), u, dy, dx, t); break;
            case UnaryOp.GeluTanh: Drivers.Binary(new GeluTanhGradMath(), u, dy, dx, t); break;
            case UnaryOp.PowScalar: Drivers.Binary(new PowScalarGradMath(p.Alpha), u, dy, dx, t); break;
            case UnaryOp.Clamp: Drivers.Binary(new ClampGradMath(p.Alpha, p.Beta), u, dy, dx, t); break;
            case UnaryOp.Affine: Drivers.Binary(new AffineGradMath(p.Alpha), u, dy, dx, t); break;
            case UnaryOp.Silu: Drivers.Binary(new SiluGradMath(), u, dy, dx, t); break;
            case UnaryOp.HardSwish: Drivers.Binary(new HardSwishGradMath(), u, dy, dx, t); break;
            default: throw new TesseraArgumentException("UnaryBackward", nameof(op), $"unknown unary op {op}");
        }
    }

    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor c)
    {
        using var la = TensorLease.Broadcast(a, c.Shape);
        using var lb = TensorLease.Broadcast(b, c.Shape);
        Tensor ea = la.Tensor, eb = lb.Tensor;
        int t = Threads;
        switch (op)
        {
            case BinaryOp.Add: Drivers.Binary(new AddMath(), ea, eb, c, t); break;
            case BinaryOp.Sub: Drivers.Binary(new SubMath(), ea, eb, c, t); break;
            case BinaryOp.Mul: Drivers.Binary(new MulMath(), ea, eb, c, t); break;
            case BinaryOp.Div: Drivers.Binary(new DivMath(), ea, eb, c, t); break;
            case BinaryOp.Pow: Drivers.Binary(new PowMath(), ea, eb, c, t); break;
            case BinaryOp.Max: Drivers.Binary(new MaxMath(), ea, eb, c, t); break;
            case BinaryOp.Min: Drivers.Binary(new MinMath(), ea, eb, c, t); break;
            case BinaryOp.PRelu: Drivers.Binary(new PReluMath(), ea, eb, c, t); break;
            default: throw new TesseraArgumentException("Binary", nameof(op), $"unknown binary op {op}");
        }
    }

    public void BinaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor dc, Tensor? da, Tensor? db)
    {
        using var la = TensorLease.Broadcast(a, dc.Shape);
        using var lb = TensorLease.Broadcast(b, dc.Shape);
        Tensor ea = la.Tensor, eb = lb.Tensor;
        if (da is not null) BroadcastGradient.Binary(this, op, 0, dc, da, g => BinaryGradientTerm(op, 0, ea, eb, dc, g));
        if (db is not null) BroadcastGradient.Binary(this, op, 1, dc, db, g => BinaryGradientTerm(op, 1, ea, eb, dc, g));
    }

    /// <summary>Per-element gradient term of c = a ∘ b for one side (0: a, 1: b), at the broadcast shape.</summary>
    private void BinaryGradientTerm(BinaryOp op, int side, Tensor a, Tensor b, Tensor dc, Tensor g)
    {
        int t = Threads;
        switch (op, side)
        {
            case (BinaryOp.Add, _) or (BinaryOp.Sub, 0): Drivers.Unary(new AffineMath(1f, 0f), dc, g, t); break;
            case (BinaryOp.Sub, 1): Drivers.Unary(new AffineMath(-1f, 0f), dc, g, t); break;
            case (BinaryOp.Mul, 0): Drivers.Binary(new MulMath(), dc, b, g, t); break;
            case (BinaryOp.Mul, 1): Drivers.Binary(new MulMath(), dc, a, g, t); break;
            case (BinaryOp.Div, 0): Drivers.Binary(new DivMath(), dc, b, g, t); break;
            case (BinaryOp.Div, 1): Drivers.Ternary(new DivGradBMath(), a, b, dc, g, t); break;
            case (BinaryOp.Pow, 0): Drivers.Ternary(new PowGradAMath(), a, b, dc, g, t); break;
            case (BinaryOp.Pow, 1): Drivers.Ternary(new PowGradBMath(), a, b, dc, g, t); break;
            case (BinaryOp.Max, 0): Drivers.Ternary(new MaxGradAMath(), a, b, dc, g, t); break;
            case (BinaryOp.Max, 1): Drivers.Ternary(new MaxGradBMath(), a, b, dc, g, t); break;
            case (BinaryOp.Min, 0): Drivers.Ternary(new MinGradAMath(), a, b, dc, g, t); break;
            case (BinaryOp.Min, 1): Drivers.Ternary(new MinGradBMath(), a, b, dc, g, t); break;
            case (BinaryOp.PRelu, 0): Drivers.Ternary(new PReluGradAMath(), a, b, dc, g, t); break;
            case (BinaryOp.PRelu, 1): Drivers.Ternary(new PReluGradBMath(), a, b, dc, g, t); break;
            default: throw new TesseraArgumentException("BinaryBackward", nameof(op), $"unknown binary op {op}");
        }
    }

    /// <summary>Log over contiguous memory through TensorPrimitives, in parallel chunks.</summary>
    private void LogPrimitives(float* x, float* y, long n)
    {
        CpuParallel.For(n, Threads, ElementLoop.Grain, (x: (nint)x, y: (nint)y), static (st, b, e) =>
        {
            const int Chunk = 1 << 20;
            for (long i = b; i < e; i += Chunk)
            {
                int len = (int)Math.Min(Chunk, e - i);
                var src = new ReadOnlySpan<float>((float*)st.x + i, len);
                var dst = new Span<float>((float*)st.y + i, len);
                TensorPrimitives.Log(src, dst);
            }
        });
    }
}
