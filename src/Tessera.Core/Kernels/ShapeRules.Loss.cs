namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>Cross-entropy of Float32 logits [N, C] (C ≥ 1) against Int64 class indices [N] or Float32 probabilities
    /// [N, C]; label smoothing in [0, 1]. Returns the loss shape ([] for Mean/Sum, [N] for None).</summary>
    public static Shape CrossEntropy(string op, TensorSpec logits, TensorSpec target, CrossEntropyParams p)
    {
        Check.Float32(op, "logits", logits);
        var l = logits.Shape;
        if (l.Rank != 2) throw new TesseraShapeException(op, "logits", $"expected [N, C], got {l}");
        if (l[1] < 1) throw new TesseraShapeException(op, "logits", $"needs at least one class, got {l}");
        if (target.DType == DType.Int64)
        {
            if (target.Shape.Rank != 1 || target.Shape[0] != l[0])
                throw new TesseraShapeException(op, "target", $"class indices must be [N] = [{l[0]}] for logits {l}, got {target.Shape}");
        }
        else if (target.DType == DType.Float32)
        {
            if (target.Shape != l)
                throw new TesseraShapeException(op, "target", $"probabilities must have the logits' shape {l}, got {target.Shape}");
        }
        else throw new TesseraDTypeException(op, "target", $"expected Int64 class indices or Float32 probabilities, got {target.DType} (shape {target.Shape})");
        if (!(p.LabelSmoothing >= 0f && p.LabelSmoothing <= 1f))
            throw new TesseraArgumentException(op, "LabelSmoothing", $"must be in [0, 1], got {p.LabelSmoothing}");
        if (!Enum.IsDefined(p.Reduction)) throw new TesseraArgumentException(op, "Reduction", $"unknown reduction {p.Reduction}");
        return p.Reduction == LossReduction.None ? new Shape(l[0]) : Shape.Scalar;
    }

    /// <summary>dlogits of cross-entropy: the forward rule holds and dloss is Float32 of the loss shape (returned).</summary>
    public static Shape CrossEntropyBackward(string op, TensorSpec logits, TensorSpec target, TensorSpec dloss, CrossEntropyParams p)
    {
        var loss = CrossEntropy(op, logits, target, p);
        Check.Float32(op, "dloss", dloss);
        Check.Shape(op, "dloss", dloss, loss);
        return loss;
    }

    /// <summary>Mean squared error of Float32 a and b of one shape. Returns the loss shape (a's for None, [] otherwise).</summary>
    public static Shape MseLoss(string op, TensorSpec a, TensorSpec b, LossReduction reduction)
    {
        Check.Float32(op, "a", a);
        Check.Float32(op, "b", b);
        if (a.Shape != b.Shape) throw new TesseraShapeException(op, "b", $"must have the shape of a {a.Shape}, got {b.Shape}");
        if (!Enum.IsDefined(reduction)) throw new TesseraArgumentException(op, "reduction", $"unknown reduction {reduction}");
        return reduction == LossReduction.None ? a.Shape : Shape.Scalar;
    }

    /// <summary>da of MSE: the forward rule holds and dloss is Float32 of the loss shape (returned).</summary>
    public static Shape MseLossBackward(string op, TensorSpec a, TensorSpec b, TensorSpec dloss, LossReduction reduction)
    {
        var loss = MseLoss(op, a, b, reduction);
        Check.Float32(op, "dloss", dloss);
        Check.Shape(op, "dloss", dloss, loss);
        return loss;
    }
}
