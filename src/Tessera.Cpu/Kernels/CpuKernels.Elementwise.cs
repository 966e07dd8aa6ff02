using Tessera.Kernels;

namespace Tessera.Cpu;

// PLACEHOLDER: replaced by the Elementwise family implementation.
public sealed partial class CpuKernels : IElementwiseKernels
{
    public void Unary(UnaryOp op, Tensor x, Tensor y, UnaryParams p) => throw new NotSupportedException("Elementwise kernels: not yet implemented");

    public void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, UnaryParams p) => throw new NotSupportedException("Elementwise kernels: not yet implemented");

    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor c) => throw new NotSupportedException("Elementwise kernels: not yet implemented");

    public void BinaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor dc, Tensor? da, Tensor? db) => throw new NotSupportedException("Elementwise kernels: not yet implemented");
}
