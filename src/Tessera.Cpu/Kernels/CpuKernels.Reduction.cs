using Tessera.Kernels;

namespace Tessera.Cpu;

// PLACEHOLDER: replaced by the Reduction family implementation.
public sealed partial class CpuKernels : IReductionKernels
{
    public void Reduce(ReduceOp op, Tensor x, Tensor y, ReduceParams p) => throw new NotSupportedException("Reduction kernels: not yet implemented");

    public void ReduceBackward(ReduceOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, ReduceParams p) => throw new NotSupportedException("Reduction kernels: not yet implemented");

    public void ArgMax(Tensor x, Tensor indices, ArgReduceParams p) => throw new NotSupportedException("Reduction kernels: not yet implemented");

    public void Softmax(Tensor x, Tensor y, SoftmaxParams p) => throw new NotSupportedException("Reduction kernels: not yet implemented");

    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, SoftmaxParams p) => throw new NotSupportedException("Reduction kernels: not yet implemented");

    public void CrossEntropy(Tensor logits, Tensor target, Tensor loss, CrossEntropyParams p) => throw new NotSupportedException("Reduction kernels: not yet implemented");

    public void CrossEntropyBackward(Tensor logits, Tensor target, Tensor dloss, Tensor dlogits, CrossEntropyParams p) => throw new NotSupportedException("Reduction kernels: not yet implemented");

    public void MseLoss(Tensor a, Tensor b, Tensor loss, LossReduction reduction) => throw new NotSupportedException("Reduction kernels: not yet implemented");

    public void MseLossBackward(Tensor a, Tensor b, Tensor dloss, Tensor da, LossReduction reduction) => throw new NotSupportedException("Reduction kernels: not yet implemented");
}
