using Tessera.Devices;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Support;

namespace Tessera.Tests.Coverage;

/// <summary>One call of every <see cref="OpKind"/> on tiny valid inputs: of its definition in Tessera.Reference, and of
/// its kernel on a device (called directly, not through the Ops facade). A probe that throws shows a missing switch arm
/// or kernel; a kind without a probe is reported by <see cref="OpCoverageTests"/>.</summary>
internal static class OpProbes
{
    /// <summary>The reference and kernel calls of a kind.</summary>
    public sealed record Probe(Action Reference, Action<IDevice> Kernel);

    private static RefTensor R(params int[] shape) => Rand.Uniform(5, shape, 0.25, 2);

    private static Tensor F(IDevice d, params int[] shape) => R(shape).ToDevice(d);

    private static Tensor Out(IDevice d, DType dtype, params int[] shape) => Tensor.Empty(d, dtype, new Shape(shape));

    private static Tensor Out(IDevice d, params int[] shape) => Out(d, DType.Float32, shape);

    private static Tensor I64(IDevice d, params long[] values) => Tensor.FromArray(d, values, values.Length);

    private static readonly ReduceParams Rows = new(new[] { 1 }, false);
    private static readonly Conv2dParams Conv = new();
    private static readonly Pool2dParams Pool = Pool2dParams.Square(2, 2);
    private static readonly LayerNormParams Ln = new(1);
    private static readonly DropoutParams Drop = new(0.5f, 7);
    private static readonly PadParams Pads = new(new[] { 1, 1, 1, 1 });
    private static readonly CrossEntropyParams Ce = new();
    private static readonly RefTensor Targets = new(new[] { 2 }, new double[] { 0, 2 });

