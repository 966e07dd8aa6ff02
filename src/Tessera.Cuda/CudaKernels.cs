using Tessera.Gpu;

namespace Tessera.Cuda;

/// <summary>
/// The CUDA device's kernels: the portable GPU kernels (<see cref="GpuKernels"/>), with GEMM on cuBLASLt and
/// convolution on cuDNN where those libraries load (see CudaKernels.Gemm.cs and CudaKernels.Conv.cs).
/// UNTESTED ON A GPU.
/// </summary>
public sealed partial class CudaKernels : GpuKernels
{
    internal CudaKernels(CudaRuntime runtime) : base(runtime) => Cuda = runtime;

    /// <summary>The CUDA runtime (device, context, stream).</summary>
    internal CudaRuntime Cuda { get; }

    internal CudaDevice CudaDevice => (CudaDevice)Cuda.Device;
}
