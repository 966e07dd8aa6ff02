using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Shape ops that move data: concat, gather (+ scatter-add backward), pad (+ backward, in Kernels/Shape/),
/// and the sum over broadcast dimensions that is the gradient of expand. Concat, gather and pad move elements of any
/// dtype by size; the backward kernels are float32.</summary>
internal sealed unsafe partial class CpuKernels : IShapeKernels
{
    /// <summary>Bytes per parallel chunk (at least) for copies.</summary>
    private const long CopyGrainBytes = 64 * 1024;

    public void Concat(IReadOnlyList<Tensor> inputs, Tensor output, int axis)
    {
        int size = output.DType.SizeOf();
        long outer = Prod(output.Shape, 0, axis), inner = Prod(output.Shape, axis + 1, output.Rank);
        long total = output.Shape[axis];
        if (output.ElementCount == 0) return;
        var outStrides = output.StrideArray();
        long offset = 0;
        foreach (var x in inputs)
        {
            long len = x.Shape[axis];
            byte* dst = output.U8() + offset * inner * size;
            offset += len;
            if (x.ElementCount == 0) continue;
            if (x.IsContiguous)
            {
                long rowBytes = len * inner * size;
                var st = ((nint)x.U8(), (nint)dst, rowBytes, total * inner * size);
                CpuParallel.For(outer, Threads, Math.Max(1, CopyGrainBytes / rowBytes), st, static (s, r0, r1) =>
                {
                    for (long r = r0; r < r1; r++)
                        Buffer.MemoryCopy((byte*)s.Item1 + r * s.rowBytes, (byte*)s.Item2 + r * s.Item4, s.rowBytes, s.rowBytes);
                });
            }
            else
            {
                // One strided pass straight into the output block (the output's strides describe the block too).
                StridedCopy(x.U8(), x.StrideArray(), dst, outStrides, x.Shape, size);
            }
        }
    }

    /// <summary>Copies elements of <paramref name="shape"/> between two strided layouts (element strides).</summary>
    private void StridedCopy(byte* src, long[] srcStrides, byte* dst, long[] dstStrides, Shape shape, int size)
    {
        var plan = StridedPlan.Create(shape, srcStrides, dstStrides);
        var st = (plan, (nint)src, (nint)dst, size);
        CpuParallel.For(plan.Rows, Threads, Math.Max(1, 16384 / Math.Max(1, plan.Inner)), st, static (s, r0, r1) =>
        {
            var (plan, sp, dp, size) = s;
            long ss = plan.InnerStride[0] * size, ds = plan.InnerStride[1] * size;
            for (long r = r0; r < r1; r++)
            {
                byte* ps = (byte*)sp + plan.RowOffset(0, r) * size;
                byte* pd = (byte*)dp + plan.RowOffset(1, r) * size;
                switch (size)
                {
                    case 4: for (int i = 0; i < plan.Inner; i++) *(int*)(pd + i * ds) = *(int*)(ps + i * ss); break;
                    case 8: for (int i = 0; i < plan.Inner; i++) *(long*)(pd + i * ds) = *(long*)(ps + i * ss); break;
                    case 2: for (int i = 0; i < plan.Inner; i++) *(short*)(pd + i * ds) = *(short*)(ps + i * ss); break;
                    default: for (int i = 0; i < plan.Inner; i++) pd[i * ds] = ps[i * ss]; break;
                }
            }
        });
    }

    public void Gather(Tensor data, Tensor indices, Tensor output, int axis)
    {
        int n = data.Shape[axis];
        using var idx = NormalizedIndices("Gather", indices, n, axis);
        if (output.ElementCount == 0) return;
        using var d = data.Contiguous();
        int size = data.DType.SizeOf();
        long outer = Prod(data.Shape, 0, axis), inner = Prod(data.Shape, axis + 1, data.Rank);
        long k = indices.ElementCount;
        var st = ((nint)d.U8(), (nint)idx.I64(), (nint)output.U8(), n, k, inner, size);
        CpuParallel.For(outer * k, Threads, Math.Max(1, CopyGrainBytes / (inner * size)), st, static (s, r0, r1) =>
        {
            var (src, ix, dst, n, k, inner, size) = s;
            long rowBytes = inner * size;
            long o = r0 / k, j = r0 - o * k;
            for (long r = r0; r < r1; r++)
            {
                long from = (o * n + ((long*)ix)[j]) * rowBytes;
                byte* pd = (byte*)dst + r * rowBytes;
                byte* ps = (byte*)src + from;
                if (inner == 1)
                {
                    switch (size)
                    {
                        case 4: *(int*)pd = *(int*)ps; break;
                        case 8: *(long*)pd = *(long*)ps; break;
                        case 2: *(short*)pd = *(short*)ps; break;
                        default: *pd = *ps; break;
                    }
                }
                else Buffer.MemoryCopy(ps, pd, rowBytes, rowBytes);
                if (++j == k) { j = 0; o++; }
            }
        });
    }

