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

    /// <summary>The packed form of <paramref name="b"/> for <see cref="ILinalgKernels.Gemm"/> of tensors of
    /// <paramref name="a"/>'s and <paramref name="c"/>'s shapes with <paramref name="p"/>, or null where that product reads
    /// b as it is.</summary>
    IPackedOperand? PackGemmB(Tensor a, Tensor b, Tensor c, GemmParams p);

    /// <summary><see cref="ILinalgKernels.Gemm"/> reading b's packed form <paramref name="packedB"/>, made by
    /// <see cref="PackGemmB"/> for <paramref name="b"/> (unchanged since), tensors of a's and c's shapes and the same
    /// parameters.</summary>
    void GemmPacked(Tensor a, Tensor b, IPackedOperand packedB, Tensor? bias, Tensor c, GemmParams p);
}
