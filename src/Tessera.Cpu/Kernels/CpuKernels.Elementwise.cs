using System.Numerics.Tensors;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu;

/// <summary>Element-wise kernels: each op maps to an operator struct run by the generic drivers in Simd/.
/// Exp, Log, Tanh and Sigmoid over contiguous inputs go to TensorPrimitives.</summary>
public sealed unsafe partial class CpuKernels : IElementwiseKernels
{
    public void Unary(UnaryOp op, Tensor x, Tensor y, UnaryParams p)
    {
        if (x.IsContiguous && op is UnaryOp.Exp or UnaryOp.Log or UnaryOp.Tanh or UnaryOp.Sigmoid)
        {
            UnaryPrimitives(op, x.F32(), y.F32(), y.ElementCount);
            return;
        }
        int t = Threads;
        switch (op)
        {
            case UnaryOp.Identity: Drivers.Unary(new IdentityOp(), x, y, t); break;
            case UnaryOp.Neg: Drivers.Unary(new NegOp(), x, y, t); break;
            case UnaryOp.Abs: Drivers.Unary(new AbsOp(), x, y, t); break;
            case UnaryOp.Exp: Drivers.Unary(new ExpOp(), x, y, t); break;
            case UnaryOp.Log: Drivers.Unary(new LogOp(), x, y, t); break;
            case UnaryOp.Sqrt: Drivers.Unary(new SqrtOp(), x, y, t); break;
            case UnaryOp.Reciprocal: Drivers.Unary(new ReciprocalOp(), x, y, t); break;
            case UnaryOp.Relu: Drivers.Unary(new ReluOp(), x, y, t); break;
            case UnaryOp.LeakyRelu: Drivers.Unary(new LeakyReluOp(p.Alpha), x, y, t); break;
            case UnaryOp.Sigmoid: Drivers.Unary(new SigmoidOp(), x, y, t); break;
            case UnaryOp.HardSigmoid: Drivers.Unary(new HardSigmoidOp(p.Alpha, p.Beta), x, y, t); break;
            case UnaryOp.Tanh: Drivers.Unary(new TanhOp(), x, y, t); break;
            case UnaryOp.Erf: Drivers.Unary(new ErfOp(), x, y, t); break;
            case UnaryOp.GeluErf: Drivers.Unary(new GeluErfOp(), x, y, t); break;
            case UnaryOp.GeluTanh: Drivers.Unary(new GeluTanhOp(), x, y, t); break;
            case UnaryOp.PowScalar: Drivers.Unary(new PowScalarOp(p.Alpha), x, y, t); break;
            case UnaryOp.Clamp: Drivers.Unary(new ClampOp(p.Alpha, p.Beta), x, y, t); break;
            case UnaryOp.Affine: Drivers.Unary(new AffineOp(p.Alpha, p.Beta), x, y, t); break;
            default: throw new TesseraArgumentException("Unary", nameof(op), $"unknown unary op {op}");
        }
    }

