namespace Tessera.Kernels;

/// <summary>Every kernel of the catalog, forward and backward: one value per method of <see cref="IKernels"/>, named
/// after it. <see cref="OpTable"/> holds what is true of each independent of a backend (its family, the dtypes it runs
/// for, its gradient); <see cref="Devices.IDevice.Supports"/> answers from that table. Which variant of a kind runs
/// (which unary function, which reduction...) is chosen by the op enums (<see cref="UnaryOp"/>, <see cref="BinaryOp"/>,
/// <see cref="CompareOp"/>, <see cref="ReduceOp"/>, <see cref="PadMode"/>, <see cref="LossReduction"/>).</summary>
public enum OpKind
{
    /// <summary>Element-wise copy between tensors of one dtype and shape (any strides).</summary>
    Copy,
    /// <summary>Every element set to one scalar value.</summary>
    Fill,
    /// <summary>Element-wise conversion to another dtype.</summary>
    Cast,
    /// <summary>An element-wise function of one tensor (<see cref="UnaryOp"/>).</summary>
    Unary,
    /// <summary>The gradient of a <see cref="Unary"/> function with respect to its input.</summary>
    UnaryBackward,
    /// <summary>An element-wise function of two broadcast tensors (<see cref="BinaryOp"/>).</summary>
    Binary,
    /// <summary>The gradients of a <see cref="Binary"/> function with respect to both inputs, reduced over broadcast axes.</summary>
    BinaryBackward,
    /// <summary>An element-wise comparison of two broadcast tensors giving booleans (<see cref="CompareOp"/>).</summary>
    Compare,
    /// <summary>Element-wise selection between two tensors by a boolean condition.</summary>
    Where,
    /// <summary>Element-wise negation of a boolean tensor.</summary>
    LogicalNot,
    /// <summary>A reduction over any axes (<see cref="ReduceOp"/>: sum, mean, max, ...).</summary>
    Reduce,
    /// <summary>The gradient of a <see cref="Reduce"/> with respect to its input.</summary>
    ReduceBackward,
    /// <summary>The index of the largest element along one axis.</summary>
    ArgMax,
    /// <summary>Softmax or log-softmax along one axis.</summary>
    Softmax,
    /// <summary>The gradient of <see cref="Softmax"/> from its output and the output's gradient.</summary>
    SoftmaxBackward,
    /// <summary>Cross-entropy of logits against class indices (<see cref="LossReduction"/>).</summary>
    CrossEntropy,
    /// <summary>The gradient of <see cref="CrossEntropy"/> with respect to the logits.</summary>
    CrossEntropyBackward,
    /// <summary>Mean squared error between two tensors.</summary>
    MseLoss,
    /// <summary>The gradient of <see cref="MseLoss"/> with respect to its prediction.</summary>
    MseLossBackward,
    /// <summary>General matrix multiply, batched and with optional transposes, bias and epilogue (<see cref="GemmParams"/>).</summary>
    Gemm,
    /// <summary>2-D convolution, NCHW (<see cref="Conv2dParams"/>).</summary>
    Conv2d,
    /// <summary>The gradient of <see cref="Conv2d"/> with respect to its input.</summary>
    Conv2dBackwardData,
    /// <summary>The gradient of <see cref="Conv2d"/> with respect to its weight.</summary>
    Conv2dBackwardWeight,
    /// <summary>The gradient of <see cref="Conv2d"/> with respect to its bias.</summary>
    Conv2dBackwardBias,
    /// <summary>2-D max pooling, NCHW (<see cref="Pool2dParams"/>).</summary>
    MaxPool2d,
    /// <summary>The gradient of <see cref="MaxPool2d"/> with respect to its input.</summary>
    MaxPool2dBackward,
    /// <summary>2-D average pooling, NCHW (<see cref="Pool2dParams"/>).</summary>
    AvgPool2d,
    /// <summary>The gradient of <see cref="AvgPool2d"/> with respect to its input.</summary>
    AvgPool2dBackward,
    /// <summary>Batch normalisation with the batch's statistics, updating the running ones (<see cref="BatchNormParams"/>).</summary>
    BatchNormTraining,
    /// <summary>Batch normalisation with the running statistics.</summary>
    BatchNormInference,
    /// <summary>The gradients of <see cref="BatchNormTraining"/> with respect to its input, scale and shift.</summary>
    BatchNormBackward,
    /// <summary>Layer normalisation over the trailing axes (<see cref="LayerNormParams"/>).</summary>
    LayerNorm,
    /// <summary>The gradients of <see cref="LayerNorm"/> with respect to its input, scale and shift.</summary>
    LayerNormBackward,
    /// <summary>Dropout with a seeded mask (<see cref="DropoutParams"/>).</summary>
    Dropout,
    /// <summary>The gradient of <see cref="Dropout"/>: the output's gradient through the same mask.</summary>
    DropoutBackward,
    /// <summary>Scaled dot-product attention, optionally causal or masked (<see cref="AttentionParams"/>).</summary>
    Attention,
    /// <summary>The gradients of <see cref="Attention"/> with respect to queries, keys and values.</summary>
    AttentionBackward,
    /// <summary>One in-place stochastic gradient descent step (<see cref="SgdParams"/>).</summary>
    SgdStep,
    /// <summary>One in-place SGD step with momentum (<see cref="MomentumParams"/>).</summary>
    MomentumStep,
    /// <summary>One in-place Adam or AdamW step (<see cref="AdamParams"/>).</summary>
    AdamStep,
    /// <summary>Concatenation of tensors along one axis.</summary>
    Concat,
    /// <summary>Selection of slices along one axis by an index tensor.</summary>
    Gather,
    /// <summary>The gradient of <see cref="Gather"/>: the output's gradient scattered and summed into the data's shape.</summary>
    GatherBackward,
    /// <summary>Padding by constant, reflect or edge values (<see cref="PadParams"/>).</summary>
    Pad,
    /// <summary>The gradient of <see cref="Pad"/>: the interior of the output's gradient.</summary>
    PadBackward,
    /// <summary>The gradient of a broadcast: the output's gradient summed over the expanded axes.</summary>
    ExpandBackward,
}
