using Tessera.Kernels;

namespace Tessera.Cpu;

// PLACEHOLDER: replaced by the Optimizer family implementation.
public sealed partial class CpuKernels : IOptimizerKernels
{
    public void SgdStep(Tensor param, Tensor grad, SgdParams p) => throw new NotSupportedException("Optimizer kernels: not yet implemented");

    public void MomentumStep(Tensor param, Tensor grad, Tensor velocity, MomentumParams p) => throw new NotSupportedException("Optimizer kernels: not yet implemented");

    public void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamParams p) => throw new NotSupportedException("Optimizer kernels: not yet implemented");
}
