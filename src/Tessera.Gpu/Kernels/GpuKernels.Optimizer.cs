using Tessera.Kernels;

namespace Tessera.Gpu;

public partial class GpuKernels : IOptimizerKernels
{
    public void SgdStep(Tensor param, Tensor grad, SgdParams p) => throw Unsupported("SgdStep", "pending");
    public void MomentumStep(Tensor param, Tensor grad, Tensor velocity, MomentumParams p) => throw Unsupported("MomentumStep", "pending");
    public void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamParams p) => throw Unsupported("AdamStep", "pending");
}
