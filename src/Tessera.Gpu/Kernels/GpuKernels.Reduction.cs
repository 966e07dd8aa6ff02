using Tessera.Kernels;

namespace Tessera.Gpu.Kernels;

/// <summary>Reduction launchers (kernels/portable/reduction.h): reductions over any axes and their gradients, arg-max,
/// softmax and the losses. Inputs are read through views permuted so that the reduced axes (the softmax or arg-max
/// axis) come last; each output element, or row, then folds a run of that view, either with a whole block
/// (long rows) or with one thread (short rows). Few very long rows are reduced in two passes through scratch
/// partials. Every fold has a fixed order (deterministic). Cross-entropy checks class indices on the device and, as on
/// the CPU, throws for one outside [0, C) (one read-back of two counters per call).</summary>
public partial class GpuKernels : IReductionKernels
{
    private const string ReductionFamily = "reduction";

    /// <summary>Most blocks of a block-per-row launch; the kernels loop over further rows.</summary>
    private const long MaxRowBlocks = 1 << 20;

    /// <summary>Rows at least this long and at most <see cref="SplitRowsBelow"/> of them are reduced in two passes.</summary>
    private const long SplitRowLength = 1 << 16;

    private const long SplitRowsBelow = 64;

    /// <summary>Elements of a row per block in the first of two passes.</summary>
    private const long SplitChunk = 1 << 13;

    /// <inheritdoc/>
    public void Reduce(ReduceOp op, Tensor x, Tensor y, ReduceParams p)
    {
        const string name = "Reduce";
        if (!Enum.IsDefined(op)) throw new TesseraArgumentException(name, nameof(op), $"unknown reduction {op}");
        var mask = ReducedAxes(x.Rank, p.Axes);
        var (views, nk) = RowViews(name, x.Shape, mask, x);
        ReduceRows(op, views[0], nk, y, y.ElementCount, AxesProduct(x.Shape, mask, true));
    }

    /// <summary>y[o] ← op over elements [o·inner, (o+1)·inner) of the row view <paramref name="x"/> (first
    /// <paramref name="nk"/> dimensions locate the row); Mean divides by inner.</summary>
    private void ReduceRows(ReduceOp op, GpuArg x, int nk, Tensor y, long outputs, long inner)
    {
        const string name = "Reduce";
        if (outputs == 0) return;
        float scale = op == ReduceOp.Mean ? 1f / inner : 1f;
        if (inner >= SplitRowLength && outputs < SplitRowsBelow)
        {
            long parts = Math.Min((inner + SplitChunk - 1) / SplitChunk, Block * 4L);
            long chunk = (inner + parts - 1) / parts;
            parts = (inner + chunk - 1) / chunk;
            using var partial = Scratch(DType.Float32, checked((int)outputs), (int)parts);
            LaunchRowBlocks("reduce_part_f32", outputs * parts,
                x, GpuArg.I32(nk), GpuArg.Dense(partial, name), GpuArg.I64(outputs), GpuArg.I64(inner),
                GpuArg.I64(parts), GpuArg.I64(chunk), GpuArg.I32((int)op));
            LaunchReduceRows(op, GpuArg.Viewed(partial, name), 1, y, outputs, parts, scale);
            return;
        }
        LaunchReduceRows(op, x, nk, y, outputs, inner, scale);
    }

    private void LaunchReduceRows(ReduceOp op, GpuArg x, int nk, Tensor y, long outputs, long inner, float scale)
    {
        const string name = "Reduce";
        bool coop = Cooperative(outputs, inner);
        LaunchRowsOf("reduce_fwd", outputs, coop,
            x, GpuArg.I32(nk), GpuArg.Dense(y, name), GpuArg.I64(outputs), GpuArg.I64(inner),
            GpuArg.I32((int)op), GpuArg.F32(scale));
    }

