namespace Tessera.Kernels;

/// <summary>Every kernel of the catalog, forward and backward: one value per method of <see cref="IKernels"/>, named
/// after it. <see cref="OpTable"/> holds what is true of each independent of a backend (its family, the dtypes it runs
/// for, its gradient); <see cref="Devices.IDevice.Supports"/> answers from that table. Which variant of a kind runs
/// (which unary function, which reduction...) is chosen by the op enums (<see cref="UnaryOp"/>, <see cref="BinaryOp"/>,
/// <see cref="CompareOp"/>, <see cref="ReduceOp"/>, <see cref="PadMode"/>, <see cref="LossReduction"/>).</summary>
public enum OpKind
{
    Copy, Fill, Cast,
    Unary, UnaryBackward, Binary, BinaryBackward,
    Compare, Where, LogicalNot,
    Reduce, ReduceBackward, ArgMax,
    Softmax, SoftmaxBackward, CrossEntropy, CrossEntropyBackward, MseLoss, MseLossBackward,
    Gemm,
    Conv2d, Conv2dBackwardData, Conv2dBackwardWeight, Conv2dBackwardBias,
    MaxPool2d, MaxPool2dBackward, AvgPool2d, AvgPool2dBackward,
    BatchNormTraining, BatchNormInference, BatchNormBackward,
    LayerNorm, LayerNormBackward,
    Dropout, DropoutBackward,
    Attention, AttentionBackward,
    SgdStep, MomentumStep, AdamStep,
    Concat, Gather, GatherBackward, Pad, PadBackward,
    ExpandBackward,
}
