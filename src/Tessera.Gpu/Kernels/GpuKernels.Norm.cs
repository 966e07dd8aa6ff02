using Tessera.Kernels;

namespace Tessera.Gpu;

public partial class GpuKernels : INormKernels
{
    public void BatchNormTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
        Tensor saveMean, Tensor saveInvStd, BatchNormParams p) => throw Unsupported("BatchNormTraining", "pending");
    public void BatchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, BatchNormParams p) => throw Unsupported("BatchNormInference", "pending");
    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, BatchNormParams p) => throw Unsupported("BatchNormBackward", "pending");
    public void LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, Tensor y, Tensor? mean, Tensor? invStd, LayerNormParams p) => throw Unsupported("LayerNorm", "pending");
    public void LayerNormBackward(Tensor x, Tensor dy, Tensor? gamma, Tensor mean, Tensor invStd,
        Tensor dx, Tensor? dgamma, Tensor? dbeta, LayerNormParams p) => throw Unsupported("LayerNormBackward", "pending");
    public void Dropout(Tensor x, Tensor y, Tensor mask, DropoutParams p) => throw Unsupported("Dropout", "pending");
    public void DropoutBackward(Tensor dy, Tensor mask, Tensor dx, DropoutParams p) => throw Unsupported("DropoutBackward", "pending");
}
