using System.Runtime.InteropServices;

namespace Tessera.Gpu;

/// <summary>A tensor view as the portable kernels see it (<c>Strided</c> in kernels/portable/common.h, 144 bytes, passed
/// by value): shape, strides in elements, offset in elements, rank ≤ <see cref="MaxRank"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct Strided
{
    /// <summary>The largest rank a view may have.</summary>
    public const int MaxRank = 8;

    /// <summary>The dimensions; the first <see cref="Rank"/> are used.</summary>
    public fixed long Shape[MaxRank];
    /// <summary>The stride of each dimension, in elements.</summary>
    public fixed long Stride[MaxRank];
    /// <summary>The offset of the first element, in elements.</summary>
    public long Offset;
    /// <summary>The number of dimensions.</summary>
    public int Rank;
    /// <summary>Padding to an 8-byte multiple (the kernels' struct layout).</summary>
    public int Pad;

    /// <summary>The view of <paramref name="t"/> itself.</summary>
    public static Strided Of(Tensor t, string op) => Broadcast(t, t.Shape, op);

    /// <summary>The view of <paramref name="t"/> broadcast (NumPy rules, aligned right) to <paramref name="shape"/>:
    /// broadcast dimensions get stride 0.</summary>
    public static Strided Broadcast(Tensor t, Shape shape, string op)
    {
        if (shape.Rank > MaxRank)
            throw new TesseraArgumentException(op, "rank", $"rank {shape.Rank} exceeds the GPU kernels' limit of {MaxRank} dimensions");
        var s = new Strided { Rank = shape.Rank, Offset = t.Offset };
        int lead = shape.Rank - t.Rank;
        if (lead < 0) throw new TesseraShapeException(op, "shape", $"cannot broadcast {t.Shape} to {shape}");
        var strides = t.Strides;
        for (int d = 0; d < shape.Rank; d++)
        {
            s.Shape[d] = shape[d];
            if (d < lead) { s.Stride[d] = 0; continue; }
            int src = d - lead;
            if (t.Shape[src] == shape[d]) s.Stride[d] = strides[src];
            else if (t.Shape[src] == 1) s.Stride[d] = 0;
            else throw new TesseraShapeException(op, "shape", $"cannot broadcast {t.Shape} to {shape}");
        }
        if (s.Rank == 0) { s.Rank = 1; s.Shape[0] = 1; s.Stride[0] = 0; }
        return s;
    }
}
