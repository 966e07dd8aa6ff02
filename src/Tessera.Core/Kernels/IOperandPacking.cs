namespace Tessera.Kernels;

/// <summary>Kernels that can pack an operand which stays the same from call to call — a constant convolution or layer
/// weight — into the layout their inner loops read once, instead of on every call (what ONNX Runtime calls pre-packing).
/// The caller keeps the pack and guarantees that the operand's contents do not change while it passes the pack
/// (executors pack the graph's constants only: a parameter changes with every optimizer step). A packed call computes
/// bit for bit what the unpacked call computes.</summary>
public interface IOperandPacking
{
    /// <summary>The packed form of <paramref name="w"/> for <see cref="IConvKernels.Conv2d"/> from inputs of
    /// <paramref name="x"/>'s shape into outputs of <paramref name="y"/>'s with <paramref name="p"/>, or null where that
    /// convolution reads its weight as it is.</summary>
    IPackedOperand? PackConv2dWeight(Tensor x, Tensor w, Tensor y, Conv2dParams p);

    /// <summary><see cref="IConvKernels.Conv2d"/> reading the weight's packed form <paramref name="packedW"/>, made by
    /// <see cref="PackConv2dWeight"/> for <paramref name="w"/> (unchanged since), tensors of x's and y's shapes and the
    /// same parameters.</summary>
    void Conv2dPacked(Tensor x, Tensor w, IPackedOperand packedW, Tensor? bias, Tensor? residual, Tensor y, Conv2dParams p);
}
