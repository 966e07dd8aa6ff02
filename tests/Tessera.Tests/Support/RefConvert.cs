using Tessera.Devices;
using Tessera.Reference;

namespace Tessera.Tests.Support;

/// <summary>Moving data between device tensors and the reference's arrays.</summary>
public static class RefConvert
{
    public static RefTensor ToRef(this Tensor t)
    {
        double[] data = t.DType switch
        {
            DType.Float32 => Array.ConvertAll(t.ToArray<float>(), x => (double)x),
            DType.Int64 => Array.ConvertAll(t.ToArray<long>(), x => (double)x),
            DType.Int32 => Array.ConvertAll(t.ToArray<int>(), x => (double)x),
            DType.UInt8 or DType.Bool => Array.ConvertAll(t.ToArray<byte>(), x => (double)x),
            _ => throw new NotSupportedException(t.DType.ToString()),
        };
        return new RefTensor(t.Shape.ToArray(), data);
    }

    public static Tensor ToDevice(this RefTensor r, IDevice device) =>
        Tensor.FromArray(device, r.ToFloats(), r.Shape);

    public static Tensor ToDeviceInt64(this RefTensor r, IDevice device) =>
        Tensor.FromArray(device, Array.ConvertAll(r.Data, x => (long)x), r.Shape);

    /// <summary>A strided (non-contiguous) device view whose logical contents equal <paramref name="r"/>:
    /// rank ≥ 2 stores the last two axes swapped and returns a transposed view; lower ranks take every second element
    /// of a buffer twice as long.</summary>
    public static Tensor ToDeviceStrided(this RefTensor r, IDevice device)
    {
        if (r.Rank >= 2)
        {
            var perm = Enumerable.Range(0, r.Rank).ToArray();
            (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
            var stored = Permute(r, perm);
            using var t = stored.ToDevice(device);
            return t.Transpose(-1, -2);
        }
        var shape = r.Rank == 0 ? new[] { 2 } : new[] { r.Shape[0] * 2 };
        var data = new double[shape[0]];
        for (int i = 0; i < r.Length; i++) { data[2 * i] = r.Data[i]; data[2 * i + 1] = double.NaN; }
        using var big = new RefTensor(shape, data).ToDevice(device);
        using var sliced = big.Slice(0, 0, shape[0], 2);
        return r.Rank == 0 ? sliced.Reshape() : sliced.Alias();
    }

    /// <summary>Reference permute (for building test layouts).</summary>
    public static RefTensor Permute(RefTensor r, int[] perm)
    {
        var shape = perm.Select(p => r.Shape[p]).ToArray();
        var outT = new RefTensor(shape);
        var src = new int[r.Rank];
        for (long i = 0; i < outT.Length; i++)
        {
            var idx = outT.Unravel(i);
            for (int d = 0; d < r.Rank; d++) src[perm[d]] = idx[d];
            outT.Data[i] = r[src];
        }
        return outT;
    }
}
