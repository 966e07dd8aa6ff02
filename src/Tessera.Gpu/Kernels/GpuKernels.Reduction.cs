using Tessera.Kernels;

namespace Tessera.Gpu;

public partial class GpuKernels : IReductionKernels
{
    public void Reduce(ReduceOp op, Tensor x, Tensor y, ReduceParams p) => throw Unsupported("Reduce", "pending");
    public void ReduceBackward(ReduceOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, ReduceParams p) => throw Unsupported("ReduceBackward", "pending");
    public void ArgMax(Tensor x, Tensor indices, ArgReduceParams p) => throw Unsupported("ArgMax", "pending");
    public void Softmax(Tensor x, Tensor y, SoftmaxParams p) => throw Unsupported("Softmax", "pending");
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, SoftmaxParams p) => throw Unsupported("SoftmaxBackward", "pending");
    public void CrossEntropy(Tensor logits, Tensor target, Tensor loss, CrossEntropyParams p) => throw Unsupported("CrossEntropy", "pending");
    public void CrossEntropyBackward(Tensor logits, Tensor target, Tensor dloss, Tensor dlogits, CrossEntropyParams p) => throw Unsupported("CrossEntropyBackward", "pending");
    public void MseLoss(Tensor a, Tensor b, Tensor loss, LossReduction reduction) => throw Unsupported("MseLoss", "pending");
    public void MseLossBackward(Tensor a, Tensor b, Tensor dloss, Tensor da, LossReduction reduction) => throw Unsupported("MseLossBackward", "pending");
}
