using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels.Reduction;

/// <summary>Reduction of a contiguous float32 array over any set of axes into a contiguous output whose elements
/// are the kept axes in row-major order. Size-1 axes are dropped and neighbouring axes of the same kind merged; then
/// either the innermost axis is reduced (each output folds contiguous rows with <see cref="RowReduce"/>) or it is
/// kept (each output block accumulates whole input rows with a vector combine, cache-friendly column reduction).</summary>
internal static unsafe class ReduceEngine
{
    private const int Piece = 4096;
    private const int RowBlock = 256;

    /// <summary>y ← reduce_op(x) over the axes flagged in <paramref name="reduced"/>. Mean divides by the reduced count.</summary>
    public static void Run(ReduceOp op, float* x, ReadOnlySpan<int> dims, ReadOnlySpan<bool> reduced, float* y, int threads)
    {
        switch (op)
        {
            case ReduceOp.Sum: Run(new SumReduce(), false, x, dims, reduced, y, threads); break;
            case ReduceOp.Mean: Run(new SumReduce(), true, x, dims, reduced, y, threads); break;
            case ReduceOp.Max: Run(new MaxReduce(), false, x, dims, reduced, y, threads); break;
            case ReduceOp.Min: Run(new MinReduce(), false, x, dims, reduced, y, threads); break;
            default: throw new TesseraArgumentException("Reduce", nameof(op), $"unknown reduction {op}");
        }
    }

    /// <summary>The merged layout of a reduction: dims (outer to inner) with contiguous strides and kind.</summary>
    internal readonly record struct Layout(int[] Sizes, long[] Strides, bool[] Reduced, long Count, long Outputs, long ReducedCount)
    {
        public static Layout Create(ReadOnlySpan<int> dims, ReadOnlySpan<bool> reduced)
        {
            var sizes = new List<int>();
            var kinds = new List<bool>();
            long count = 1, outputs = 1, rcount = 1;
            for (int i = 0; i < dims.Length; i++)
            {
                count *= dims[i];
                if (reduced[i]) rcount *= dims[i]; else outputs *= dims[i];
                if (dims[i] == 1) continue;
                if (sizes.Count > 0 && kinds[^1] == reduced[i] && (long)sizes[^1] * dims[i] <= int.MaxValue) sizes[^1] *= dims[i];
                else { sizes.Add(dims[i]); kinds.Add(reduced[i]); }
            }
            var strides = new long[sizes.Count];
            long acc = 1;
            for (int i = sizes.Count - 1; i >= 0; i--) { strides[i] = acc; acc *= sizes[i]; }
            return new Layout(sizes.ToArray(), strides, kinds.ToArray(), count, outputs, rcount);
        }

        /// <summary>Sizes and strides of the dims of one kind (in order), optionally leaving out the innermost one.</summary>
        public (int[] Sizes, long[] Strides) Select(bool kind, bool dropLast)
        {
            var s = new List<int>();
            var st = new List<long>();
            for (int i = 0; i < Sizes.Length; i++)
                if (Reduced[i] == kind) { s.Add(Sizes[i]); st.Add(Strides[i]); }
            if (dropLast && s.Count > 0) { s.RemoveAt(s.Count - 1); st.RemoveAt(st.Count - 1); }
            return (s.ToArray(), st.ToArray());
        }
    }

    private static void Run<TRed>(TRed red, bool mean, float* x, ReadOnlySpan<int> dims, ReadOnlySpan<bool> reduced, float* y, int threads)
        where TRed : struct, IReduceMath
    {
        var lay = Layout.Create(dims, reduced);
        if (lay.Outputs == 0) return;
        float scale = mean ? 1f / lay.ReducedCount : 1f;
        if (lay.Count == 0)
        {
            // Empty reductions: sum 0, mean NaN (0/0), max/min NaN (undefined; the facade refuses them).
            float v = mean ? float.NaN : red.Identity == 0f ? 0f : float.NaN;
            new Span<float>(y, checked((int)lay.Outputs)).Fill(v);
            return;
        }
        int m = lay.Sizes.Length;
        if (lay.ReducedCount == 1 || m == 0)
        {
            ElementLoop.Parallel(new UnaryBody<AffineMath>(new AffineMath(scale, 0f), x, y), lay.Count, threads);
            return;
        }
        if (lay.Outputs == 1) { y[0] = Full(red, x, lay.Count, threads) * scale; return; }
        if (lay.Reduced[m - 1]) ReduceInner(red, scale, x, lay, y, threads);
        else ReduceOuter(red, scale, x, lay, y, threads);
    }

    /// <summary>Everything into one value: per-chunk partials in parallel, folded in order.</summary>
    private static float Full<TRed>(TRed red, float* x, long n, int threads) where TRed : struct, IReduceMath
    {
        const int MaxChunks = 64;
        long chunks = Math.Clamp(n / ElementLoop.Grain, 1, MaxChunks);
        if (threads <= 1) chunks = 1;
        float* partial = stackalloc float[MaxChunks];
        CpuParallel.For(chunks, threads, 1, (red, x: (nint)x, n, chunks, p: (nint)partial), static (st, c0, c1) =>
        {
            for (long c = c0; c < c1; c++)
            {
                long b = st.n * c / st.chunks, e = st.n * (c + 1) / st.chunks;
                ((float*)st.p)[c] = RowReduce.Run(st.red, (float*)st.x + b, e - b);
            }
        });
        float acc = red.Identity;
        for (int c = 0; c < chunks; c++) acc = red.Invoke(acc, partial[c]);
        return acc;
    }

