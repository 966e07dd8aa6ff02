namespace Tessera.Kernels;

/// <summary>Fused optimizer steps: one pass over parameter, gradient and state, all updated in place (float32, same shape).</summary>
public interface IOptimizerKernels
{
    void SgdStep(Tensor param, Tensor grad, SgdParams p);

    void MomentumStep(Tensor param, Tensor grad, Tensor velocity, MomentumParams p);

    void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamParams p);
}