    /// <inheritdoc/>
    public unsafe void ReduceBackward(ReduceOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, ReduceParams p)
    {
        const string name = "ReduceBackward";
        if (!Enum.IsDefined(op)) throw new TesseraArgumentException(name, nameof(op), $"unknown reduction {op}");
        var mask = ReducedAxes(x.Rank, p.Axes);
        long count = AxesProduct(x.Shape, mask, true), outputs = AxesProduct(x.Shape, mask, false);
        if (dx.ElementCount == 0) return;
        if (op is ReduceOp.Sum or ReduceOp.Mean)
        {
            // dy over x's shape: reduced axes broadcast (stride 0), kept ones read from dy's own dimensions.
            if (x.Rank > Strided.MaxRank) throw Unsupported(name, $"rank {x.Rank} above {Strided.MaxRank}");
            var src = Strided.Of(dy, name);
            var v = new Strided { Rank = Math.Max(1, x.Rank), Offset = src.Offset };
            v.Shape[0] = 1;
            int k = 0;
            for (int d = 0; d < x.Rank; d++)
            {
                v.Shape[d] = x.Shape[d];
                bool fromDy = !mask[d] || p.KeepDims;
                v.Stride[d] = mask[d] || dy.Rank == 0 ? 0 : src.Stride[k];
                if (fromDy) k++;
            }
            var view = new GpuArg { Kind = GpuArgKind.View, Buffer = dy.Storage.Buffer.Handle, View = Collapse(v) };
            LaunchElements(ReductionFamily, "reduce_bwd_f32", dx.ElementCount,
                view, GpuArg.Dense(dx, name), GpuArg.F32(op == ReduceOp.Mean ? 1f / count : 1f), GpuArg.I64(dx.ElementCount));
            return;
        }
        var (views, nk) = RowViews(name, x.Shape, mask, x, dx);
        bool coop = Cooperative(outputs, count);
        LaunchRowsOf("reduce_bwdextreme", outputs, coop,
            views[0], Flat(y, y.Shape, name), Flat(dy, dy.Shape, name), views[1], GpuArg.I32(nk),
            GpuArg.I64(outputs), GpuArg.I64(count));
    }

    /// <inheritdoc/>
    public void ArgMax(Tensor x, Tensor indices, ArgReduceParams p)
    {
        const string name = "ArgMax";
        var mask = new bool[x.Rank];
        mask[p.Axis] = true;
        long outputs = indices.ElementCount, len = x.Shape[p.Axis];
        if (outputs == 0) return;
        var (views, nk) = RowViews(name, x.Shape, mask, x);
        bool coop = Cooperative(outputs, len);
        LaunchRowsOf("argmax_fwd", outputs, coop,
            views[0], GpuArg.I32(nk), GpuArg.Dense(indices, name), GpuArg.I64(outputs), GpuArg.I64(len),
            GpuArg.I32(p.SelectLastIndex ? 1 : 0));
    }

    /// <inheritdoc/>
    public void Softmax(Tensor x, Tensor y, SoftmaxParams p)
    {
        const string name = "Softmax";
        long len = x.Shape[p.Axis];
        if (x.ElementCount == 0) return;
        var (views, nk) = RowViews(name, x.Shape, AxisOnly(x.Rank, p.Axis), x, y);
        long rows = x.ElementCount / len;
        bool coop = Cooperative(rows, len);
        LaunchRowsOf("softmax_fwd", rows, coop,
            views[0], views[1], GpuArg.I32(nk), GpuArg.I64(rows), GpuArg.I64(len), GpuArg.I32(p.Log ? 1 : 0));
    }

