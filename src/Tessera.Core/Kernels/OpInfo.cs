namespace Tessera.Kernels;

/// <summary>The kernel families: one per interface <see cref="IKernels"/> is made of (<see cref="ICoreKernels"/>,
/// <see cref="IElementwiseKernels"/>, ...), and one file of kernels/portable/*.h each.</summary>
public enum OpFamily
{
    /// <summary>Copy, fill and cast (<see cref="ICoreKernels"/>).</summary>
    Core,
    /// <summary>Unary, binary, compare and select (<see cref="IElementwiseKernels"/>).</summary>
    Elementwise,
    /// <summary>Reductions, softmax and losses (<see cref="IReductionKernels"/>).</summary>
    Reduction,
    /// <summary>GEMM (<see cref="ILinalgKernels"/>).</summary>
    Linalg,
    /// <summary>Convolution and pooling (<see cref="IConvKernels"/>).</summary>
    Conv,
    /// <summary>Batch and layer normalisation, dropout (<see cref="INormKernels"/>).</summary>
    Norm,
    /// <summary>Scaled dot-product attention (<see cref="IAttentionKernels"/>).</summary>
    Attention,
    /// <summary>Optimizer steps (<see cref="IOptimizerKernels"/>).</summary>
    Optimizer,
    /// <summary>Concat, gather, pad and broadcast gradients (<see cref="IShapeKernels"/>).</summary>
    Shape,
}

/// <summary>What is true of one <see cref="OpKind"/> on every backend.</summary>
/// <param name="Kind">The op.</param>
/// <param name="Family">Its kernel family (the <see cref="IKernels"/> part that declares it).</param>
/// <param name="DTypes">The element types it runs for (every backend's <see cref="Devices.IDevice.Supports"/>).</param>
/// <param name="Gradient">How it takes part in differentiation.</param>
public sealed record OpInfo(OpKind Kind, OpFamily Family, IReadOnlyList<DType> DTypes, OpGradient Gradient)
{
    /// <summary>True when the op runs for <paramref name="dtype"/>.</summary>
    public bool Runs(DType dtype) => DTypes.Contains(dtype);
}
