using Tessera.Kernels;

namespace Tessera.Cpu;

// PLACEHOLDER: replaced by the Linalg family implementation.
public sealed partial class CpuKernels : ILinalgKernels
{
    public void Gemm(Tensor a, Tensor b, Tensor? bias, Tensor c, GemmParams p) => throw new NotSupportedException("Linalg kernels: not yet implemented");
}
