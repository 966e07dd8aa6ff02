using Tessera.Kernels;

namespace Tessera;

public static partial class Ops
{
    /// <summary>Reduces <paramref name="x"/> over <paramref name="axes"/> (null or empty: every axis; negative axes count
    /// from the end). Max/Min over an empty set of elements are refused.</summary>
    public static Tensor Reduce(ReduceOp op, Tensor x, int[]? axes = null, bool keepDims = false)
    {
        string name = op.ToString();
        Check.Alive(name, nameof(x), x);
        var (p, shape) = ShapeRules.Reduce(name, op, x.Spec, axes ?? Array.Empty<int>(), keepDims);
        var y = Tensor.Empty(x.Device, DType.Float32, shape);
        x.Device.Kernels.Reduce(op, x, y, p);
        return y;
    }

    /// <summary>Sum over axes.</summary>
    public static Tensor Sum(Tensor x, int[]? axes = null, bool keepDims = false) => Reduce(ReduceOp.Sum, x, axes, keepDims);
    /// <summary>Mean over axes.</summary>
    public static Tensor Mean(Tensor x, int[]? axes = null, bool keepDims = false) => Reduce(ReduceOp.Mean, x, axes, keepDims);
    /// <summary>Maximum over axes.</summary>
    public static Tensor Max(Tensor x, int[]? axes = null, bool keepDims = false) => Reduce(ReduceOp.Max, x, axes, keepDims);
    /// <summary>Minimum over axes.</summary>
    public static Tensor Min(Tensor x, int[]? axes = null, bool keepDims = false) => Reduce(ReduceOp.Min, x, axes, keepDims);

    /// <summary>dx for y = reduce(x): dy broadcast back (divided by the count for Mean); for Max/Min the gradient goes to
    /// the first extreme element. <paramref name="y"/> (the forward output) is recomputed when null and needed.</summary>
    public static Tensor ReduceBackward(ReduceOp op, Tensor x, Tensor? y, Tensor dy, int[]? axes = null, bool keepDims = false)
    {
        string name = op + "Backward";
        var device = Check.SameDevice(name, [(nameof(x), x), (nameof(dy), dy)], (nameof(y), y));
        var (p, _) = ShapeRules.ReduceBackward(name, op, x.Spec, y?.Spec, dy.Spec, axes ?? Array.Empty<int>(), keepDims);
        bool needY = op is ReduceOp.Max or ReduceOp.Min;
        Tensor? computed = needY && y is null ? Reduce(op, x, axes, keepDims) : null;
        try
        {
            var dx = Tensor.Empty(device, DType.Float32, x.Shape);
            device.Kernels.ReduceBackward(op, x, y ?? computed ?? dy, dy, dx, p);
            return dx;
        }
        finally { computed?.Dispose(); }
    }

    /// <summary>Int64 indices of the maximum along <paramref name="axis"/> (first occurrence, or last with
    /// <paramref name="selectLastIndex"/>; NaN counts as the maximum).</summary>
    public static Tensor ArgMax(Tensor x, int axis = -1, bool keepDims = false, bool selectLastIndex = false)
    {
        const string name = nameof(ArgMax);
        Check.Alive(name, nameof(x), x);
        var (p, shape) = ShapeRules.ArgMax(name, x.Spec, axis, keepDims, selectLastIndex);
        var y = Tensor.Empty(x.Device, DType.Int64, shape);
        x.Device.Kernels.ArgMax(x, y, p);
        return y;
    }

    /// <summary>Softmax along <paramref name="axis"/> (numerically stable).</summary>
    public static Tensor Softmax(Tensor x, int axis = -1) => SoftmaxCore(nameof(Softmax), x, axis, false);

    /// <summary>Log-softmax along <paramref name="axis"/> (numerically stable).</summary>
    public static Tensor LogSoftmax(Tensor x, int axis = -1) => SoftmaxCore(nameof(LogSoftmax), x, axis, true);

    private static Tensor SoftmaxCore(string name, Tensor x, int axis, bool log)
    {
        Check.Alive(name, nameof(x), x);
        var p = ShapeRules.Softmax(name, x.Spec, axis, log);
        var y = Tensor.Empty(x.Device, DType.Float32, x.Shape);
        x.Device.Kernels.Softmax(x, y, p);
        return y;
    }

    /// <summary>dx from the forward output y and dy, for softmax or (with <paramref name="log"/>) log-softmax.</summary>
    public static Tensor SoftmaxBackward(Tensor y, Tensor dy, int axis = -1, bool log = false)
    {
        string name = log ? "LogSoftmaxBackward" : "SoftmaxBackward";
        var device = Check.SameDevice(name, (nameof(y), y), (nameof(dy), dy));
        var p = ShapeRules.SoftmaxBackward(name, y.Spec, dy.Spec, axis, log);
        var dx = Tensor.Empty(device, DType.Float32, y.Shape);
        device.Kernels.SoftmaxBackward(y, dy, dx, p);
        return dx;
    }

