namespace Tessera.Kernels;

/// <summary>Element-wise ops (float32; comparisons, select and logical not over more dtypes).</summary>
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

    /// <summary>c = a op b with NumPy broadcasting; a and b share a dtype (Float32, Int32, Int64; Bool and UInt8 for
    /// Equal); c is Bool with the broadcast shape (1 where the comparison holds, else 0).</summary>
    void Compare(CompareOp op, Tensor a, Tensor b, Tensor c);

    /// <summary>c = cond ? a : b with broadcasting over all three; cond is Bool, a, b and c share a dtype
    /// (Float32, Int32, Int64 or Bool).</summary>
    void Where(Tensor cond, Tensor a, Tensor b, Tensor c);

    /// <summary>y = !x (Bool, same shape).</summary>
    void LogicalNot(Tensor x, Tensor y);
}
