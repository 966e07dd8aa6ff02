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

    /// <summary>Pads <paramref name="x"/> into <paramref name="y"/> (<see cref="PadParams"/>; negative pads crop).</summary>
    void Pad(Tensor x, Tensor y, PadParams p);

    /// <summary>dx (overwritten) from dy: the inverse of padding (reflect/edge accumulate into the source elements).</summary>
    void PadBackward(Tensor dy, Tensor dx, PadParams p);

    /// <summary>dx (overwritten, contiguous) = dy summed over the dimensions that broadcasting dx to dy's shape
    /// expanded (the gradient of expand). dx's shape aligns with dy's from the right; float32. The default moves
    /// the data through the host; backends override it with a kernel.</summary>
    void ExpandBackward(Tensor dy, Tensor dx)
    {
        var y = dy.ToArray<float>();
        var x = new float[dx.ElementCount];
        int rank = dy.Rank, lead = rank - dx.Rank;
        var yStrides = dy.Shape.ContiguousStrides();
        var xStrides = dx.Shape.ContiguousStrides();
        for (long i = 0; i < y.Length; i++)
        {
            long rem = i, dst = 0;
            for (int d = 0; d < rank; d++)
            {
                long c = rem / yStrides[d];
                rem -= c * yStrides[d];
                if (d >= lead && dx.Shape[d - lead] != 1) dst += c * xStrides[d - lead];
            }
            x[dst] += y[i];
        }
        dx.CopyFrom<float>(x);
    }
}
