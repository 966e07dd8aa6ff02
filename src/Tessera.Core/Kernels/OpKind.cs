namespace Tessera.Kernels;

/// <summary>Every operation of the catalog, forward and backward. Used for capability queries
/// (<see cref="Devices.IDevice.Supports"/>), profiling and the graph executor.</summary>
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
}
