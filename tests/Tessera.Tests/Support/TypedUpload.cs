using Tessera.Devices;
using Tessera.Reference;

namespace Tessera.Tests.Support;

/// <summary>Reference arrays uploaded as device tensors of any element dtype the logical ops take (Float32, Int32,
/// Int64, Bool, UInt8), contiguous or as a strided view (last two axes stored swapped; rank ≤ 1: every second element).</summary>
public static class TypedUpload
{
    public static Tensor ToDevice(this RefTensor r, IDevice device, DType dtype, bool strided = false)
    {
        if (!strided) return Dense(r, device, dtype);
        if (r.Rank >= 2)
        {
            var perm = Enumerable.Range(0, r.Rank).ToArray();
            (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
            using var stored = Dense(RefConvert.Permute(r, perm), device, dtype);
            return stored.Transpose(-1, -2);
        }
        var shape = r.Rank == 0 ? new[] { 2 } : new[] { r.Shape[0] * 2 };
        var data = new double[shape[0]];
        for (int i = 0; i < r.Length; i++) { data[2 * i] = r.Data[i]; data[2 * i + 1] = 99; }
        using var big = Dense(new RefTensor(shape, data), device, dtype);
        using var sliced = big.Slice(0, 0, shape[0], 2);
        return r.Rank == 0 ? sliced.Reshape() : sliced.Alias();
    }

    private static Tensor Dense(RefTensor r, IDevice device, DType dtype) => dtype switch
    {
        DType.Float32 => Tensor.FromArray(device, r.ToFloats(), r.Shape),
        DType.Int32 => Tensor.FromArray(device, Array.ConvertAll(r.Data, x => (int)x), r.Shape),
        DType.Int64 => Tensor.FromArray(device, Array.ConvertAll(r.Data, x => (long)x), r.Shape),
        DType.Bool => Tensor.FromArray(device, Array.ConvertAll(r.Data, x => x != 0), r.Shape),
        DType.UInt8 => Tensor.FromArray(device, Array.ConvertAll(r.Data, x => (byte)x), r.Shape),
        _ => throw new NotSupportedException(dtype.ToString()),
    };
}
