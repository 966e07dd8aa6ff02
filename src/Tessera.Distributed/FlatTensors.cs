namespace Tessera.Distributed;

/// <summary>Tensors laid end to end in one flat Float32 tensor on their device, so that one collective moves them all
/// (a gradient bucket; the whole model's gradients or parameters for ZeRO): where each lies, and the copies in and
/// out. The flat tensor may be longer than the tensors (padding, zero) so that it splits evenly over the ranks.</summary>
internal sealed class FlatTensors : IDisposable
{
    /// <param name="indices">Which of the tensors, in flat order.</param>
    /// <param name="tensors">The tensors (their sizes and device).</param>
    /// <param name="length">The flat tensor's length, at least the tensors' total (0: exactly their total).</param>
    public FlatTensors(int[] indices, IReadOnlyList<Tensor> tensors, long length = 0)
    {
        Indices = indices;
        Offsets = new int[indices.Length];
        long total = 0;
        for (int k = 0; k < indices.Length; k++)
        {
            Offsets[k] = checked((int)total);
            total += tensors[indices[k]].ElementCount;
        }
        Used = total;
        Flat = Tensor.Zeros(tensors[indices[0]].Device, DType.Float32, checked((int)Math.Max(total, length)));
    }

    public int[] Indices { get; }
    public int[] Offsets { get; }

    /// <summary>Elements the tensors fill (the rest of <see cref="Flat"/> is padding).</summary>
    public long Used { get; }

    public Tensor Flat { get; }

    /// <summary>Copies the tensors into the flat tensor.</summary>
    public void Pack(IReadOnlyList<Tensor> tensors) => Move(tensors, toFlat: true);

    /// <summary>Copies the flat tensor back into the tensors.</summary>
    public void Unpack(IReadOnlyList<Tensor> tensors) => Move(tensors, toFlat: false);

    private void Move(IReadOnlyList<Tensor> tensors, bool toFlat)
    {
        for (int k = 0; k < Indices.Length; k++)
        {
            var t = tensors[Indices[k]];
            int n = (int)t.ElementCount;
            using var slice = Flat.Slice(0, Offsets[k], Offsets[k] + n);
            using var flat = t.Reshape(n);
            if (toFlat) Flat.Device.Kernels.Copy(flat, slice);
            else Flat.Device.Kernels.Copy(slice, flat);
        }
    }

    public void Dispose() => Flat.Dispose();
}
