using Tessera.Kernels;

namespace Tessera.Reference;

/// <summary>Reference reductions, softmax and losses in double, written for obviousness: every output element is
/// computed by visiting the input elements that belong to it.</summary>
public static class RefReduction
{
    private static bool[] Mask(int rank, int[] axes)
    {
        var m = new bool[rank];
        for (int i = 0; i < rank; i++) m[i] = axes.Length == 0 || Array.IndexOf(axes, i) >= 0;
        return m;
    }

    private static int[] OutShape(int[] shape, bool[] mask, bool keepDims)
    {
        var d = new List<int>();
        for (int i = 0; i < shape.Length; i++)
            if (!mask[i]) d.Add(shape[i]);
            else if (keepDims) d.Add(1);
        return d.ToArray();
    }

    /// <summary>Flat output index of input multi-index idx (reduced axes dropped; keepDims does not change it).</summary>
    private static long OutIndex(int[] shape, bool[] mask, int[] idx)
    {
        long flat = 0;
        for (int i = 0; i < shape.Length; i++)
            if (!mask[i]) flat = flat * shape[i] + idx[i];
        return flat;
    }

    /// <summary>Sum, mean, max or min over the axes in p (normalised; empty = all). Empty sets give 0 (sum), NaN (mean),
    /// NaN (max/min).</summary>
    public static RefTensor Reduce(ReduceOp op, RefTensor x, ReduceParams p)
    {
        var mask = Mask(x.Rank, p.Axes);
        var y = new RefTensor(OutShape(x.Shape, mask, p.KeepDims));
        var count = new long[y.Length];
        var init = op switch { ReduceOp.Max => double.NegativeInfinity, ReduceOp.Min => double.PositiveInfinity, _ => 0.0 };
        Array.Fill(y.Data, init);
        for (long i = 0; i < x.Length; i++)
        {
            long o = OutIndex(x.Shape, mask, x.Unravel(i));
            double v = x.Data[i];
            count[o]++;
            y.Data[o] = op switch
            {
                ReduceOp.Max => Math.Max(y.Data[o], v),
                ReduceOp.Min => Math.Min(y.Data[o], v),
                _ => y.Data[o] + v,
            };
        }
        for (int o = 0; o < y.Length; o++)
        {
            if (op == ReduceOp.Mean) y.Data[o] /= count[o];
            else if (op is ReduceOp.Max or ReduceOp.Min && count[o] == 0) y.Data[o] = double.NaN;
        }
        return y;
    }

    /// <summary>dx: dy broadcast back (÷ count for Mean); for Max/Min to the first element (row-major) equal to the extreme.</summary>
    public static RefTensor ReduceBackward(ReduceOp op, RefTensor x, RefTensor dy, ReduceParams p)
    {
        var mask = Mask(x.Rank, p.Axes);
        var dx = new RefTensor(x.Shape);
        var y = Reduce(op, x, p);
        long count = 1;
        for (int i = 0; i < x.Rank; i++) if (mask[i]) count *= x.Shape[i];
        var taken = new bool[y.Length];
        for (long i = 0; i < x.Length; i++)
        {
            long o = OutIndex(x.Shape, mask, x.Unravel(i));
            switch (op)
            {
                case ReduceOp.Sum: dx.Data[i] = dy.Data[o]; break;
                case ReduceOp.Mean: dx.Data[i] = dy.Data[o] / count; break;
                default:
                    if (!taken[o] && x.Data[i] == y.Data[o]) { dx.Data[i] = dy.Data[o]; taken[o] = true; }
                    break;
            }
        }
        return dx;
    }

    /// <summary>Index of the maximum along an axis (first, or last with SelectLastIndex), as doubles.</summary>
    public static RefTensor ArgMax(RefTensor x, ArgReduceParams p)
    {
        var mask = new bool[x.Rank];
        mask[p.Axis] = true;
        var y = new RefTensor(OutShape(x.Shape, mask, p.KeepDims));
        var best = new double[y.Length];
        Array.Fill(best, double.NegativeInfinity);
        Array.Fill(y.Data, -1);
        for (long i = 0; i < x.Length; i++)
        {
            var idx = x.Unravel(i);
            long o = OutIndex(x.Shape, mask, idx);
            double v = x.Data[i];
            bool better = y.Data[o] < 0 || (p.SelectLastIndex ? v >= best[o] : v > best[o]);
            if (better) { best[o] = v; y.Data[o] = idx[p.Axis]; }
        }
        return y;
    }

    /// <summary>Softmax (or log-softmax) along p.Axis, computed as exp(x − max)/Σ.</summary>
    public static RefTensor Softmax(RefTensor x, SoftmaxParams p)
    {
        var y = new RefTensor(x.Shape);
        foreach (var line in Lines(x.Shape, p.Axis))
        {
            double m = double.NegativeInfinity;
            foreach (var i in line) m = Math.Max(m, x.Data[i]);
            double s = 0;
            foreach (var i in line) s += Math.Exp(x.Data[i] - m);
            foreach (var i in line) y.Data[i] = p.Log ? x.Data[i] - m - Math.Log(s) : Math.Exp(x.Data[i] - m) / s;
        }
        return y;
    }

