using Tessera.Kernels;

namespace Tessera.Reference;

/// <summary>Reference shape ops (concat, slice, gather, pad, expand), forward and backward, element by element
/// through multi-indices. Slow and plain on purpose.</summary>
public static class RefShape
{
    /// <summary>Joins tensors along <paramref name="axis"/> (negative counts from the end).</summary>
    public static RefTensor Concat(IReadOnlyList<RefTensor> xs, int axis)
    {
        int rank = xs[0].Rank;
        int a = axis < 0 ? axis + rank : axis;
        var shape = (int[])xs[0].Shape.Clone();
        shape[a] = xs.Sum(x => x.Shape[a]);
        var y = new RefTensor(shape);
        int offset = 0;
        foreach (var x in xs)
        {
            for (long i = 0; i < x.Length; i++)
            {
                var idx = x.Unravel(i);
                idx[a] += offset;
                y[idx] = x.Data[i];
            }
            offset += x.Shape[a];
        }
        return y;
    }

    /// <summary>Gradients of <see cref="Concat"/>: the pieces of dy.</summary>
    public static RefTensor[] ConcatBackward(RefTensor dy, IReadOnlyList<int[]> shapes, int axis)
    {
        int a = axis < 0 ? axis + dy.Rank : axis;
        var result = new RefTensor[shapes.Count];
        int offset = 0;
        for (int k = 0; k < shapes.Count; k++)
        {
            var dx = new RefTensor(shapes[k]);
            for (long i = 0; i < dx.Length; i++)
            {
                var idx = dx.Unravel(i);
                idx[a] += offset;
                dx.Data[i] = dy[idx];
            }
            offset += shapes[k][a];
            result[k] = dx;
        }
        return result;
    }

    /// <summary>The source positions of a Python-style slice start:end:step (step ≥ 1) of a length-n axis.</summary>
    public static int[] SlicePositions(int n, int start, int end, int step)
    {
        int s = start < 0 ? start + n : start;
        int e = end < 0 ? end + n : end;
        s = Math.Min(Math.Max(s, 0), n);
        e = Math.Min(Math.Max(e, 0), n);
        var list = new List<int>();
        for (int i = s; i < e; i += step) list.Add(i);
        return list.ToArray();
    }

    /// <summary>Elements start, start+step, ... below end along <paramref name="axis"/>.</summary>
    public static RefTensor Slice(RefTensor x, int axis, int start, int end, int step)
    {
        int a = axis < 0 ? axis + x.Rank : axis;
        var pos = SlicePositions(x.Shape[a], start, end, step);
        var shape = (int[])x.Shape.Clone();
        shape[a] = pos.Length;
        var y = new RefTensor(shape);
        for (long i = 0; i < y.Length; i++)
        {
            var idx = y.Unravel(i);
            idx[a] = pos[idx[a]];
            y.Data[i] = x[idx];
        }
        return y;
    }

    /// <summary>Gradient of <see cref="Slice"/>: dy placed at the sliced positions, zeros elsewhere.</summary>
    public static RefTensor SliceBackward(RefTensor dy, int[] xShape, int axis, int start, int end, int step)
    {
        int a = axis < 0 ? axis + xShape.Length : axis;
        var pos = SlicePositions(xShape[a], start, end, step);
        var dx = new RefTensor(xShape);
        for (long i = 0; i < dy.Length; i++)
        {
            var idx = dy.Unravel(i);
            idx[a] = pos[idx[a]];
            dx[idx] += dy.Data[i];
        }
        return dx;
    }

    private static int NormalizeIndex(double raw, int n)
    {
        long v = (long)raw;
        if (v < -n || v >= n) throw new ArgumentOutOfRangeException(nameof(raw), $"index {v} out of range for size {n}");
        return (int)(v < 0 ? v + n : v);
    }

