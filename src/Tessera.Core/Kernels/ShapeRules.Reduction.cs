namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>Normalised reduction parameters: axes in [0, rank), sorted, distinct (empty or null = every axis).</summary>
    public static ReduceParams Reduction(string op, Shape x, ReadOnlySpan<int> axes, bool keepDims) =>
        new(Check.Axes(op, axes, x.Rank), keepDims);

    /// <summary>Output shape of a reduction: reduced axes become 1 (keepDims) or disappear.</summary>
    public static Shape ReduceShape(Shape x, ReduceParams p)
    {
        var dims = new List<int>();
        for (int i = 0; i < x.Rank; i++)
        {
            bool reduced = p.Axes.Length == 0 || Array.IndexOf(p.Axes, i) >= 0;
            if (!reduced) dims.Add(x[i]);
            else if (p.KeepDims) dims.Add(1);
        }
        return new Shape(dims.ToArray());
    }

    /// <summary>Number of elements folded into each output of a reduction.</summary>
    public static long ReducedCount(Shape x, ReduceParams p)
    {
        long n = 1;
        for (int i = 0; i < x.Rank; i++)
            if (p.Axes.Length == 0 || Array.IndexOf(p.Axes, i) >= 0) n *= x[i];
        return n;
    }

    /// <summary>Output shape of an arg-reduction along a normalised axis.</summary>
    public static Shape ArgReduceShape(Shape x, ArgReduceParams p) => ReduceShape(x, new ReduceParams(new[] { p.Axis }, p.KeepDims));

    /// <summary>Validates cross-entropy operands and returns the loss shape ([] for Mean/Sum, [N] for None).
    /// Logits are [N, C] with C ≥ 1; targets are Int64 [N] (indices) or Float32 [N, C] (probabilities).</summary>
    public static Shape CrossEntropyShape(string op, Shape logits, Shape target, DType targetDType, CrossEntropyParams p)
    {
        if (logits.Rank != 2) throw new TesseraShapeException(op, "logits", $"expected [N, C], got {logits}");
        if (logits[1] < 1) throw new TesseraShapeException(op, "logits", $"needs at least one class, got {logits}");
        if (targetDType == DType.Int64)
        {
            if (target.Rank != 1 || target[0] != logits[0])
                throw new TesseraShapeException(op, "target", $"class indices must be [N] = [{logits[0]}] for logits {logits}, got {target}");
        }
        else if (targetDType == DType.Float32)
        {
            if (target != logits)
                throw new TesseraShapeException(op, "target", $"probabilities must have the logits' shape {logits}, got {target}");
        }
        else throw new TesseraDTypeException(op, "target", $"expected Int64 class indices or Float32 probabilities, got {targetDType} (shape {target})");
        if (!(p.LabelSmoothing >= 0f && p.LabelSmoothing <= 1f))
            throw new TesseraArgumentException(op, "LabelSmoothing", $"must be in [0, 1], got {p.LabelSmoothing}");
        if (!Enum.IsDefined(p.Reduction)) throw new TesseraArgumentException(op, "Reduction", $"unknown reduction {p.Reduction}");
        return p.Reduction == LossReduction.None ? new Shape(logits[0]) : Shape.Scalar;
    }

    /// <summary>Loss shape of MSE: a's shape for None, [] otherwise.</summary>
    public static Shape MseLossShape(string op, Shape a, Shape b, LossReduction reduction)
    {
        if (a != b) throw new TesseraShapeException(op, "b", $"must have the shape of a {a}, got {b}");
        if (!Enum.IsDefined(reduction)) throw new TesseraArgumentException(op, "reduction", $"unknown reduction {reduction}");
        return reduction == LossReduction.None ? a : Shape.Scalar;
    }
}
