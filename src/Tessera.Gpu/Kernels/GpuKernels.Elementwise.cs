using Tessera.Kernels;

namespace Tessera.Gpu;

public partial class GpuKernels : IElementwiseKernels
{
    public void Unary(UnaryOp op, Tensor x, Tensor y, UnaryParams p) => throw Unsupported("Unary", "pending");
    public void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, UnaryParams p) => throw Unsupported("UnaryBackward", "pending");
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor c) => throw Unsupported("Binary", "pending");
    public void BinaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor dc, Tensor? da, Tensor? db) => throw Unsupported("BinaryBackward", "pending");
    public void Compare(CompareOp op, Tensor a, Tensor b, Tensor c) => throw Unsupported("Compare", "pending");
    public void Where(Tensor cond, Tensor a, Tensor b, Tensor c) => throw Unsupported("Where", "pending");
    public void LogicalNot(Tensor x, Tensor y) => throw Unsupported("LogicalNot", "pending");
}
