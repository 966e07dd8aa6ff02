using Tessera.Kernels;

namespace Tessera.Gpu;

public partial class GpuKernels : ILinalgKernels
{
    public virtual void Gemm(Tensor a, Tensor b, Tensor? bias, Tensor c, GemmParams p) => throw Unsupported("Gemm", "pending");
}