    /// <summary>Cross-entropy of logits [N, C] against Int64 class indices [N] or Float32 probabilities [N, C]
    /// (defaults: Mean, IgnoreIndex −100, no label smoothing). Loss is [] or, for Reduction None, [N].</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, CrossEntropyParams? p = null)
    {
        const string name = nameof(CrossEntropy);
        var prm = p ?? DefaultCrossEntropy;
        var device = Check.SameDevice(name, (nameof(logits), logits), (nameof(target), target));
        var shape = ShapeRules.CrossEntropy(name, logits.Spec, target.Spec, prm);
        var loss = Tensor.Empty(device, DType.Float32, shape);
        device.Kernels.CrossEntropy(logits, target, loss, prm);
        return loss;
    }

    /// <summary>dlogits of <see cref="CrossEntropy"/> given dloss ([] or [N], matching the reduction).</summary>
    public static Tensor CrossEntropyBackward(Tensor logits, Tensor target, Tensor dloss, CrossEntropyParams? p = null)
    {
        const string name = nameof(CrossEntropyBackward);
        var prm = p ?? DefaultCrossEntropy;
        var device = Check.SameDevice(name, (nameof(logits), logits), (nameof(target), target), (nameof(dloss), dloss));
        ShapeRules.CrossEntropyBackward(name, logits.Spec, target.Spec, dloss.Spec, prm);
        var dx = Tensor.Empty(device, DType.Float32, logits.Shape);
        device.Kernels.CrossEntropyBackward(logits, target, dloss, dx, prm);
        return dx;
    }

    /// <summary>Mean squared error (a − b)², reduced per <paramref name="reduction"/>.</summary>
    public static Tensor MseLoss(Tensor a, Tensor b, LossReduction reduction = LossReduction.Mean)
    {
        const string name = nameof(MseLoss);
        var device = Check.SameDevice(name, (nameof(a), a), (nameof(b), b));
        var loss = Tensor.Empty(device, DType.Float32, ShapeRules.MseLoss(name, a.Spec, b.Spec, reduction));
        device.Kernels.MseLoss(a, b, loss, reduction);
        return loss;
    }

    /// <summary>da of <see cref="MseLoss"/> given dloss (the gradient for b is −da).</summary>
    public static Tensor MseLossBackward(Tensor a, Tensor b, Tensor dloss, LossReduction reduction = LossReduction.Mean)
    {
        const string name = nameof(MseLossBackward);
        var device = Check.SameDevice(name, (nameof(a), a), (nameof(b), b), (nameof(dloss), dloss));
        ShapeRules.MseLossBackward(name, a.Spec, b.Spec, dloss.Spec, reduction);
        var da = Tensor.Empty(device, DType.Float32, a.Shape);
        device.Kernels.MseLossBackward(a, b, dloss, da, reduction);
        return da;
    }

    /// <summary>Mean over the spatial axes of NCHW: [N, C, H, W] → [N, C, 1, 1].</summary>
    public static Tensor GlobalAvgPool2d(Tensor x)
    {
        Check.Alive(nameof(GlobalAvgPool2d), nameof(x), x);
        return Reduce(ReduceOp.Mean, x, ShapeRules.GlobalPool2d(nameof(GlobalAvgPool2d), x.Spec), keepDims: true);
    }

    /// <summary>Maximum over the spatial axes of NCHW: [N, C, H, W] → [N, C, 1, 1] (H·W ≥ 1).</summary>
    public static Tensor GlobalMaxPool2d(Tensor x)
    {
        Check.Alive(nameof(GlobalMaxPool2d), nameof(x), x);
        return Reduce(ReduceOp.Max, x, ShapeRules.GlobalPool2d(nameof(GlobalMaxPool2d), x.Spec), keepDims: true);
    }

    /// <summary>dx of <see cref="GlobalAvgPool2d"/> from dy [N, C, 1, 1].</summary>
    public static Tensor GlobalAvgPool2dBackward(Tensor x, Tensor dy)
    {
        Check.Alive(nameof(GlobalAvgPool2dBackward), nameof(x), x);
        return ReduceBackward(ReduceOp.Mean, x, null, dy, ShapeRules.GlobalPool2d(nameof(GlobalAvgPool2dBackward), x.Spec), keepDims: true);
    }

    /// <summary>dx of <see cref="GlobalMaxPool2d"/> from its output y (null: recomputed) and dy [N, C, 1, 1].</summary>
    public static Tensor GlobalMaxPool2dBackward(Tensor x, Tensor? y, Tensor dy)
    {
        Check.Alive(nameof(GlobalMaxPool2dBackward), nameof(x), x);
        return ReduceBackward(ReduceOp.Max, x, y, dy, ShapeRules.GlobalPool2d(nameof(GlobalMaxPool2dBackward), x.Spec), keepDims: true);
    }

    // Note: `new CrossEntropyParams()` would be default(struct) (Reduction None, IgnoreIndex 0), not the declared defaults.
    private static readonly CrossEntropyParams DefaultCrossEntropy = new(LossReduction.Mean);
}