    public void GatherBackward(Tensor indices, Tensor dOutput, Tensor dData, int axis)
    {
        int n = dData.Shape[axis];
        using var idx = NormalizedIndices("GatherBackward", indices, n, axis);
        long outer = Prod(dData.Shape, 0, axis), inner = Prod(dData.Shape, axis + 1, dData.Rank);
        long k = indices.ElementCount;
        if (dData.ElementCount == 0) return;
        using var dy = dOutput.Contiguous();
        // Work item = (outer row o, block of destination rows along the axis). Each item zeroes its rows and adds, in
        // ascending k, every dOutput row whose index falls in its block: deterministic whatever the thread count.
        long blocks = outer >= 2L * Threads ? 1 : Math.Min(n, 4L * Threads);
        blocks = Math.Max(1, blocks);
        var st = ((nint)idx.I64(), (nint)dy.F32(), (nint)dData.F32(), n, k, inner, blocks);
        long work = Math.Max(1, k * inner / Math.Max(1, blocks));
        CpuParallel.For(outer * blocks, Threads, Math.Max(1, 16384 / work), st, static (s, w0, w1) =>
        {
            var (ix, src, dst, n, k, inner, blocks) = s;
            for (long w = w0; w < w1; w++)
            {
                long o = w / blocks, b = w - o * blocks;
                long lo = n * b / blocks, hi = n * (b + 1) / blocks;
                float* dBase = (float*)dst + o * n * inner;
                new Span<float>(dBase + lo * inner, checked((int)((hi - lo) * inner))).Clear();
                float* sBase = (float*)src + o * k * inner;
                for (long j = 0; j < k; j++)
                {
                    long t = ((long*)ix)[j];
                    if (t < lo || t >= hi) continue;
                    AddInto(dBase + t * inner, sBase + j * inner, inner);
                }
            }
        });
    }

    /// <summary>dx = dy summed over the dimensions where dx (aligned right, missing leading dims = 1) has size 1 and dy
    /// does not. Parallel over dx elements; each sums its terms in a fixed order (deterministic).</summary>
    public void ExpandBackward(Tensor dy, Tensor dx)
    {
        int rank = dy.Rank, lead = rank - dx.Rank;
        if (dx.ElementCount == 0) return;
        var xs = new int[rank];
        for (int d = 0; d < rank; d++) xs[d] = d < lead ? 1 : dx.Shape[d - lead];
        if (dy.ElementCount == 0) { new Span<float>(dx.F32(), checked((int)dx.ElementCount)).Clear(); return; }
        var kept = new List<int>();
        var red = new List<int>();
        for (int d = 0; d < rank; d++)
        {
            if (dy.Shape[d] == 1) continue;
            if (xs[d] == 1) red.Add(d); else kept.Add(d);
        }
        var yStr = dy.StrideArray();
        bool innerKept = kept.Count > 0 && kept[^1] == rank - 1;
        // Row = run of dx elements along dy's last axis when that axis is kept, else a single dx element.
        int rowLen = innerKept ? dy.Shape[rank - 1] : 1;
        var outerKept = innerKept ? kept.Take(kept.Count - 1).ToArray() : kept.ToArray();
        var redDims = red.ToArray();
        var plan = new ExpandSumPlan(
            outerKept.Select(d => dy.Shape[d]).ToArray(), outerKept.Select(d => yStr[d]).ToArray(),
            redDims.Select(d => dy.Shape[d]).ToArray(), redDims.Select(d => yStr[d]).ToArray(),
            rowLen, innerKept ? yStr[rank - 1] : 0);
        long rows = dx.ElementCount / rowLen;
        long terms = red.Aggregate(1L, (a, d) => a * dy.Shape[d]);
        var st = (plan, (nint)dy.F32(), (nint)dx.F32());
        CpuParallel.For(rows, Threads, Math.Max(1, 16384 / Math.Max(1, terms * rowLen)), st, static (s, r0, r1) =>
        {
            var (plan, src, dst) = s;
            var ridx = new int[plan.RedDims.Length];
            for (long r = r0; r < r1; r++)
            {
                // Offset of this dx row's first term in dy.
                long rem = r, baseOff = 0;
                for (int d = plan.KeptDims.Length - 1; d >= 0; d--)
                {
                    long q = rem / plan.KeptDims[d];
                    baseOff += (rem - q * plan.KeptDims[d]) * plan.KeptStrides[d];
                    rem = q;
                }
                float* outRow = (float*)dst + r * plan.RowLen;
                if (plan.RowLen > 1)
                {
                    new Span<float>(outRow, plan.RowLen).Clear();
                    Array.Clear(ridx);
                    long off = baseOff;
                    while (true)
                    {
                        float* inRow = (float*)src + off;
                        if (plan.RowStride == 1) AddInto(outRow, inRow, plan.RowLen);
                        else for (int i = 0; i < plan.RowLen; i++) outRow[i] += inRow[i * plan.RowStride];
                        if (!Next(ridx, plan.RedDims, plan.RedStrides, ref off)) break;
                    }
                }
                else
                {
                    // Sum every term of one element; the last reduced dim is the innermost run.
                    int m = plan.RedDims.Length;
                    int last = m > 0 ? plan.RedDims[m - 1] : 1;
                    long lastStride = m > 0 ? plan.RedStrides[m - 1] : 0;
                    float acc = 0;
                    Array.Clear(ridx);
                    long off = baseOff;
                    var outer = plan.RedDims.AsSpan(0, Math.Max(0, m - 1));
                    var outerStr = plan.RedStrides.AsSpan(0, Math.Max(0, m - 1));
                    while (true)
                    {
                        float* p = (float*)src + off;
                        if (lastStride == 1) acc += TensorPrimitives.Sum(new ReadOnlySpan<float>(p, last));
                        else for (int i = 0; i < last; i++) acc += p[i * lastStride];
                        if (!Next(ridx.AsSpan(0, outer.Length), outer, outerStr, ref off)) break;
                    }
                    *outRow = acc;
                }
            }
        });
    }

