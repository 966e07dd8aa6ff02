using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>The CPU implementation of every kernel, split by op family into partial files under Kernels/.</summary>
internal sealed partial class CpuKernels : IKernels, IWorkerThreads
{
    internal CpuKernels(CpuDevice device) => Device = device;

    public CpuDevice Device { get; }

    /// <summary>Threads to use for a kernel.</summary>
    internal int Threads => Device.Threads;

    /// <summary>Scratch memory leased from the device pool for the duration of a kernel (return it with Dispose).</summary>
    internal Tensor Scratch(DType dtype, params int[] shape) => Tensor.Empty(Device, dtype, new Shape(shape));

    /// <inheritdoc/>
    public void Rest() => CpuParallel.Rest();
}
