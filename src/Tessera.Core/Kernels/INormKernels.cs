namespace Tessera.Kernels;

/// <summary>Normalisation and dropout (float32; dropout masks UInt8).</summary>
public interface INormKernels
{
    /// <summary>Training-mode batch norm of x [N, C, ...]: y, and the per-channel saveMean/saveInvStd [C] for backward;
    /// runningMean/runningVar [C] updated in place.</summary>
    void BatchNormTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
        Tensor saveMean, Tensor saveInvStd, BatchNormParams p);

    /// <summary>Inference-mode batch norm with the running statistics.</summary>
    void BatchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, BatchNormParams p);

    /// <summary>Fused training-mode backward: dx, dgamma, dbeta.</summary>
    void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, BatchNormParams p);

    /// <summary>y = (x − mean)·invStd·gamma + beta over axes [p.Axis, rank); mean and invStd have shape x.shape[..Axis]
    /// (either may be null at inference). gamma/beta have shape x.shape[Axis..] or are null.</summary>
    void LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, Tensor y, Tensor? mean, Tensor? invStd, LayerNormParams p);

    /// <summary>Fused backward: dx, and dgamma/dbeta when not null.</summary>
    void LayerNormBackward(Tensor x, Tensor dy, Tensor? gamma, Tensor mean, Tensor invStd,
        Tensor dx, Tensor? dgamma, Tensor? dbeta, LayerNormParams p);

    /// <summary>y = x·mask/(1−Ratio); mask (UInt8, x's shape) is 1 where kept. Not training: y = x and mask = 1.
    /// Every backend draws the same mask: element i (row-major) is kept when (SplitMix64(Seed, i) ≫ 32)/2³² ≥ Ratio, where
    /// SplitMix64(Seed, i) = mix(Seed + (i+1)·0x9E3779B97F4A7C15) with the standard SplitMix64 finaliser.</summary>
    void Dropout(Tensor x, Tensor y, Tensor mask, DropoutParams p);

    /// <summary>dx = dy·mask/(1−Ratio) (dy·mask when not training).</summary>
    void DropoutBackward(Tensor dy, Tensor mask, Tensor dx, DropoutParams p);
}
