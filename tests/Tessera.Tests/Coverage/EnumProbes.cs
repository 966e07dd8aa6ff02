using Tessera.Devices;
using Tessera.Graph;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Support;

namespace Tessera.Tests.Coverage;

/// <summary>The op enums (values that select what a kind computes) and one call of each value: of the reference, of a
/// device's kernels, and of the graph op's gradient rule, on tiny inputs. The value of a new enum member reaches every
/// switch these calls go through, so a missing arm throws.</summary>
internal static class EnumProbes
{
    /// <summary>Every op enum with the kinds that take its values (the first is the forward kind).</summary>
    public static readonly IReadOnlyDictionary<Type, OpKind[]> Kinds = new Dictionary<Type, OpKind[]>
    {
        [typeof(UnaryOp)] = new[] { OpKind.Unary, OpKind.UnaryBackward },
        [typeof(BinaryOp)] = new[] { OpKind.Binary, OpKind.BinaryBackward },
        [typeof(CompareOp)] = new[] { OpKind.Compare },
        [typeof(ReduceOp)] = new[] { OpKind.Reduce, OpKind.ReduceBackward },
        [typeof(PadMode)] = new[] { OpKind.Pad, OpKind.PadBackward },
        [typeof(LossReduction)] = new[] { OpKind.CrossEntropy, OpKind.CrossEntropyBackward, OpKind.MseLoss, OpKind.MseLossBackward },
        [typeof(OptimizerMode)] = new[] { OpKind.MomentumStep, OpKind.AdamStep },
    };

    private static RefTensor R(params int[] shape) => Rand.Uniform(6, shape, 0.25, 2);

    private static Tensor F(IDevice d, params int[] shape) => R(shape).ToDevice(d);

    private static Tensor Out(IDevice d, params int[] shape) => Tensor.Empty(d, DType.Float32, new Shape(shape));

    private static readonly ReduceParams Rows = new(new[] { 1 }, false);
    private static readonly RefTensor Targets = new(new[] { 2 }, new double[] { 0, 2 });
    private static PadParams Pads(PadMode m) => new(new[] { 1, 1, 1, 1 }, m);

    /// <summary>The reference's forward and backward of <paramref name="value"/>.</summary>
    public static void Reference(Enum value)
    {
        switch (value)
        {
            case UnaryOp op: RefElementwise.Unary(op, R(4)); RefElementwise.UnaryBackward(op, R(4), R(4)); break;
            case BinaryOp op: RefElementwise.Binary(op, R(2, 3), R(3)); RefElementwise.BinaryBackward(op, R(2, 3), R(3), R(2, 3)); break;
            case CompareOp op: RefLogical.Compare(op, R(4), R(4)); break;
            case ReduceOp op: RefReduction.Reduce(op, R(2, 3), Rows); RefReduction.ReduceBackward(op, R(2, 3), R(2), Rows); break;
            case PadMode m: RefShape.Pad(R(2, 3), Pads(m)); RefShape.PadBackward(R(4, 5), new[] { 2, 3 }, Pads(m)); break;
            case LossReduction red:
                var ce = new CrossEntropyParams(red);
                var dl = red == LossReduction.None ? R(2) : RefTensor.Scalar(1);
                RefReduction.CrossEntropy(R(2, 3), Targets, true, ce);
                RefReduction.CrossEntropyBackward(R(2, 3), Targets, true, dl, ce);
                RefReduction.MseLoss(R(2), R(2), red);
                RefReduction.MseLossBackward(R(2), R(2), dl, red);
                break;
            case OptimizerMode mode:
                RefOptimizer.MomentumStep(R(4), R(4), R(4), new MomentumParams(0.1f, Mode: mode));
                RefOptimizer.AdamStep(R(4), R(4), R(4), R(4), new AdamParams(0.1f, Mode: mode));
                break;
            default: throw new ArgumentException($"{value.GetType().Name} is not an op enum");
        }
    }

    /// <summary>The kernels of <paramref name="value"/> on <paramref name="d"/>, forward and backward.</summary>
    public static void Kernel(Enum value, IDevice d)
    {
        var k = d.Kernels;
        switch (value)
        {
            case UnaryOp op: k.Unary(op, F(d, 4), Out(d, 4), default); k.UnaryBackward(op, F(d, 4), F(d, 4), F(d, 4), Out(d, 4), default); break;
            case BinaryOp op: k.Binary(op, F(d, 2, 3), F(d, 3), Out(d, 2, 3)); k.BinaryBackward(op, F(d, 2, 3), F(d, 3), F(d, 2, 3), Out(d, 2, 3), Out(d, 3)); break;
            case CompareOp op: k.Compare(op, F(d, 4), F(d, 4), Tensor.Empty(d, DType.Bool, new Shape(4))); break;
            case ReduceOp op: k.Reduce(op, F(d, 2, 3), Out(d, 2), Rows); k.ReduceBackward(op, F(d, 2, 3), F(d, 2), F(d, 2), Out(d, 2, 3), Rows); break;
            case PadMode m: k.Pad(F(d, 2, 3), Out(d, 4, 5), Pads(m)); k.PadBackward(F(d, 4, 5), Out(d, 2, 3), Pads(m)); break;
            case LossReduction red:
                var ce = new CrossEntropyParams(red);
                int[] ls = red == LossReduction.None ? new[] { 2 } : Array.Empty<int>();
                var target = Tensor.FromArray(d, new long[] { 0, 2 }, 2);
                k.CrossEntropy(F(d, 2, 3), target, Out(d, ls), ce);
                k.CrossEntropyBackward(F(d, 2, 3), target, F(d, ls), Out(d, 2, 3), ce);
                k.MseLoss(F(d, 2), F(d, 2), Out(d, ls), red);
                k.MseLossBackward(F(d, 2), F(d, 2), F(d, ls), Out(d, 2), red);
                break;
            case OptimizerMode mode:
                k.MomentumStep(F(d, 4), F(d, 4), F(d, 4), new MomentumParams(0.1f, Mode: mode));
                k.AdamStep(F(d, 4), F(d, 4), F(d, 4), F(d, 4), new AdamParams(0.1f, Mode: mode));
                break;
            default: throw new ArgumentException($"{value.GetType().Name} is not an op enum");
        }
    }

    /// <summary>A graph of the forward op of <paramref name="value"/> with its backward pass appended (null for values
    /// of non-differentiable kinds).</summary>
    public static Action? Gradient(Enum value) => value switch
    {
        UnaryOp op => () => GraphProbes.Differentiate(g => g.Unary(op, g.Input("x", DType.Float32, 4))),
        BinaryOp op => () => GraphProbes.Differentiate(g => g.Binary(op, g.Input("a", DType.Float32, 2, 3), g.Input("b", DType.Float32, 3))),
        ReduceOp op => () => GraphProbes.Differentiate(g => g.Reduce(op, g.Input("x", DType.Float32, 2, 3), new[] { 1 })),
        PadMode m => () => GraphProbes.Differentiate(g => g.Pad(g.Input("x", DType.Float32, 2, 3), Pads(m))),
        LossReduction red => () =>
        {
            GraphProbes.Differentiate(g => g.CrossEntropy(g.Input("x", DType.Float32, 2, 3), g.Input("t", DType.Int64, 2), new CrossEntropyParams(red)));
            GraphProbes.Differentiate(g => g.MseLoss(g.Input("a", DType.Float32, 2), g.Input("b", DType.Float32, 2), red));
        },
        _ => null,
    };
}
