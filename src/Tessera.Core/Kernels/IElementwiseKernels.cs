namespace Tessera.Kernels;

/// <summary>Element-wise ops (float32).</summary>
public interface IElementwiseKernels
{
    /// <summary>y = f(x); y has x's shape.</summary>
    void Unary(UnaryOp op, Tensor x, Tensor y, UnaryParams p);

    /// <summary>dx = dy · f'(x). <paramref name="y"/> is the forward output (used where f' is cheaper from y).</summary>
    void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, UnaryParams p);

    /// <summary>c = a ∘ b with NumPy broadcasting; c has the broadcast shape.</summary>
    void Binary(BinaryOp op, Tensor a, Tensor b, Tensor c);

    /// <summary>Gradients of c = a ∘ b: da (shape of a) and db (shape of b), summed over broadcast dimensions. Either may be null.</summary>
    void BinaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor dc, Tensor? da, Tensor? db);
}
