namespace Tessera.Kernels;

/// <summary>Fused optimizer steps: one pass over parameter, gradient and state, all updated in place (float32, same shape).</summary>
public interface IOptimizerKernels
{
    /// <summary>One SGD step in place: param −= rate·(grad + weight decay·param).</summary>
    void SgdStep(Tensor param, Tensor grad, SgdParams p);

    /// <summary>One SGD step with momentum in place, updating <paramref name="velocity"/>.</summary>
    void MomentumStep(Tensor param, Tensor grad, Tensor velocity, MomentumParams p);

    /// <summary>One Adam (or AdamW) step in place, updating the moments <paramref name="m"/> and <paramref name="v"/>.</summary>
    void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamParams p);
}
