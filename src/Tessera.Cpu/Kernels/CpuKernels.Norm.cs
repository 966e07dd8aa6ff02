using Tessera.Kernels;

namespace Tessera.Cpu;

// PLACEHOLDER: replaced by the Norm family implementation.
public sealed partial class CpuKernels : INormKernels
{
    public void BatchNormTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd, BatchNormParams p) => throw new NotSupportedException("Norm kernels: not yet implemented");

    public void BatchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, BatchNormParams p) => throw new NotSupportedException("Norm kernels: not yet implemented");

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta, BatchNormParams p) => throw new NotSupportedException("Norm kernels: not yet implemented");

    public void LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, Tensor y, Tensor? mean, Tensor? invStd, LayerNormParams p) => throw new NotSupportedException("Norm kernels: not yet implemented");

    public void LayerNormBackward(Tensor x, Tensor dy, Tensor? gamma, Tensor mean, Tensor invStd, Tensor dx, Tensor? dgamma, Tensor? dbeta, LayerNormParams p) => throw new NotSupportedException("Norm kernels: not yet implemented");

    public void Dropout(Tensor x, Tensor y, Tensor mask, DropoutParams p) => throw new NotSupportedException("Norm kernels: not yet implemented");

    public void DropoutBackward(Tensor dy, Tensor mask, Tensor dx, DropoutParams p) => throw new NotSupportedException("Norm kernels: not yet implemented");
}
