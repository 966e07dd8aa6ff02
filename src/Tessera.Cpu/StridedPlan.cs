namespace Tessera.Cpu;

/// <summary>Iteration plan for element-wise work over several operands with one shape and their own strides
/// (broadcast operands have stride 0). Size-1 dimensions are dropped and adjacent dimensions that are contiguous
/// in every operand are merged, so the innermost loop is as long as possible. Rows are the outer index space; each
/// row is <see cref="Inner"/> elements with per-operand <see cref="InnerStride"/>.</summary>
internal sealed class StridedPlan
{
    private readonly int[] _dims;        // collapsed outer dims (excluding the inner one)
    private readonly long[][] _strides;  // per operand, per collapsed outer dim

    private StridedPlan(int[] dims, long[][] strides, int inner, long[] innerStride, long rows)
    {
        _dims = dims;
        _strides = strides;
        Inner = inner;
        InnerStride = innerStride;
        Rows = rows;
    }

    /// <summary>Elements per row.</summary>
    public int Inner { get; }

    /// <summary>Stride of the inner dimension per operand (in elements).</summary>
    public long[] InnerStride { get; }

    /// <summary>Number of rows.</summary>
    public long Rows { get; }

    /// <summary>Plans iteration over <paramref name="shape"/> for operands with the given strides.</summary>
    public static StridedPlan Create(Shape shape, params long[][] strides)
    {
        int ops = strides.Length;
        var dims = new List<int>();
        var st = new List<long[]>();
        for (int i = 0; i < shape.Rank; i++)
        {
            if (shape[i] == 1) continue;
            var s = new long[ops];
            for (int o = 0; o < ops; o++) s[o] = strides[o][i];
            if (dims.Count > 0)
            {
                int last = dims.Count - 1;
                bool merge = true;
                for (int o = 0; o < ops && merge; o++) merge = st[last][o] == s[o] * shape[i];
                if (merge && (long)dims[last] * shape[i] <= int.MaxValue)
                {
                    dims[last] *= shape[i];
                    st[last] = s;
                    continue;
                }
            }
            dims.Add(shape[i]);
            st.Add(s);
        }
        if (shape.ElementCount == 0)
            return new StridedPlan(Array.Empty<int>(), new long[ops][], 0, new long[ops], 0);
        if (dims.Count == 0) { dims.Add(1); st.Add(new long[ops]); }
        int inner = dims[^1];
        var innerStride = st[^1];
        var outerDims = dims.Take(dims.Count - 1).ToArray();
        var outerStrides = new long[ops][];
        for (int o = 0; o < ops; o++)
        {
            outerStrides[o] = new long[outerDims.Length];
            for (int d = 0; d < outerDims.Length; d++) outerStrides[o][d] = st[d][o];
        }
        long rows = 1;
        foreach (var d in outerDims) rows *= d;
        return new StridedPlan(outerDims, outerStrides, inner, innerStride, rows);
    }

    /// <summary>Offset (in elements, relative to the operand's first element) of the start of <paramref name="row"/>.</summary>
    public long RowOffset(int operand, long row) =>
        Offset(_dims, _strides[operand], row);

    /// <summary>Offset of the idx-th element (row-major) of a sub-grid with the given sizes and strides.</summary>
    internal static long Offset(int[] sizes, long[] strides, long idx)
    {
        long off = 0;
        for (int d = sizes.Length - 1; d >= 0; d--)
        {
            long q = idx / sizes[d];
            off += (idx - q * sizes[d]) * strides[d];
            idx = q;
        }
        return off;
    }
}
