namespace Tessera.Kernels;

/// <summary>Every kernel of the catalog on one device. Kernels write into outputs the caller allocated; inputs may be
/// strided views unless a family says otherwise; outputs are contiguous. Arguments arrive validated by the
/// <see cref="Tessera.Ops"/> facade or the graph's shape inference: kernels check only what they must to stay in bounds.</summary>
public interface IKernels :
    ICoreKernels, IElementwiseKernels, IReductionKernels, ILinalgKernels, IConvKernels,
    INormKernels, IAttentionKernels, IOptimizerKernels, IShapeKernels
{
}

/// <summary>Data movement every backend needs.</summary>
public interface ICoreKernels
{
    /// <summary>dst ← src element by element; same shape and dtype; src may be strided or broadcast, dst may be a strided
    /// (non-overlapping) view.</summary>
    void Copy(Tensor src, Tensor dst);

    /// <summary>Sets every element to <paramref name="value"/> (converted to the tensor's dtype).</summary>
    void Fill(Tensor dst, double value);

    /// <summary>dst ← (dst.DType) src, same shape. Float→int truncates toward zero; anything→bool is (x != 0).</summary>
    void Cast(Tensor src, Tensor dst);
}
