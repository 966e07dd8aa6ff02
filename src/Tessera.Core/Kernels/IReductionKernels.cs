namespace Tessera.Kernels;

/// <summary>Reductions, softmax and losses (float32; indices int64).</summary>
public interface IReductionKernels
{
    /// <summary>Reduces <paramref name="x"/> over <see cref="ReduceParams.Axes"/> with <paramref name="op"/> into <paramref name="y"/>.</summary>
    void Reduce(ReduceOp op, Tensor x, Tensor y, ReduceParams p);

    /// <summary>dx from dy for y = reduce(x). For Max/Min the gradient goes to the first extreme element.</summary>
    void ReduceBackward(ReduceOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, ReduceParams p);

    /// <summary>Indices (int64) of the maximum along an axis (first occurrence unless SelectLastIndex).</summary>
    void ArgMax(Tensor x, Tensor indices, ArgReduceParams p);

    /// <summary>Softmax or log-softmax of <paramref name="x"/> along one axis into <paramref name="y"/>.</summary>
    void Softmax(Tensor x, Tensor y, SoftmaxParams p);

    /// <summary>dx from the forward output y and dy (softmax or log-softmax per p.Log).</summary>
    void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, SoftmaxParams p);

    /// <summary>Fused log-softmax + NLL. loss is [] (Mean/Sum) or [N] (None).</summary>
    void CrossEntropy(Tensor logits, Tensor target, Tensor loss, CrossEntropyParams p);

    /// <summary>dlogits from dloss ([] or [N]).</summary>
    void CrossEntropyBackward(Tensor logits, Tensor target, Tensor dloss, Tensor dlogits, CrossEntropyParams p);

    /// <summary>Mean squared error (a − b)²; loss is [] (Mean/Sum) or a's shape (None).</summary>
    void MseLoss(Tensor a, Tensor b, Tensor loss, LossReduction reduction);

    /// <summary>da from dloss (the gradient for b is −da).</summary>
    void MseLossBackward(Tensor a, Tensor b, Tensor dloss, Tensor da, LossReduction reduction);
}