    /// <summary>out[o, k..., i] = data[o, indices[k...], i] with out shape data[..axis] + indices.shape + data[axis+1..].</summary>
    public static RefTensor Gather(RefTensor data, RefTensor indices, int axis)
    {
        int a = axis < 0 ? axis + data.Rank : axis;
        var shape = data.Shape.Take(a).Concat(indices.Shape).Concat(data.Shape.Skip(a + 1)).ToArray();
        var y = new RefTensor(shape);
        var src = new int[data.Rank];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = y.Unravel(i);
            for (int d = 0; d < a; d++) src[d] = idx[d];
            var k = idx.Skip(a).Take(indices.Rank).ToArray();
            src[a] = NormalizeIndex(indices[k], data.Shape[a]);
            for (int d = a + 1; d < data.Rank; d++) src[d] = idx[d - 1 + indices.Rank];
            y.Data[i] = data[src];
        }
        return y;
    }

    /// <summary>Gradient of <see cref="Gather"/> with respect to data: dOutput scatter-added at the gathered positions.</summary>
    public static RefTensor GatherBackward(RefTensor indices, RefTensor dOutput, int[] dataShape, int axis)
    {
        int a = axis < 0 ? axis + dataShape.Length : axis;
        var dData = new RefTensor(dataShape);
        var dst = new int[dataShape.Length];
        for (long i = 0; i < dOutput.Length; i++)
        {
            var idx = dOutput.Unravel(i);
            for (int d = 0; d < a; d++) dst[d] = idx[d];
            var k = idx.Skip(a).Take(indices.Rank).ToArray();
            dst[a] = NormalizeIndex(indices[k], dataShape[a]);
            for (int d = a + 1; d < dataShape.Length; d++) dst[d] = idx[d - 1 + indices.Rank];
            dData[dst] += dOutput.Data[i];
        }
        return dData;
    }

    /// <summary>Where output position <paramref name="o"/> of a padded axis reads from (−1: the constant).
    /// Negative pads crop first; reflect (without repeating the edge, periodically for long pads) and edge then
    /// work on the cropped range.</summary>
    public static int PadSource(int o, int n, int begin, int end, PadMode mode)
    {
        int lo = Math.Max(0, -begin), hi = n - Math.Max(0, -end);   // cropped range [lo, hi)
        int i = o - begin;                                          // position in input coordinates
        if (i >= lo && i < hi) return i;
        if (mode == PadMode.Constant) return -1;
        int len = hi - lo;
        if (len <= 0) throw new ArgumentException("reflect/edge padding of an empty axis");
        if (mode == PadMode.Edge) return i < lo ? lo : hi - 1;
        if (len == 1) return lo;
        int period = 2 * (len - 1);
        int t = ((i - lo) % period + period) % period;
        if (t >= len) t = period - t;
        return lo + t;
    }

    /// <summary>ONNX Pad (pads = [begins..., ends...]).</summary>
    public static RefTensor Pad(RefTensor x, PadParams p)
    {
        int r = x.Rank;
        var shape = new int[r];
        for (int d = 0; d < r; d++) shape[d] = x.Shape[d] + p.Pads[d] + p.Pads[d + r];
        var y = new RefTensor(shape);
        var src = new int[r];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = y.Unravel(i);
            bool inside = true;
            for (int d = 0; d < r && inside; d++)
            {
                src[d] = PadSource(idx[d], x.Shape[d], p.Pads[d], p.Pads[d + r], p.Mode);
                inside = src[d] >= 0;
            }
            y.Data[i] = inside ? x[src] : p.Value;
        }
        return y;
    }

    /// <summary>Gradient of <see cref="Pad"/>: every output gradient added to the input element it was read from.</summary>
    public static RefTensor PadBackward(RefTensor dy, int[] xShape, PadParams p)
    {
        int r = xShape.Length;
        var dx = new RefTensor(xShape);
        var src = new int[r];
        for (long i = 0; i < dy.Length; i++)
        {
            var idx = dy.Unravel(i);
            bool inside = true;
            for (int d = 0; d < r && inside; d++)
            {
                src[d] = PadSource(idx[d], xShape[d], p.Pads[d], p.Pads[d + r], p.Mode);
                inside = src[d] >= 0;
            }
            if (inside) dx[src] += dy.Data[i];
        }
        return dx;
    }

    /// <summary>NumPy broadcast of x to <paramref name="shape"/>.</summary>
    public static RefTensor Expand(RefTensor x, int[] shape)
    {
        var y = new RefTensor(shape);
        int lead = shape.Length - x.Rank;
        var src = new int[x.Rank];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = y.Unravel(i);
            for (int d = 0; d < x.Rank; d++) src[d] = x.Shape[d] == 1 ? 0 : idx[d + lead];
            y.Data[i] = x[src];
        }
        return y;
    }

    /// <summary>Gradient of <see cref="Expand"/>: dy summed over the broadcast dimensions.</summary>
    public static RefTensor ExpandBackward(RefTensor dy, int[] xShape)
    {
        var dx = new RefTensor(xShape);
        int lead = dy.Rank - xShape.Length;
        var dst = new int[xShape.Length];
        for (long i = 0; i < dy.Length; i++)
        {
            var idx = dy.Unravel(i);
            for (int d = 0; d < xShape.Length; d++) dst[d] = xShape[d] == 1 ? 0 : idx[d + lead];
            dx[dst] += dy.Data[i];
        }
        return dx;
    }
}
