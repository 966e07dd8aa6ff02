namespace Tessera.Onnx.Import;

/// <summary>Import-time evaluation of the small integer (and float) computations of shape subgraphs: broadcasting
/// element-wise functions, gathers along an axis and strided slices, on <see cref="HostTensor"/> values.</summary>
internal static class HostOps
{
    /// <summary>NumPy broadcast of two shapes (<see cref="Shape.Broadcast"/>); errors name <paramref name="node"/>.</summary>
    public static int[] Broadcast(string node, int[] a, int[] b) =>
        Shape.Broadcast(Shape.Create(node, a), Shape.Create(node, b), node).ToArray();

    /// <summary>Index into a tensor of <paramref name="dims"/> broadcast to <paramref name="outDims"/> for each output element.</summary>
    public static long[] BroadcastIndex(int[] dims, int[] outDims)
    {
        long n = outDims.Aggregate(1L, (a, d) => a * d);
        var idx = new long[n];
        int r = outDims.Length, lead = r - dims.Length;
        var strides = new long[r];
        long s = 1;
        for (int i = r - 1; i >= lead; i--)
        {
            strides[i] = dims[i - lead] == 1 ? 0 : s;
            s *= dims[i - lead];
        }
        var pos = new int[r];
        for (long k = 0; k < n; k++)
        {
            long o = 0;
            for (int i = 0; i < r; i++) o += pos[i] * strides[i];
            idx[k] = o;
            for (int i = r - 1; i >= 0; i--)
            {
                if (++pos[i] < outDims[i]) break;
                pos[i] = 0;
            }
        }
        return idx;
    }

    /// <summary>Element-wise function of several broadcast inputs; float math when any input is float.</summary>
    public static HostTensor Map(string node, OnnxDataType outType, IReadOnlyList<HostTensor> xs, Func<double[], double> f)
    {
        var dims = xs.Select(x => x.Dims).Aggregate((a, b) => Broadcast(node, a, b));
        var idx = xs.Select(x => BroadcastIndex(x.Dims, dims)).ToArray();
        long n = dims.Aggregate(1L, (a, d) => a * d);
        var args = new double[xs.Count];
        var outV = new double[n];
        for (long k = 0; k < n; k++)
        {
            for (int j = 0; j < xs.Count; j++) args[j] = xs[j].Get(idx[j][k]);
            outV[k] = f(args);
        }
        return HostTensor.Of(outType, dims, outV);
    }

    /// <summary>Integer element-wise function (exact for int64).</summary>
    public static HostTensor MapLong(string node, OnnxDataType outType, IReadOnlyList<HostTensor> xs, Func<long[], long> f)
    {
        var dims = xs.Select(x => x.Dims).Aggregate((a, b) => Broadcast(node, a, b));
        var idx = xs.Select(x => BroadcastIndex(x.Dims, dims)).ToArray();
        long n = dims.Aggregate(1L, (a, d) => a * d);
        var args = new long[xs.Count];
        var outV = new long[n];
        for (long k = 0; k < n; k++)
        {
            for (int j = 0; j < xs.Count; j++) args[j] = xs[j].GetLong(idx[j][k]);
            outV[k] = f(args);
        }
        return HostTensor.Of(outType, dims, outV);
    }

    /// <summary>Elements of <paramref name="x"/> at the given flat source positions, with new dims.</summary>
    public static HostTensor Take(HostTensor x, long[] src, int[] dims) =>
        x.Floats is not null
            ? HostTensor.Of(x.Type, dims, src.Select(i => x.Floats[i]).ToArray())
            : HostTensor.Of(x.Type, dims, src.Select(i => x.Ints![i]).ToArray());

    /// <summary>Flat source positions of a selection: along <paramref name="axis"/> the listed indices, other axes whole.</summary>
    public static long[] AxisSelect(int[] dims, int axis, IReadOnlyList<long> indices)
    {
        long outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= dims[i];
        for (int i = axis + 1; i < dims.Length; i++) inner *= dims[i];
        var src = new long[outer * indices.Count * inner];
        long k = 0;
        for (long o = 0; o < outer; o++)
            foreach (var ix in indices)
                for (long i = 0; i < inner; i++)
                    src[k++] = (o * dims[axis] + ix) * inner + i;
        return src;
    }

    /// <summary>Flat source positions of a transpose.</summary>
    public static long[] TransposeIndex(int[] dims, int[] perm)
    {
        int r = dims.Length;
        var strides = new long[r];
        long s = 1;
        for (int i = r - 1; i >= 0; i--) { strides[i] = s; s *= dims[i]; }
        var outDims = perm.Select(p => dims[p]).ToArray();
        var src = new long[s];
        var pos = new int[r];
        for (long k = 0; k < s; k++)
        {
            long o = 0;
            for (int i = 0; i < r; i++) o += pos[i] * strides[perm[i]];
            src[k] = o;
            for (int i = r - 1; i >= 0; i--)
            {
                if (++pos[i] < outDims[i]) break;
                pos[i] = 0;
            }
        }
        return src;
    }

    /// <summary>Concatenation along an axis (shapes per <see cref="Kernels.ShapeRules.Concat(string, IReadOnlyList{Shape}, int, out int)"/>).</summary>
    public static HostTensor Concat(string node, IReadOnlyList<HostTensor> xs, int axis)
    {
        var dims = Kernels.ShapeRules.Concat(node, xs.Select(x => Shape.Create(node, x.Dims)).ToArray(), axis, out axis).ToArray();
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= dims[i];
        bool f = xs.Any(x => x.IsFloat);
        var outF = new List<double>();
        var outL = new List<long>();
        for (long o = 0; o < outer; o++)
            foreach (var x in xs)
            {
                long block = x.Count / Math.Max(outer, 1);
                for (long i = 0; i < block; i++)
                {
                    if (f) outF.Add(x.Get(o * block + i));
                    else outL.Add(x.GetLong(o * block + i));
                }
            }
        return f ? HostTensor.Of(xs[0].Type, dims, outF.ToArray()) : HostTensor.Of(xs[0].Type, dims, outL.ToArray());
    }
}
