using Tessera.Gpu.Kernels;

namespace Tessera.Cuda;

/// <summary>
/// The CUDA device's kernels on one stream: the portable GPU kernels (<see cref="GpuKernels"/>), with GEMM on
/// cuBLASLt and convolution on cuDNN where those libraries load (see CudaKernels.Gemm.cs and CudaKernels.Conv.cs);
/// the library calls go to the same stream as the launches. <see cref="CudaDevice.Kernels"/> is bound to the default
/// stream, <see cref="CudaDevice.KernelsOn"/> gives those of another stream. UNTESTED ON A GPU.
/// </summary>
public sealed partial class CudaKernels : GpuKernels
{
    internal CudaKernels(CudaRuntime runtime, CudaStream stream) : base(runtime, stream) => Cuda = runtime;

    /// <summary>The CUDA runtime (device, context, modules).</summary>
    internal CudaRuntime Cuda { get; }

    internal CudaDevice CudaDevice => (CudaDevice)Cuda.Device;

    /// <summary>The stream these kernels launch on.</summary>
    public CudaStream CudaStream => (CudaStream)Stream;
}