    /// <summary>Innermost axis reduced: every output folds S contiguous rows of length L.</summary>
    private static void ReduceInner<TRed>(TRed red, float scale, float* x, Layout lay, float* y, int threads) where TRed : struct, IReduceMath
    {
        var kept = lay.Select(false, false);
        var rows = lay.Select(true, true);
        int len = lay.Sizes[^1];
        long perOut = lay.ReducedCount;
        long grain = Math.Max(1, ElementLoop.Grain / Math.Max(1, perOut));
        if (kept.Sizes.Length == 1 && perOut == len)
        {
            // One contiguous row per output at a fixed stride (a global average pool, a last-axis reduction): no index
            // arithmetic per output.
            CpuParallel.For(lay.Outputs, threads, grain, (red, scale, x: (nint)x, y: (nint)y, stride: kept.Strides[0], len), static (st, o0, o1) =>
            {
                float* y = (float*)st.y;
                RowReduce.Rows(st.red, (float*)st.x + o0 * st.stride, st.stride, st.len, o1 - o0, y + o0);
                for (long o = o0; o < o1; o++) y[o] = st.red.Invoke(st.red.Identity, y[o]) * st.scale;
            });
            return;
        }
        CpuParallel.For(lay.Outputs, threads, grain, (red, scale, x: (nint)x, y: (nint)y, kept, rows, len, segs: perOut / len), static (st, o0, o1) =>
        {
            for (long o = o0; o < o1; o++)
            {
                float* b = (float*)st.x + StridedPlan.Offset(st.kept.Sizes, st.kept.Strides, o);
                float acc = st.red.Identity;
                for (long s = 0; s < st.segs; s++)
                    acc = st.red.Invoke(acc, RowReduce.Run(st.red, b + StridedPlan.Offset(st.rows.Sizes, st.rows.Strides, s), st.len));
                ((float*)st.y)[o] = acc * st.scale;
            }
        });
    }

    /// <summary>Innermost axis kept: every output block of K contiguous values accumulates S input rows.</summary>
    private static void ReduceOuter<TRed>(TRed red, float scale, float* x, Layout lay, float* y, int threads) where TRed : struct, IReduceMath
    {
        var keptOuter = lay.Select(false, true);
        var reds = lay.Select(true, false);
        int k = lay.Sizes[^1];
        int piece = Math.Min(k, Piece);
        long pieces = (k + piece - 1) / piece;
        long blocks = lay.Outputs / k;
        long grain = Math.Max(1, ElementLoop.Grain / Math.Max(1, lay.ReducedCount * piece));
        CpuParallel.For(blocks * pieces, threads, grain, (red, scale, x: (nint)x, y: (nint)y, keptOuter, reds, k, piece, pieces, S: lay.ReducedCount), static (st, w0, w1) =>
        {
            float* part = stackalloc float[Piece];
            for (long w = w0; w < w1; w++)
            {
                long blk = w / st.pieces;
                int j0 = (int)(w - blk * st.pieces) * st.piece;
                int len = Math.Min(st.k - j0, st.piece);
                float* yb = (float*)st.y + blk * st.k + j0;
                float* xb = (float*)st.x + StridedPlan.Offset(st.keptOuter.Sizes, st.keptOuter.Strides, blk) + j0;
                // Rows are folded in blocks of RowBlock into a partial that is then folded into the output:
                // a float sum of S rows then carries ~(RowBlock + S/RowBlock) roundings instead of S.
                Fold(st.red, xb, st.reds, 0, Math.Min(st.S, RowBlock), yb, len);
                for (long b = RowBlock; b < st.S; b += RowBlock)
                {
                    Fold(st.red, xb, st.reds, b, Math.Min(st.S, b + RowBlock), part, len);
                    Drivers.Map(st.red, yb, part, yb, len);
                }
                if (st.scale != 1f) Drivers.Map(new AffineMath(st.scale, 0f), yb, yb, len);
            }
        });
    }

    /// <summary>dst[0..len) ← fold of the reduced rows s0..s1 (s1 &gt; s0) of a column block.</summary>
    private static void Fold<TRed>(TRed red, float* xb, (int[] Sizes, long[] Strides) reds, long s0, long s1, float* dst, int len)
        where TRed : struct, IReduceMath
    {
        new ReadOnlySpan<float>(xb + StridedPlan.Offset(reds.Sizes, reds.Strides, s0), len).CopyTo(new Span<float>(dst, len));
        for (long s = s0 + 1; s < s1; s++)
            Drivers.Map(red, dst, xb + StridedPlan.Offset(reds.Sizes, reds.Strides, s), dst, len);
    }
}