    public void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, UnaryParams p)
    {
        var u = ShapeRules.UnaryGradientUsesOutput(op) ? y : x;
        int t = Threads;
        switch (op)
        {
            case UnaryOp.Identity: Drivers.Binary(new IdentityGradOp(), u, dy, dx, t); break;
            case UnaryOp.Neg: Drivers.Binary(new NegGradOp(), u, dy, dx, t); break;
            case UnaryOp.Abs: Drivers.Binary(new AbsGradOp(), u, dy, dx, t); break;
            case UnaryOp.Exp: Drivers.Binary(new ExpGradOp(), u, dy, dx, t); break;
            case UnaryOp.Log: Drivers.Binary(new LogGradOp(), u, dy, dx, t); break;
            case UnaryOp.Sqrt: Drivers.Binary(new SqrtGradOp(), u, dy, dx, t); break;
            case UnaryOp.Reciprocal: Drivers.Binary(new ReciprocalGradOp(), u, dy, dx, t); break;
            case UnaryOp.Relu: Drivers.Binary(new ReluGradOp(), u, dy, dx, t); break;
            case UnaryOp.LeakyRelu: Drivers.Binary(new LeakyReluGradOp(p.Alpha), u, dy, dx, t); break;
            case UnaryOp.Sigmoid: Drivers.Binary(new SigmoidGradOp(), u, dy, dx, t); break;
            case UnaryOp.HardSigmoid: Drivers.Binary(new HardSigmoidGradOp(p.Alpha, p.Beta), u, dy, dx, t); break;
            case UnaryOp.Tanh: Drivers.Binary(new TanhGradOp(), u, dy, dx, t); break;
            case UnaryOp.Erf: Drivers.Binary(new ErfGradOp(), u, dy, dx, t); break;
            case UnaryOp.GeluErf: Drivers.Binary(new GeluErfGradOp(), u, dy, dx, t); break;
            case UnaryOp.GeluTanh: Drivers.Binary(new GeluTanhGradOp(), u, dy, dx, t); break;
            case UnaryOp.PowScalar: Drivers.Binary(new PowScalarGradOp(p.Alpha), u, dy, dx, t); break;
            case UnaryOp.Clamp: Drivers.Binary(new ClampGradOp(p.Alpha, p.Beta), u, dy, dx, t); break;
            case UnaryOp.Affine: Drivers.Binary(new AffineGradOp(p.Alpha), u, dy, dx, t); break;
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
            case BinaryOp.Add: Drivers.Binary(new AddOp(), ea, eb, c, t); break;
            case BinaryOp.Sub: Drivers.Binary(new SubOp(), ea, eb, c, t); break;
            case BinaryOp.Mul: Drivers.Binary(new MulOp(), ea, eb, c, t); break;
            case BinaryOp.Div: Drivers.Binary(new DivOp(), ea, eb, c, t); break;
            case BinaryOp.Pow: Drivers.Binary(new PowOp(), ea, eb, c, t); break;
            case BinaryOp.Max: Drivers.Binary(new MaxOp(), ea, eb, c, t); break;
            case BinaryOp.Min: Drivers.Binary(new MinOp(), ea, eb, c, t); break;
            case BinaryOp.PRelu: Drivers.Binary(new PReluOp(), ea, eb, c, t); break;
            default: throw new TesseraArgumentException("Binary", nameof(op), $"unknown binary op {op}");
        }
    }

    public void BinaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor dc, Tensor? da, Tensor? db)
    {
        using var la = TensorLease.Broadcast(a, dc.Shape);
        using var lb = TensorLease.Broadcast(b, dc.Shape);
        if (da is not null) BinaryGradient(op, true, la.Tensor, lb.Tensor, dc, da);
        if (db is not null) BinaryGradient(op, false, la.Tensor, lb.Tensor, dc, db);
    }

    /// <summary>The gradient of one input: computed at the broadcast shape, then summed over the broadcast axes.</summary>
    private void BinaryGradient(BinaryOp op, bool left, Tensor ea, Tensor eb, Tensor dc, Tensor grad)
    {
        bool negate = op == BinaryOp.Sub && !left;
        if (grad.Shape == dc.Shape)
        {
            if (op is BinaryOp.Add or BinaryOp.Sub) Drivers.Unary(new AffineOp(negate ? -1f : 1f, 0f), dc, grad, Threads);
            else BinaryGradientTerm(op, left, ea, eb, dc, grad);
            return;
        }
        var reduced = BroadcastAxes(grad.Shape, dc.Shape);
        if (op is BinaryOp.Add or BinaryOp.Sub)
        {
            using var src = TensorLease.Dense(dc);
            ReduceEngine.Run(ReduceOp.Sum, src.Tensor.F32(), dc.Shape.Dims, reduced, grad.F32(), Threads);
            if (negate) Drivers.Unary(new NegOp(), grad, grad, Threads);
            return;
        }
        using var full = Scratch(DType.Float32, dc.Shape.ToArray());
        BinaryGradientTerm(op, left, ea, eb, dc, full);
        ReduceEngine.Run(ReduceOp.Sum, full.F32(), dc.Shape.Dims, reduced, grad.F32(), Threads);
    }

    /// <summary>Per-element gradient term of c = a ∘ b for one side, at the broadcast shape.</summary>
    private void BinaryGradientTerm(BinaryOp op, bool left, Tensor a, Tensor b, Tensor dc, Tensor g)
    {
        int t = Threads;
        switch (op, left)
        {
            case (BinaryOp.Mul, true): Drivers.Binary(new MulOp(), dc, b, g, t); break;
            case (BinaryOp.Mul, false): Drivers.Binary(new MulOp(), dc, a, g, t); break;
            case (BinaryOp.Div, true): Drivers.Binary(new DivOp(), dc, b, g, t); break;
            case (BinaryOp.Div, false): Drivers.Ternary(new DivGradBOp(), a, b, dc, g, t); break;
            case (BinaryOp.Pow, true): Drivers.Ternary(new PowGradAOp(), a, b, dc, g, t); break;
            case (BinaryOp.Pow, false): Drivers.Ternary(new PowGradBOp(), a, b, dc, g, t); break;
            case (BinaryOp.Max, true): Drivers.Ternary(new MaxGradAOp(), a, b, dc, g, t); break;
            case (BinaryOp.Max, false): Drivers.Ternary(new MaxGradBOp(), a, b, dc, g, t); break;
            case (BinaryOp.Min, true): Drivers.Ternary(new MinGradAOp(), a, b, dc, g, t); break;
            case (BinaryOp.Min, false): Drivers.Ternary(new MinGradBOp(), a, b, dc, g, t); break;
            case (BinaryOp.PRelu, true): Drivers.Ternary(new PReluGradAOp(), a, b, dc, g, t); break;
            case (BinaryOp.PRelu, false): Drivers.Ternary(new PReluGradBOp(), a, b, dc, g, t); break;
            default: throw new TesseraArgumentException("BinaryBackward", nameof(op), $"unknown binary op {op}");
        }
    }

    /// <summary>Axes of <paramref name="full"/> along which an input of shape <paramref name="input"/> was broadcast.</summary>
    private static bool[] BroadcastAxes(Shape input, Shape full)
    {
        var r = new bool[full.Rank];
        int lead = full.Rank - input.Rank;
        for (int i = 0; i < full.Rank; i++)
            r[i] = i < lead || (input[i - lead] == 1 && full[i] != 1);
        return r;
    }

    /// <summary>Exp/Log/Tanh/Sigmoid over contiguous memory through TensorPrimitives, in parallel chunks.</summary>
    private void UnaryPrimitives(UnaryOp op, float* x, float* y, long n)
    {
        CpuParallel.For(n, Threads, ElementLoop.Grain, (op, x: (nint)x, y: (nint)y), static (st, b, e) =>
        {
            const int Chunk = 1 << 20;
            for (long i = b; i < e; i += Chunk)
            {
                int len = (int)Math.Min(Chunk, e - i);
                var src = new ReadOnlySpan<float>((float*)st.x + i, len);
                var dst = new Span<float>((float*)st.y + i, len);
                switch (st.op)
                {
                    case UnaryOp.Exp: TensorPrimitives.Exp(src, dst); break;
                    case UnaryOp.Log: TensorPrimitives.Log(src, dst); break;
                    case UnaryOp.Tanh: TensorPrimitives.Tanh(src, dst); break;
                    default: TensorPrimitives.Sigmoid(src, dst); break;
                }
            }
        });
    }
}
