using Tessera.Devices;
using Tessera.Gpu.Kernels;

namespace Tessera.Gpu;

/// <summary>Which kernel dialect a runtime compiles (kernels/cuda/dialect.cuh or kernels/opencl/dialect.clh).</summary>
public enum GpuDialect
{
    /// <summary>CUDA C++, compiled by NVRTC.</summary>
    Cuda,
    /// <summary>OpenCL C, compiled by the OpenCL driver.</summary>
    OpenCL,
}

/// <summary>A grid of blocks. X up to 2³¹−1; Y and Z up to 65535.</summary>
/// <param name="X">Blocks along x.</param>
/// <param name="Y">Blocks along y.</param>
/// <param name="Z">Blocks along z.</param>
public readonly record struct GpuDim(long X, long Y = 1, long Z = 1);

/// <summary>A compiled kernel entry point of one family's program.</summary>
public sealed class GpuFunction(string family, string name, nint handle)
{
    /// <summary>The kernel family (the kernels/portable/&lt;family&gt;.h program) the function belongs to.</summary>
    public string Family { get; } = family;
    /// <summary>The kernel's entry-point name in its program.</summary>
    public string Name { get; } = name;

    /// <summary>CUfunction or cl_kernel.</summary>
    public nint Handle { get; } = handle;

    /// <summary>Serialises argument setting for OpenCL kernels (a cl_kernel holds its arguments).</summary>
    internal object Gate { get; } = new();

    /// <inheritdoc/>
    public override string ToString() => $"{Family}/{Name}";
}

/// <summary>What the shared GPU kernels need from a CUDA or OpenCL runtime: compiled functions and launches on a named
/// stream. The runtime holds no current stream: every launch says where it goes (a <see cref="GpuKernels"/> object is
/// bound to one stream and passes it).</summary>
public interface IGpuRuntime
{
    /// <summary>The dialect the runtime compiles the portable kernels in.</summary>
    GpuDialect Dialect { get; }
    /// <summary>The device the runtime launches on.</summary>
    IDevice Device { get; }

    /// <summary>The kernel <paramref name="name"/> of <paramref name="family"/> (kernels/portable/&lt;family&gt;.h),
    /// compiling the family's program for this device on first use.</summary>
    GpuFunction Function(string family, string name);

    /// <summary>Enqueues <paramref name="fn"/> on <paramref name="stream"/> (a stream of <see cref="Device"/>) on a grid of
    /// <paramref name="blocks"/> with <paramref name="threads"/> threads per block.</summary>
    void Launch(GpuFunction fn, IStream stream, GpuDim blocks, int threads, ReadOnlySpan<GpuArg> args);
}