    public static readonly IReadOnlyDictionary<OpKind, Probe> All = new Dictionary<OpKind, Probe>
    {
        [OpKind.Copy] = new(() => RefShape.Slice(R(2, 3), 1, 0, 3, 2),
            d => d.Kernels.Copy(F(d, 2, 3).Transpose(0, 1), Out(d, 3, 2))),
        [OpKind.Fill] = new(() => RefCore.Fill(new[] { 4 }, 1.5, DType.Int32), d => d.Kernels.Fill(Out(d, DType.Int32, 4), 1.5)),
        [OpKind.Cast] = new(() => RefCore.Cast(R(4), DType.Int32), d => d.Kernels.Cast(F(d, 4), Out(d, DType.Int32, 4))),
        [OpKind.Unary] = new(() => RefElementwise.Unary(UnaryOp.Tanh, R(4)), d => d.Kernels.Unary(UnaryOp.Tanh, F(d, 4), Out(d, 4), default)),
        [OpKind.UnaryBackward] = new(() => RefElementwise.UnaryBackward(UnaryOp.Tanh, R(4), R(4)),
            d => d.Kernels.UnaryBackward(UnaryOp.Tanh, F(d, 4), F(d, 4), F(d, 4), Out(d, 4), default)),
        [OpKind.Binary] = new(() => RefElementwise.Binary(BinaryOp.Mul, R(2, 3), R(3)),
            d => d.Kernels.Binary(BinaryOp.Mul, F(d, 2, 3), F(d, 3), Out(d, 2, 3))),
        [OpKind.BinaryBackward] = new(() => RefElementwise.BinaryBackward(BinaryOp.Mul, R(2, 3), R(3), R(2, 3)),
            d => d.Kernels.BinaryBackward(BinaryOp.Mul, F(d, 2, 3), F(d, 3), F(d, 2, 3), Out(d, 2, 3), Out(d, 3))),
        [OpKind.Compare] = new(() => RefLogical.Compare(CompareOp.Less, R(4), R(4)),
            d => d.Kernels.Compare(CompareOp.Less, F(d, 4), F(d, 4), Out(d, DType.Bool, 4))),
        [OpKind.Where] = new(() => RefLogical.Where(Rand.Ints(1, new[] { 4 }, 2), R(4), R(4)),
            d => d.Kernels.Where(Rand.Ints(1, new[] { 4 }, 2).ToDevice(d, DType.Bool), F(d, 4), F(d, 4), Out(d, 4))),
        [OpKind.LogicalNot] = new(() => RefLogical.Not(Rand.Ints(1, new[] { 4 }, 2)),
            d => d.Kernels.LogicalNot(Rand.Ints(1, new[] { 4 }, 2).ToDevice(d, DType.Bool), Out(d, DType.Bool, 4))),
        [OpKind.Reduce] = new(() => RefReduction.Reduce(ReduceOp.Sum, R(2, 3), Rows),
            d => d.Kernels.Reduce(ReduceOp.Sum, F(d, 2, 3), Out(d, 2), Rows)),
        [OpKind.ReduceBackward] = new(() => RefReduction.ReduceBackward(ReduceOp.Sum, R(2, 3), R(2), Rows),
            d => d.Kernels.ReduceBackward(ReduceOp.Sum, F(d, 2, 3), F(d, 2), F(d, 2), Out(d, 2, 3), Rows)),
        [OpKind.ArgMax] = new(() => RefReduction.ArgMax(R(2, 3), new ArgReduceParams(1, false)),
            d => d.Kernels.ArgMax(F(d, 2, 3), Out(d, DType.Int64, 2), new ArgReduceParams(1, false))),
        [OpKind.Softmax] = new(() => RefReduction.Softmax(R(2, 3), new SoftmaxParams(1)),
            d => d.Kernels.Softmax(F(d, 2, 3), Out(d, 2, 3), new SoftmaxParams(1))),
        [OpKind.SoftmaxBackward] = new(() => RefReduction.SoftmaxBackward(R(2, 3), R(2, 3), new SoftmaxParams(1)),
            d => d.Kernels.SoftmaxBackward(F(d, 2, 3), F(d, 2, 3), Out(d, 2, 3), new SoftmaxParams(1))),
        [OpKind.CrossEntropy] = new(() => RefReduction.CrossEntropy(R(2, 3), Targets, true, Ce),
            d => d.Kernels.CrossEntropy(F(d, 2, 3), I64(d, 0, 2), Out(d), Ce)),
        [OpKind.CrossEntropyBackward] = new(() => RefReduction.CrossEntropyBackward(R(2, 3), Targets, true, RefTensor.Scalar(1), Ce),
            d => d.Kernels.CrossEntropyBackward(F(d, 2, 3), I64(d, 0, 2), F(d), Out(d, 2, 3), Ce)),
        [OpKind.MseLoss] = new(() => RefReduction.MseLoss(R(4), R(4), LossReduction.Mean),
            d => d.Kernels.MseLoss(F(d, 4), F(d, 4), Out(d), LossReduction.Mean)),
        [OpKind.MseLossBackward] = new(() => RefReduction.MseLossBackward(R(4), R(4), RefTensor.Scalar(1), LossReduction.Mean),
            d => d.Kernels.MseLossBackward(F(d, 4), F(d, 4), F(d), Out(d, 4), LossReduction.Mean)),
        [OpKind.Gemm] = new(() => RefLinalg.Gemm(R(2, 3), R(3, 4), R(4), new GemmParams() with { Epilogue = Epilogue.Silu }),
            d => d.Kernels.Gemm(F(d, 2, 3), F(d, 3, 4), F(d, 4), Out(d, 2, 4), new GemmParams() with { Epilogue = Epilogue.Silu })),
        [OpKind.Conv2d] = new(() => RefConv.Conv2d(R(1, 2, 4, 4), R(3, 2, 3, 3), R(3), Conv with { Epilogue = Epilogue.Relu }, R(1, 3, 2, 2)),
            d => d.Kernels.Conv2d(F(d, 1, 2, 4, 4), F(d, 3, 2, 3, 3), F(d, 3), F(d, 1, 3, 2, 2), Out(d, 1, 3, 2, 2), Conv with { Epilogue = Epilogue.Relu })),
        [OpKind.Conv2dBackwardData] = new(() => RefConv.Conv2dBackwardData(R(1, 3, 2, 2), R(3, 2, 3, 3), new[] { 1, 2, 4, 4 }, Conv),
            d => d.Kernels.Conv2dBackwardData(F(d, 1, 3, 2, 2), F(d, 3, 2, 3, 3), Out(d, 1, 2, 4, 4), Conv)),
        [OpKind.Conv2dBackwardWeight] = new(() => RefConv.Conv2dBackwardWeight(R(1, 2, 4, 4), R(1, 3, 2, 2), new[] { 3, 2, 3, 3 }, Conv),
            d => d.Kernels.Conv2dBackwardWeight(F(d, 1, 2, 4, 4), F(d, 1, 3, 2, 2), Out(d, 3, 2, 3, 3), Conv)),
        [OpKind.Conv2dBackwardBias] = new(() => RefConv.Conv2dBackwardBias(R(1, 3, 2, 2)),
            d => d.Kernels.Conv2dBackwardBias(F(d, 1, 3, 2, 2), Out(d, 3))),
        [OpKind.MaxPool2d] = new(() => RefConv.MaxPool2d(R(1, 2, 4, 4), Pool),
            d => d.Kernels.MaxPool2d(F(d, 1, 2, 4, 4), Out(d, 1, 2, 2, 2), Out(d, DType.Int64, 1, 2, 2, 2), Pool)),
        [OpKind.MaxPool2dBackward] = new(() => RefConv.MaxPool2dBackward(R(1, 2, 2, 2), RefConv.MaxPool2d(R(1, 2, 4, 4), Pool).Indices, new[] { 1, 2, 4, 4 }),
            d => d.Kernels.MaxPool2dBackward(F(d, 1, 2, 2, 2), Tensor.FromArray(d, new long[8], 1, 2, 2, 2), Out(d, 1, 2, 4, 4), Pool)),
        [OpKind.AvgPool2d] = new(() => RefConv.AvgPool2d(R(1, 2, 4, 4), Pool),
            d => d.Kernels.AvgPool2d(F(d, 1, 2, 4, 4), Out(d, 1, 2, 2, 2), Pool)),
        [OpKind.AvgPool2dBackward] = new(() => RefConv.AvgPool2dBackward(R(1, 2, 2, 2), new[] { 1, 2, 4, 4 }, Pool),
            d => d.Kernels.AvgPool2dBackward(F(d, 1, 2, 2, 2), Out(d, 1, 2, 4, 4), Pool)),
        [OpKind.BatchNormTraining] = new(() => RefNorm.BatchNormTraining(R(2, 3, 2), R(3), R(3), R(3), R(3), new BatchNormParams()),
            d => d.Kernels.BatchNormTraining(F(d, 2, 3, 2), F(d, 3), F(d, 3), Out(d, 2, 3, 2), F(d, 3), F(d, 3), Out(d, 3), Out(d, 3), new BatchNormParams())),
        [OpKind.BatchNormInference] = new(() => RefNorm.BatchNormInference(R(2, 3, 2), R(3), R(3), R(3), R(3), new BatchNormParams()),
            d => d.Kernels.BatchNormInference(F(d, 2, 3, 2), F(d, 3), F(d, 3), F(d, 3), F(d, 3), Out(d, 2, 3, 2), new BatchNormParams())),
        [OpKind.BatchNormBackward] = new(() => RefNorm.BatchNormBackward(R(2, 3, 2), R(2, 3, 2), R(3), R(3), R(3)),
            d => d.Kernels.BatchNormBackward(F(d, 2, 3, 2), F(d, 2, 3, 2), F(d, 3), F(d, 3), F(d, 3), Out(d, 2, 3, 2), Out(d, 3), Out(d, 3), new BatchNormParams())),
        [OpKind.LayerNorm] = new(() => RefNorm.LayerNorm(R(2, 3), R(3), R(3), Ln),
            d => d.Kernels.LayerNorm(F(d, 2, 3), F(d, 3), F(d, 3), Out(d, 2, 3), Out(d, 2), Out(d, 2), Ln)),
        [OpKind.LayerNormBackward] = new(() => RefNorm.LayerNormBackward(R(2, 3), R(2, 3), R(3), R(2), R(2), Ln, true),
            d => d.Kernels.LayerNormBackward(F(d, 2, 3), F(d, 2, 3), F(d, 3), F(d, 2), F(d, 2), Out(d, 2, 3), Out(d, 3), Out(d, 3), Ln)),
        [OpKind.Dropout] = new(() => RefNorm.Dropout(R(8), Drop),
            d => d.Kernels.Dropout(F(d, 8), Out(d, 8), Out(d, DType.UInt8, 8), Drop)),
        [OpKind.DropoutBackward] = new(() => RefNorm.DropoutBackward(R(8), RefNorm.Dropout(R(8), Drop).Mask, Drop),
            d => d.Kernels.DropoutBackward(F(d, 8), Tensor.FromArray(d, new byte[8], 8), Out(d, 8), Drop)),
        [OpKind.Attention] = new(() => RefAttention.Attention(R(1, 1, 3, 4), R(1, 1, 3, 4), R(1, 1, 3, 4), null, new AttentionParams()),
            d => d.Kernels.Attention(F(d, 1, 1, 3, 4), F(d, 1, 1, 3, 4), F(d, 1, 1, 3, 4), null, Out(d, 1, 1, 3, 4), Out(d, 1, 1, 3), new AttentionParams())),
        [OpKind.AttentionBackward] = new(() => RefAttention.AttentionBackward(R(1, 1, 3, 4), R(1, 1, 3, 4), R(1, 1, 3, 4), null, R(1, 1, 3, 4), new AttentionParams()),
            d => d.Kernels.AttentionBackward(F(d, 1, 1, 3, 4), F(d, 1, 1, 3, 4), F(d, 1, 1, 3, 4), null, F(d, 1, 1, 3, 4), F(d, 1, 1, 3),
                F(d, 1, 1, 3, 4), Out(d, 1, 1, 3, 4), Out(d, 1, 1, 3, 4), Out(d, 1, 1, 3, 4), new AttentionParams())),
        [OpKind.SgdStep] = new(() => RefOptimizer.SgdStep(R(4), R(4), new SgdParams(0.1f)),
            d => d.Kernels.SgdStep(F(d, 4), F(d, 4), new SgdParams(0.1f))),
        [OpKind.MomentumStep] = new(() => RefOptimizer.MomentumStep(R(4), R(4), R(4), new MomentumParams(0.1f)),
            d => d.Kernels.MomentumStep(F(d, 4), F(d, 4), F(d, 4), new MomentumParams(0.1f))),
        [OpKind.AdamStep] = new(() => RefOptimizer.AdamStep(R(4), R(4), R(4), R(4), new AdamParams(0.1f)),
            d => d.Kernels.AdamStep(F(d, 4), F(d, 4), F(d, 4), F(d, 4), new AdamParams(0.1f))),
        [OpKind.Concat] = new(() => RefShape.Concat(new[] { R(2, 3), R(2, 1) }, 1),
            d => d.Kernels.Concat(new[] { F(d, 2, 3), F(d, 2, 1) }, Out(d, 2, 4), 1)),
        [OpKind.Gather] = new(() => RefShape.Gather(R(4, 3), Targets, 0),
            d => d.Kernels.Gather(F(d, 4, 3), I64(d, 0, 2), Out(d, 2, 3), 0)),
        [OpKind.GatherBackward] = new(() => RefShape.GatherBackward(Targets, R(2, 3), new[] { 4, 3 }, 0),
            d => d.Kernels.GatherBackward(I64(d, 0, 2), F(d, 2, 3), Out(d, 4, 3), 0)),
        [OpKind.Pad] = new(() => RefShape.Pad(R(2, 3), Pads), d => d.Kernels.Pad(F(d, 2, 3), Out(d, 4, 5), Pads)),
        [OpKind.PadBackward] = new(() => RefShape.PadBackward(R(4, 5), new[] { 2, 3 }, Pads), d => d.Kernels.PadBackward(F(d, 4, 5), Out(d, 2, 3), Pads)),
        [OpKind.ExpandBackward] = new(() => RefShape.ExpandBackward(R(2, 3), new[] { 1, 3 }), d => d.Kernels.ExpandBackward(F(d, 2, 3), Out(d, 1, 3))),
    };

    /// <summary>Runs <paramref name="call"/> with every tensor it creates disposed afterwards; returns what it threw
    /// (the innermost message), or null.</summary>
    public static string? Run(Action call)
    {
        try
        {
            using var scope = TensorScope.Begin();
            call();
            return null;
        }
        catch (Exception e)
        {
            while (e is System.Reflection.TargetInvocationException or TypeInitializationException && e.InnerException is not null) e = e.InnerException;
            return $"{e.GetType().Name}: {e.Message}";
        }
    }
}
