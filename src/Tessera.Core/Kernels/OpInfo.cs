namespace Tessera.Kernels;

/// <summary>The kernel families: one per interface <see cref="IKernels"/> is made of (<see cref="ICoreKernels"/>,
/// <see cref="IElementwiseKernels"/>, ...), and one file of kernels/portable/*.h each.</summary>
public enum OpFamily { Core, Elementwise, Reduction, Linalg, Conv, Norm, Attention, Optimizer, Shape }

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
