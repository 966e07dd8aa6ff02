namespace Tessera.Kernels;

/// <summary>Shape ops that move data (views such as reshape/transpose/slice need no kernel).</summary>
public interface IShapeKernels
{
    /// <summary>output = inputs joined along a normalised axis.</summary>
    void Concat(IReadOnlyList<Tensor> inputs, Tensor output, int axis);

    /// <summary>output = data indexed along axis by indices (int32 or int64; negative counts from the end).
    /// output shape = data.shape[..axis] + indices.shape + data.shape[axis+1..].</summary>
    void Gather(Tensor data, Tensor indices, Tensor output, int axis);

    /// <summary>dData (overwritten) = scatter-add of dOutput by indices.</summary>
    void GatherBackward(Tensor indices, Tensor dOutput, Tensor dData, int axis);

    void Pad(Tensor x, Tensor y, PadParams p);

    /// <summary>dx (overwritten) from dy: the inverse of padding (reflect/edge accumulate into the source elements).</summary>
    void PadBackward(Tensor dy, Tensor dx, PadParams p);
}
