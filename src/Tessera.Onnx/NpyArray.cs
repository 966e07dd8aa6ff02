namespace Tessera.Onnx;

/// <summary>The contents of a .npy file: element type, C-order shape and little-endian element bytes.</summary>
public sealed record NpyArray(DType DType, int[] Shape, byte[] Data)
{
    /// <summary>The number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);
}
