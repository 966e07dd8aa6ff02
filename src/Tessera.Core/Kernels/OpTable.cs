using static Tessera.Kernels.OpGradient;

namespace Tessera.Kernels;

/// <summary>The op table: one <see cref="OpInfo"/> per <see cref="OpKind"/>. Backends answer
/// <see cref="Devices.IDevice.Supports"/> from it; the coverage tests enumerate it. The type initializer checks that
/// every kind has exactly one entry, so a kind added to the enum without one fails at first use.</summary>
public static class OpTable
{
    private static readonly DType[] F32 = { DType.Float32 };
    private static readonly DType[] Every = Enum.GetValues<DType>();
    private static readonly DType[] Comparable = Every.Where(d => Enum.GetValues<CompareOp>().Any(op => ShapeRules.CompareSupports(op, d))).ToArray();
    private static readonly DType[] Selectable = Every.Where(ShapeRules.WhereSupports).ToArray();
    private static readonly DType[] Bool = { DType.Bool };

    private const string OptimizerStep = "an optimizer step updates parameters and state in place after the backward pass";

    private static readonly OpInfo[] Entries =
    {
        new(OpKind.Copy, OpFamily.Core, Every, By(OpKind.Copy)),
        new(OpKind.Fill, OpFamily.Core, Every, None("its output is a constant")),
        new(OpKind.Cast, OpFamily.Core, Every, None("it changes the element type (a Float32 → Float32 cast is a copy)")),

        new(OpKind.Unary, OpFamily.Elementwise, F32, By(OpKind.UnaryBackward)),
        new(OpKind.UnaryBackward, OpFamily.Elementwise, F32, GradientOf(nameof(OpKind.Unary))),
        new(OpKind.Binary, OpFamily.Elementwise, F32, By(OpKind.BinaryBackward)),
        new(OpKind.BinaryBackward, OpFamily.Elementwise, F32, GradientOf(nameof(OpKind.Binary))),
        new(OpKind.Compare, OpFamily.Elementwise, Comparable, None("its output is Bool (piecewise constant)")),
        new(OpKind.Where, OpFamily.Elementwise, Selectable, By(OpKind.Where, OpKind.Fill)),
        new(OpKind.LogicalNot, OpFamily.Elementwise, Bool, None("it maps Bool to Bool")),

        new(OpKind.Reduce, OpFamily.Reduction, F32, By(OpKind.ReduceBackward)),
        new(OpKind.ReduceBackward, OpFamily.Reduction, F32, GradientOf(nameof(OpKind.Reduce))),
        new(OpKind.ArgMax, OpFamily.Reduction, F32, None("its output is integer indices (piecewise constant)")),
        new(OpKind.Softmax, OpFamily.Reduction, F32, By(OpKind.SoftmaxBackward)),
        new(OpKind.SoftmaxBackward, OpFamily.Reduction, F32, GradientOf(nameof(OpKind.Softmax))),
        new(OpKind.CrossEntropy, OpFamily.Reduction, F32, By(OpKind.CrossEntropyBackward)),
        new(OpKind.CrossEntropyBackward, OpFamily.Reduction, F32, GradientOf(nameof(OpKind.CrossEntropy))),
        new(OpKind.MseLoss, OpFamily.Reduction, F32, By(OpKind.MseLossBackward, OpKind.Unary)),
        new(OpKind.MseLossBackward, OpFamily.Reduction, F32, GradientOf(nameof(OpKind.MseLoss))),

        new(OpKind.Gemm, OpFamily.Linalg, F32, By(OpKind.Gemm)),

        new(OpKind.Conv2d, OpFamily.Conv, F32, By(OpKind.Conv2dBackwardData, OpKind.Conv2dBackwardWeight, OpKind.Conv2dBackwardBias)),
        new(OpKind.Conv2dBackwardData, OpFamily.Conv, F32, GradientOf(nameof(OpKind.Conv2d))),
        new(OpKind.Conv2dBackwardWeight, OpFamily.Conv, F32, GradientOf(nameof(OpKind.Conv2d))),
        new(OpKind.Conv2dBackwardBias, OpFamily.Conv, F32, GradientOf(nameof(OpKind.Conv2d))),
        new(OpKind.MaxPool2d, OpFamily.Conv, F32, By(OpKind.MaxPool2dBackward)),
        new(OpKind.MaxPool2dBackward, OpFamily.Conv, F32, GradientOf(nameof(OpKind.MaxPool2d))),
        new(OpKind.AvgPool2d, OpFamily.Conv, F32, By(OpKind.AvgPool2dBackward)),
        new(OpKind.AvgPool2dBackward, OpFamily.Conv, F32, GradientOf(nameof(OpKind.AvgPool2d))),

        new(OpKind.BatchNormTraining, OpFamily.Norm, F32, By(OpKind.BatchNormBackward)),
        new(OpKind.BatchNormInference, OpFamily.Norm, F32, None("graphs differentiate batch norm in training mode (BatchNormBackward); inference mode has no backward kernel")),
        new(OpKind.BatchNormBackward, OpFamily.Norm, F32, GradientOf(nameof(OpKind.BatchNormTraining))),
        new(OpKind.LayerNorm, OpFamily.Norm, F32, By(OpKind.LayerNormBackward)),
        new(OpKind.LayerNormBackward, OpFamily.Norm, F32, GradientOf(nameof(OpKind.LayerNorm))),
        new(OpKind.Dropout, OpFamily.Norm, F32, By(OpKind.DropoutBackward)),
        new(OpKind.DropoutBackward, OpFamily.Norm, F32, GradientOf(nameof(OpKind.Dropout))),

        new(OpKind.Attention, OpFamily.Attention, F32, By(OpKind.AttentionBackward)),
        new(OpKind.AttentionBackward, OpFamily.Attention, F32, GradientOf(nameof(OpKind.Attention))),

        new(OpKind.SgdStep, OpFamily.Optimizer, F32, None(OptimizerStep)),
        new(OpKind.MomentumStep, OpFamily.Optimizer, F32, None(OptimizerStep)),
        new(OpKind.AdamStep, OpFamily.Optimizer, F32, None(OptimizerStep)),

        new(OpKind.Concat, OpFamily.Shape, Every, By(OpKind.Copy)),
        new(OpKind.Gather, OpFamily.Shape, Every, By(OpKind.GatherBackward)),
        new(OpKind.GatherBackward, OpFamily.Shape, F32, GradientOf(nameof(OpKind.Gather))),
        new(OpKind.Pad, OpFamily.Shape, Every, By(OpKind.PadBackward)),
        new(OpKind.PadBackward, OpFamily.Shape, F32, GradientOf(nameof(OpKind.Pad))),
        new(OpKind.ExpandBackward, OpFamily.Shape, F32, GradientOf("Expand")),
    };

