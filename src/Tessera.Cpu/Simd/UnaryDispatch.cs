using Tessera.Kernels;

namespace Tessera.Cpu.Simd;

/// <summary>The one map from a <see cref="UnaryOp"/> and its <see cref="UnaryParams"/> to its math functor, shared by the
/// element-wise kernel and the fused epilogues of convolution and GEMM.</summary>
internal static class UnaryDispatch
{
    /// <summary>Calls <paramref name="visitor"/> with the functor of <paramref name="op"/>.</summary>
    public static void Visit<TVisitor>(UnaryOp op, UnaryParams p, ref TVisitor visitor) where TVisitor : struct, IUnaryMathVisitor
    {
        switch (op)
        {
            case UnaryOp.Identity: visitor.Visit(new IdentityMath()); break;
            case UnaryOp.Neg: visitor.Visit(new NegMath()); break;
            case UnaryOp.Abs: visitor.Visit(new AbsMath()); break;
            case UnaryOp.Exp: visitor.Visit(new ExpMath()); break;
            case UnaryOp.Log: visitor.Visit(new LogMath()); break;
            case UnaryOp.Sqrt: visitor.Visit(new SqrtMath()); break;
            case UnaryOp.Reciprocal: visitor.Visit(new ReciprocalMath()); break;
            case UnaryOp.Relu: visitor.Visit(new ReluMath()); break;
            case UnaryOp.LeakyRelu: visitor.Visit(new LeakyReluMath(p.Alpha)); break;
            case UnaryOp.Sigmoid: visitor.Visit(new SigmoidMath()); break;
            case UnaryOp.HardSigmoid: visitor.Visit(new HardSigmoidMath(p.Alpha, p.Beta)); break;
            case UnaryOp.Tanh: visitor.Visit(new TanhMath()); break;
            case UnaryOp.Erf: visitor.Visit(new ErfMath()); break;
            case UnaryOp.GeluErf: visitor.Visit(new GeluErfMath()); break;
            case UnaryOp.GeluTanh: visitor.Visit(new GeluTanhMath()); break;
            case UnaryOp.PowScalar: visitor.Visit(new PowScalarMath(p.Alpha)); break;
            case UnaryOp.Clamp: visitor.Visit(new ClampMath(p.Alpha, p.Beta)); break;
            case UnaryOp.Affine: visitor.Visit(new AffineMath(p.Alpha, p.Beta)); break;
            case UnaryOp.Silu: visitor.Visit(new SiluMath()); break;
            case UnaryOp.HardSwish: visitor.Visit(new HardSwishMath()); break;
            default: throw new TesseraArgumentException("Unary", nameof(op), $"unknown unary op {op}");
        }
    }
}