    /// <inheritdoc/>
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, SoftmaxParams p)
    {
        const string name = "SoftmaxBackward";
        long len = y.Shape[p.Axis];
        if (y.ElementCount == 0) return;
        var (views, nk) = RowViews(name, y.Shape, AxisOnly(y.Rank, p.Axis), y, dy, dx);
        long rows = y.ElementCount / len;
        bool coop = Cooperative(rows, len);
        LaunchRowsOf("softmax_bwd", rows, coop,
            views[0], views[1], views[2], GpuArg.I32(nk), GpuArg.I64(rows), GpuArg.I64(len),
            GpuArg.I32(p.Log ? 1 : 0));
    }

    /// <inheritdoc/>
    public void CrossEntropy(Tensor logits, Tensor target, Tensor loss, CrossEntropyParams p)
    {
        const string name = "CrossEntropy";
        int n = logits.Shape[0], c = logits.Shape[1];
        if (n == 0)
        {
            if (p.Reduction != LossReduction.None) Fill(loss, p.Reduction == LossReduction.Sum ? 0 : double.NaN);
            return;
        }
        bool indices = target.DType == DType.Int64;
        using var count = CountTargets(name, target, n, c, p.IgnoreIndex);
        using var scratch = p.Reduction == LossReduction.None ? null : Scratch(DType.Float32, n);
        var per = scratch ?? loss;
        bool coop = Cooperative(n, c);
        if (indices)
            LaunchRowsOf("ce_fwdindex", n, coop,
                GpuArg.Viewed(logits, name), GpuArg.Viewed(target, name), GpuArg.Dense(per, name), GpuArg.I64(n), GpuArg.I64(c),
                GpuArg.I64(p.IgnoreIndex), GpuArg.F32(p.LabelSmoothing));
        else
            LaunchRowsOf("ce_fwdprob", n, coop,
                GpuArg.Viewed(logits, name), GpuArg.Viewed(target, name), GpuArg.Dense(per, name), GpuArg.I64(n), GpuArg.I64(c),
                GpuArg.F32(p.LabelSmoothing));
        if (scratch is null) return;
        Launch(ReductionFamily, "ce_total_f32", new GpuDim(1),
            GpuArg.Dense(scratch, name), GpuArg.I64(n), GpuArg.Dense(count, name),
            GpuArg.I32(p.Reduction == LossReduction.Mean ? 1 : 0), GpuArg.Dense(loss, name));
    }

    /// <inheritdoc/>
    public void CrossEntropyBackward(Tensor logits, Tensor target, Tensor dloss, Tensor dlogits, CrossEntropyParams p)
    {
        const string name = "CrossEntropyBackward";
        int n = logits.Shape[0], c = logits.Shape[1];
        if (n == 0 || c == 0) return;
        using var count = CountTargets(name, target, n, c, p.IgnoreIndex);
        bool coop = Cooperative(n, c);
        var g = p.Reduction == LossReduction.None ? Flat(dloss, dloss.Shape, name) : GpuArg.Viewed(dloss, name);
        if (target.DType == DType.Int64)
            LaunchRowsOf("ce_bwdindex", n, coop,
                GpuArg.Viewed(logits, name), GpuArg.Viewed(target, name), g, GpuArg.Dense(count, name), GpuArg.Dense(dlogits, name),
                GpuArg.I64(n), GpuArg.I64(c), GpuArg.I64(p.IgnoreIndex), GpuArg.F32(p.LabelSmoothing),
                GpuArg.I32((int)p.Reduction));
        else
            LaunchRowsOf("ce_bwdprob", n, coop,
                GpuArg.Viewed(logits, name), GpuArg.Viewed(target, name), g, GpuArg.Dense(count, name), GpuArg.Dense(dlogits, name),
                GpuArg.I64(n), GpuArg.I64(c), GpuArg.F32(p.LabelSmoothing), GpuArg.I32((int)p.Reduction));
    }

    /// <summary>The number of samples that count for Mean, on the device (Int64 [2] for class indices: count, then the
    /// number out of range; Int64 [1] = N for probabilities). Throws, naming the first offender as the CPU does, when a
    /// class index lies outside [0, C).</summary>
    private Tensor CountTargets(string op, Tensor target, int n, int c, long ignore)
    {
        if (target.DType != DType.Int64)
        {
            var all = Scratch(DType.Int64, 1);
            Fill(all, n);
            return all;
        }
        var stats = Scratch(DType.Int64, 2);
        try
        {
            Launch(ReductionFamily, "ce_check_i64", new GpuDim(1),
                GpuArg.Viewed(target, op), GpuArg.Dense(stats, op), GpuArg.I64(n), GpuArg.I64(c), GpuArg.I64(ignore));
            if (DeferChecks)
            {
                DeferIndexCheck($"CrossEntropy (class targets of logits [{n}, {c}], valid [0, {c}), ignore {ignore})", target, 0, c, ignore);
                return stats;
            }
            if (Read<long>(stats)[1] == 0) return stats;
            var t = Read<long>(target);
            for (int i = 0; i < t.Length; i++)
                if (t[i] != ignore && (t[i] < 0 || t[i] >= c))
                    throw new TesseraArgumentException("CrossEntropy", "target", $"class index {t[i]} of sample {i} is outside [0, {c}) (logits [{n}, {c}])");
            throw new TesseraBackendException(op, "the device counted an out-of-range class index that the host copy does not show");
        }
        catch
        {
            stats.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void MseLoss(Tensor a, Tensor b, Tensor loss, LossReduction reduction)
    {
        const string name = "MseLoss";
        long n = a.ElementCount;
        if (reduction == LossReduction.None)
        {
            LaunchElements(ReductionFamily, "mse_fwd_f32", n, Flat(a, a.Shape, name), Flat(b, a.Shape, name), GpuArg.Dense(loss, name), GpuArg.I64(n));
            return;
        }
        if (n == 0)
        {
            Fill(loss, reduction == LossReduction.Sum ? 0 : double.NaN);
            return;
        }
        using var sq = Scratch(DType.Float32, checked((int)n));
        LaunchElements(ReductionFamily, "mse_fwd_f32", n, Flat(a, a.Shape, name), Flat(b, a.Shape, name), GpuArg.Dense(sq, name), GpuArg.I64(n));
        ReduceRows(reduction == LossReduction.Mean ? ReduceOp.Mean : ReduceOp.Sum, GpuArg.Viewed(sq, name), 0, loss, 1, n);
    }

    /// <inheritdoc/>
    public void MseLossBackward(Tensor a, Tensor b, Tensor dloss, Tensor da, LossReduction reduction)
    {
        const string name = "MseLossBackward";
        long n = a.ElementCount;
        var g = reduction == LossReduction.None ? Flat(dloss, a.Shape, name) : GpuArg.Viewed(dloss, name);
        LaunchElements(ReductionFamily, "mse_bwd_f32", n,
            Flat(a, a.Shape, name), Flat(b, a.Shape, name), g, GpuArg.Dense(da, name), GpuArg.I64(n),
            GpuArg.I32((int)reduction), GpuArg.F32(reduction == LossReduction.Mean ? 1f / n : 1f));
    }

    /// <summary>Whether a block takes each row (long rows, or moderately long ones when there are few rows) rather than
    /// a thread.</summary>
    private static bool Cooperative(long rows, long len) => len >= 128 || (len > 16 && rows < 4096);

    /// <summary>Launches the row kernel pair <paramref name="op"/> (reduction.h ROW_KERNELS): {op}rows_f32 with a block
    /// per row when <paramref name="coop"/>, else {op}_f32 with a thread per row.</summary>
    private void LaunchRowsOf(string op, long rows, bool coop, params ReadOnlySpan<GpuArg> args)
    {
        if (coop) LaunchRowBlocks(op + "rows_f32", rows, args);
        else LaunchElements(ReductionFamily, op + "_f32", rows, args);
    }

    private void LaunchRowBlocks(string kernel, long rows, params ReadOnlySpan<GpuArg> args)
    {
        if (rows <= 0) return;
        Launch(ReductionFamily, kernel, new GpuDim(Math.Min(rows, MaxRowBlocks)), args);
    }

    /// <summary>Flags of the reduced axes (normalised; none given = all).</summary>
    private static bool[] ReducedAxes(int rank, int[] axes)
    {
        var m = new bool[rank];
        if (axes.Length == 0) Array.Fill(m, true);
        foreach (var a in axes) m[a] = true;
        return m;
    }

    private static bool[] AxisOnly(int rank, int axis)
    {
        var m = new bool[rank];
        m[axis] = true;
        return m;
    }

    /// <summary>Product of the sizes of the reduced (<paramref name="reduced"/> true) or kept axes.</summary>
    private static long AxesProduct(Shape shape, bool[] mask, bool reduced)
    {
        long n = 1;
        for (int d = 0; d < shape.Rank; d++) if (mask[d] == reduced) n *= shape[d];
        return n;
    }

    /// <summary>Views of tensors of one <paramref name="shape"/> for the row kernels: the axes not flagged in
    /// <paramref name="reduced"/> first (in order), then the flagged ones, size-1 axes dropped and an axis merged into
    /// the one before it (same kind) where every tensor's strides allow. Row o of the result is the row-major run
    /// [o·inner, (o+1)·inner) of each view; <c>Kept</c> is how many leading dimensions locate the row.</summary>
    private static unsafe (GpuArg[] Views, int Kept) RowViews(string op, Shape shape, bool[] reduced, params Tensor[] ts)
    {
        var sizes = new List<long>();
        var kinds = new List<bool>();
        var strides = new List<long[]>();
        foreach (bool kind in new[] { false, true })
            for (int d = 0; d < shape.Rank; d++)
            {
                if (reduced[d] != kind || shape[d] == 1) continue;
                long n = shape[d];
                var st = new long[ts.Length];
                for (int t = 0; t < ts.Length; t++) st[t] = ts[t].Strides[d];
                int last = sizes.Count - 1;
                bool merge = last >= 0 && kinds[last] == kind;
                for (int t = 0; merge && t < ts.Length; t++) merge = strides[last][t] == st[t] * n;
                if (merge)
                {
                    sizes[last] *= n;
                    strides[last] = st;
                    continue;
                }
                sizes.Add(n);
                kinds.Add(kind);
                strides.Add(st);
            }
        if (sizes.Count > Strided.MaxRank)
            throw Unsupported(op, $"{sizes.Count} dimensions after merging (shape {shape}) exceed the kernels' limit of {Strided.MaxRank}");
        int kept = kinds.Count(k => !k);
        var views = new GpuArg[ts.Length];
        for (int t = 0; t < ts.Length; t++)
        {
            var v = new Strided { Offset = ts[t].Offset, Rank = Math.Max(1, sizes.Count) };
            v.Shape[0] = 1;
            for (int d = 0; d < sizes.Count; d++)
            {
                v.Shape[d] = sizes[d];
                v.Stride[d] = strides[d][t];
            }
            views[t] = new GpuArg { Kind = GpuArgKind.View, Buffer = ts[t].Storage.Buffer.Handle, View = v };
        }
        return (views, sizes.Count == 0 ? 1 : kept);
    }
}