    private static readonly OpInfo[] ByKind = Index(Entries);

    private static OpInfo[] Index(OpInfo[] entries)
    {
        var kinds = Enum.GetValues<OpKind>();
        var byKind = new OpInfo?[kinds.Max(k => (int)k) + 1];
        foreach (var e in entries)
        {
            if (!Enum.IsDefined(e.Kind) || byKind[(int)e.Kind] is not null)
                throw new TesseraException("OpTable", $"OpKind.{e.Kind} has more than one entry");
            byKind[(int)e.Kind] = e;
        }
        var missing = kinds.Where(k => byKind[(int)k] is null).ToArray();
        if (missing.Length > 0)
            throw new TesseraException("OpTable", $"no entry for {string.Join(", ", missing.Select(k => $"OpKind.{k}"))}");
        return byKind!;
    }

    /// <summary>Every entry, in <see cref="OpKind"/> order.</summary>
    public static IReadOnlyList<OpInfo> All => ByKind;

    /// <summary>The entry of <paramref name="op"/>.</summary>
    public static OpInfo Get(OpKind op) =>
        (uint)op < (uint)ByKind.Length ? ByKind[(int)op] : throw new TesseraArgumentException("OpTable", nameof(op), $"unknown op kind {(int)op}");

    /// <summary>True when <paramref name="op"/> runs for <paramref name="dtype"/> (what every backend supports); false for
    /// a value that is no <see cref="OpKind"/>.</summary>
    public static bool Supports(OpKind op, DType dtype) => (uint)op < (uint)ByKind.Length && ByKind[(int)op].Runs(dtype);
}