    /// <summary>dx from x and dy (the reference recomputes y): softmax dx = y·(dy − Σ dy·y); log dx = dy − softmax·Σ dy.</summary>
    public static RefTensor SoftmaxBackward(RefTensor x, RefTensor dy, SoftmaxParams p)
    {
        var y = Softmax(x, p with { Log = false });
        var dx = new RefTensor(x.Shape);
        foreach (var line in Lines(x.Shape, p.Axis))
        {
            double s = 0;
            foreach (var i in line) s += p.Log ? dy.Data[i] : dy.Data[i] * y.Data[i];
            foreach (var i in line) dx.Data[i] = p.Log ? dy.Data[i] - y.Data[i] * s : y.Data[i] * (dy.Data[i] - s);
        }
        return dx;
    }

    /// <summary>Flat indices of every line along <paramref name="axis"/>.</summary>
    public static IEnumerable<long[]> Lines(int[] shape, int axis)
    {
        long outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        int len = shape[axis];
        for (long o = 0; o < outer; o++)
            for (long j = 0; j < inner; j++)
            {
                var line = new long[len];
                for (int l = 0; l < len; l++) line[l] = (o * len + l) * inner + j;
                yield return line;
            }
    }

    /// <summary>Target distribution q of one sample: PyTorch's label smoothing, q = (1 − ε)·onehot(t) + ε/C for indices,
    /// q = (1 − ε)·p + ε/C for probabilities. Null for an ignored sample.</summary>
    private static double[]? TargetRow(RefTensor target, bool indices, int n, int c, CrossEntropyParams p)
    {
        var q = new double[c];
        double eps = p.LabelSmoothing;
        if (indices)
        {
            long t = (long)target.Data[n];
            if (t == p.IgnoreIndex) return null;
            for (int j = 0; j < c; j++) q[j] = eps / c + (j == t ? 1 - eps : 0);
        }
        else
            for (int j = 0; j < c; j++) q[j] = (1 - eps) * target.Data[n * c + j] + eps / c;
        return q;
    }

    /// <summary>Cross-entropy −Σ_c q_c·log_softmax(x)_c per sample, then None/Sum/Mean (Mean over non-ignored samples).
    /// <paramref name="indices"/> says whether target holds class indices [N] or probabilities [N, C].</summary>
    public static RefTensor CrossEntropy(RefTensor logits, RefTensor target, bool indices, CrossEntropyParams p)
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        var logp = Softmax(logits, new SoftmaxParams(1, Log: true));
        var per = new RefTensor(n);
        long count = 0;
        for (int i = 0; i < n; i++)
        {
            var q = TargetRow(target, indices, i, c, p);
            if (q is null) continue;
            count++;
            double l = 0;
            for (int j = 0; j < c; j++) l -= q[j] * logp.Data[i * c + j];
            per.Data[i] = l;
        }
        if (p.Reduction == LossReduction.None) return per;
        double total = per.Data.Sum();
        return RefTensor.Scalar(p.Reduction == LossReduction.Mean ? total / count : total);
    }

    /// <summary>dlogits = g·(softmax·Σq − q) per sample, g = dloss (÷ count for Mean).</summary>
    public static RefTensor CrossEntropyBackward(RefTensor logits, RefTensor target, bool indices, RefTensor dloss, CrossEntropyParams p)
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        var sm = Softmax(logits, new SoftmaxParams(1));
        var dx = new RefTensor(logits.Shape);
        long count = 0;
        for (int i = 0; i < n; i++) if (TargetRow(target, indices, i, c, p) is not null) count++;
        for (int i = 0; i < n; i++)
        {
            var q = TargetRow(target, indices, i, c, p);
            if (q is null) continue;
            double g = p.Reduction == LossReduction.None ? dloss.Data[i] : dloss.Data[0];
            if (p.Reduction == LossReduction.Mean) g /= count;
            double sq = q.Sum();
            for (int j = 0; j < c; j++) dx.Data[i * c + j] = g * (sm.Data[i * c + j] * sq - q[j]);
        }
        return dx;
    }

    /// <summary>(a − b)² per element, then None/Sum/Mean.</summary>
    public static RefTensor MseLoss(RefTensor a, RefTensor b, LossReduction reduction)
    {
        var d = new RefTensor(a.Shape);
        for (int i = 0; i < a.Length; i++) d.Data[i] = (a.Data[i] - b.Data[i]) * (a.Data[i] - b.Data[i]);
        if (reduction == LossReduction.None) return d;
        double total = d.Data.Sum();
        return RefTensor.Scalar(reduction == LossReduction.Mean ? total / a.Length : total);
    }

    /// <summary>da = 2·(a − b)·g (g = dloss per element for None; dloss, ÷ count for Mean, otherwise).</summary>
    public static RefTensor MseLossBackward(RefTensor a, RefTensor b, RefTensor dloss, LossReduction reduction)
    {
        var da = new RefTensor(a.Shape);
        for (int i = 0; i < a.Length; i++)
        {
            double g = reduction == LossReduction.None ? dloss.Data[i] : dloss.Data[0] / (reduction == LossReduction.Mean ? a.Length : 1);
            da.Data[i] = 2 * (a.Data[i] - b.Data[i]) * g;
        }
        return da;
    }
}