    private sealed record ExpandSumPlan(int[] KeptDims, long[] KeptStrides, int[] RedDims, long[] RedStrides, int RowLen, long RowStride);

    /// <summary>Odometer step over <paramref name="dims"/>, keeping <paramref name="off"/> = Σ idx·stride. False when done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Next(Span<int> idx, ReadOnlySpan<int> dims, ReadOnlySpan<long> strides, ref long off)
    {
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            if (++idx[d] < dims[d]) { off += strides[d]; return true; }
            off -= (long)(idx[d] - 1) * strides[d];
            idx[d] = 0;
        }
        return false;
    }

    /// <summary>dst[i] += src[i] (vectorised).</summary>
    private static void AddInto(float* dst, float* src, long n)
    {
        while (n > 0)
        {
            int c = (int)Math.Min(n, int.MaxValue / 2);
            var d = new Span<float>(dst, c);
            TensorPrimitives.Add(d, new ReadOnlySpan<float>(src, c), d);
            dst += c; src += c; n -= c;
        }
    }

    private static long Prod(Shape s, int from, int to)
    {
        long p = 1;
        for (int i = from; i < to; i++) p *= s[i];
        return p;
    }

    /// <summary>Indices (int32/int64, any layout) as a pooled contiguous int64 tensor with negatives resolved. Every
    /// index is checked first, so an out-of-range index throws before anything is written.</summary>
    private Tensor NormalizedIndices(string op, Tensor indices, int n, int axis)
    {
        if (indices.DType is not (DType.Int32 or DType.Int64))
            throw new TesseraDTypeException(op, nameof(indices), $"expected Int32 or Int64 indices, got {indices.DType}");
        long k = indices.ElementCount;
        var result = Scratch(DType.Int64, checked((int)k));
        try
        {
            using var src = indices.Contiguous();
            long* dst = result.I64();
            long* s64 = indices.DType == DType.Int64 ? src.I64() : null;
            int* s32 = indices.DType == DType.Int32 ? src.I32() : null;
            for (long j = 0; j < k; j++)
            {
                long v = s64 != null ? s64[j] : s32[j];
                if (v < -n || v >= n)
                    throw new TesseraArgumentException(op, nameof(indices),
                        $"index {v} (element {j} of indices {indices.Shape}) is out of range for axis {axis} of size {n}; valid is [{-n}, {n})");
                dst[j] = v < 0 ? v + n : v;
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }
}
