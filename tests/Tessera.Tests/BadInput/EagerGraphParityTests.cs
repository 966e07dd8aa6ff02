using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.BadInput;

/// <summary>One validation path for eager and graph: the same bad arguments, given to the eager op and to the graph op
/// (a node named "node"), raise the same exception type with the same message, apart from the op or node name that
/// leads it. At least one case per op family, backward ops included.</summary>
public class EagerGraphParityTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;
    private const string Node = "node";

    /// <summary>A bad call: the op name the eager error carries, the exception, the tensors (zeros of these specs, or
    /// graph inputs of them) and the two calls.</summary>
    private sealed record Case(string Op, Type Error, TensorSpec[] Args, Action<Tensor[]> Eager, Action<GraphBuilder, Value[]> Graph);

    private static TensorSpec F(params int[] shape) => new(new Shape(shape), DType.Float32);
    private static TensorSpec T(DType dtype, params int[] shape) => new(new Shape(shape), dtype);

    private static readonly Conv2dParams Conv = Conv2dParams.Square();
    private static readonly Pool2dParams Pool = Pool2dParams.Square(2, 2);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // Core
        ["Cast to an unknown dtype"] = new("Cast", typeof(TesseraDTypeException), [F(3)],
            t => Ops.Cast(t[0], (DType)99), (g, v) => g.Cast(v[0], (DType)99, Node)),
        ["Fill NaN into Int32"] = new("Fill", typeof(TesseraArgumentException), [T(DType.Int32, 4)],
            t => Ops.Fill(t[0], double.NaN), (g, v) => g.Apply1(new FillOp(new Shape(4), DType.Int32, double.NaN), Node)),
        // Element-wise
        ["Relu of Int64"] = new("Relu", typeof(TesseraDTypeException), [T(DType.Int64, 4)],
            t => Ops.Relu(t[0]), (g, v) => g.Relu(v[0], Node)),
        ["LeakyRelu NaN slope"] = new("LeakyRelu", typeof(TesseraArgumentException), [F(4)],
            t => Ops.LeakyRelu(t[0], float.NaN), (g, v) => g.LeakyRelu(v[0], float.NaN, Node)),
        ["Clamp reversed bounds"] = new("Clamp", typeof(TesseraArgumentException), [F(4)],
            t => Ops.Clamp(t[0], 1f, -1f), (g, v) => g.Unary(UnaryOp.Clamp, v[0], new(1f, -1f), Node)),
        ["Add shapes that do not broadcast"] = new("Add", typeof(TesseraShapeException), [F(3, 4), F(5)],
            t => Ops.Add(t[0], t[1]), (g, v) => g.Add(v[0], v[1], Node)),
        ["PRelu slope that does not broadcast to x"] = new("PRelu", typeof(TesseraShapeException), [F(3), F(2, 3)],
            t => Ops.PRelu(t[0], t[1]), (g, v) => g.PRelu(v[0], v[1], Node)),
        ["TanhBackward gradient of the wrong shape"] = new("TanhBackward", typeof(TesseraShapeException), [F(4, 3), F(4, 3), F(3, 4)],
            t => Ops.UnaryBackward(UnaryOp.Tanh, t[0], t[1], t[2]), (g, v) => g.Apply1(new UnaryBackwardOp(UnaryOp.Tanh, default), Node, v)),
        ["MulBackward gradient of the wrong shape"] = new("MulBackward", typeof(TesseraShapeException), [F(3, 4), F(4), F(4)],
            t => Ops.BinaryBackward(BinaryOp.Mul, t[0], t[1], t[2]), (g, v) => g.Apply(new BinaryBackwardOp(BinaryOp.Mul), Node, v)),
        // Logical
        ["Less of mixed dtypes"] = new("Less", typeof(TesseraDTypeException), [F(4), T(DType.Int32, 4)],
            t => Ops.Less(t[0], t[1]), (g, v) => g.Less(v[0], v[1], Node)),
        ["Where on a UInt8 condition"] = new("Where", typeof(TesseraDTypeException), [T(DType.UInt8, 4), F(4), F(4)],
            t => Ops.Where(t[0], t[1], t[2]), (g, v) => g.Where(v[0], v[1], v[2], Node)),
        ["LogicalNot of Float32"] = new("LogicalNot", typeof(TesseraDTypeException), [F(4)],
            t => Ops.LogicalNot(t[0]), (g, v) => g.LogicalNot(v[0], Node)),
        // Reductions and losses
        ["Sum over an axis out of range"] = new("Sum", typeof(TesseraAxisException), [F(3, 4)],
            t => Ops.Sum(t[0], [2]), (g, v) => g.Reduce(ReduceOp.Sum, v[0], [2], false, Node)),
        ["Mean over a repeated axis"] = new("Mean", typeof(TesseraAxisException), [F(3, 4)],
            t => Ops.Mean(t[0], [1, -1]), (g, v) => g.Mean(v[0], [1, -1], false, Node)),
        ["Max of zero elements"] = new("Max", typeof(TesseraShapeException), [F(3, 0)],
            t => Ops.Max(t[0], [1]), (g, v) => g.Reduce(ReduceOp.Max, v[0], [1], false, Node)),
        ["ReduceBackward gradient of the wrong shape"] = new("SumBackward", typeof(TesseraShapeException), [F(3, 4), F(3), F(4)],
            t => Ops.ReduceBackward(ReduceOp.Sum, t[0], t[1], t[2], [1]),
            (g, v) => g.Apply1(new ReduceBackwardOp(ReduceOp.Sum, new ReduceParams([1], false)), Node, v)),
        ["ArgMax along an empty axis"] = new("ArgMax", typeof(TesseraShapeException), [F(0, 4)],
            t => Ops.ArgMax(t[0], 0), (g, v) => g.ArgMax(v[0], 0, name: Node)),
        ["Softmax of Int64"] = new("Softmax", typeof(TesseraDTypeException), [T(DType.Int64, 3, 4)],
            t => Ops.Softmax(t[0]), (g, v) => g.Softmax(v[0], -1, Node)),
        ["SoftmaxBackward mismatched shapes"] = new("SoftmaxBackward", typeof(TesseraShapeException), [F(3, 4), F(4, 3)],
            t => Ops.SoftmaxBackward(t[0], t[1]), (g, v) => g.Apply1(new SoftmaxBackwardOp(new SoftmaxParams(1)), Node, v)),
        ["CrossEntropy on Int32 targets"] = new("CrossEntropy", typeof(TesseraDTypeException), [F(4, 3), T(DType.Int32, 4)],
            t => Ops.CrossEntropy(t[0], t[1]), (g, v) => g.CrossEntropy(v[0], v[1], name: Node)),
        ["CrossEntropy label smoothing 1.5"] = new("CrossEntropy", typeof(TesseraArgumentException), [F(2, 3), T(DType.Int64, 2)],
            t => Ops.CrossEntropy(t[0], t[1], new CrossEntropyParams(LabelSmoothing: 1.5f)),
            (g, v) => g.CrossEntropy(v[0], v[1], new CrossEntropyParams(LabelSmoothing: 1.5f), Node)),
        ["CrossEntropyBackward loss gradient of the wrong shape"] = new("CrossEntropyBackward", typeof(TesseraShapeException),
            [F(2, 3), T(DType.Int64, 2), F(2)],
            t => Ops.CrossEntropyBackward(t[0], t[1], t[2]), (g, v) => g.Apply1(new CrossEntropyBackwardOp(new CrossEntropyParams()), Node, v)),
        ["MseLoss of Int64"] = new("MseLoss", typeof(TesseraDTypeException), [T(DType.Int64, 3), F(3)],
            t => Ops.MseLoss(t[0], t[1]), (g, v) => g.MseLoss(v[0], v[1], LossReduction.Mean, Node)),
        ["MseLoss of different shapes"] = new("MseLoss", typeof(TesseraShapeException), [F(3, 4), F(4)],
            t => Ops.MseLoss(t[0], t[1]), (g, v) => g.MseLoss(v[0], v[1], LossReduction.Mean, Node)),
        ["GlobalAvgPool2d of rank 3"] = new("GlobalAvgPool2d", typeof(TesseraShapeException), [F(2, 3, 4)],
            t => Ops.GlobalAvgPool2d(t[0]), (g, v) => g.GlobalAvgPool2d(v[0], Node)),
        // Linear algebra
        ["MatMul inner dimensions differ"] = new("MatMul", typeof(TesseraShapeException), [F(2, 3), F(4, 5)],
            t => Ops.MatMul(t[0], t[1]), (g, v) => g.MatMul(v[0], v[1], name: Node)),
        ["MatMul of Int64"] = new("MatMul", typeof(TesseraDTypeException), [T(DType.Int64, 3, 4), F(4, 5)],
            t => Ops.MatMul(t[0], t[1]), (g, v) => g.MatMul(v[0], v[1], name: Node)),
        ["MatMul of a scalar"] = new("MatMul", typeof(TesseraShapeException), [F(), F(3)],
            t => Ops.MatMul(t[0], t[1]), (g, v) => g.MatMul(v[0], v[1], Node)),
        ["MatMul vector of the wrong length"] = new("MatMul", typeof(TesseraShapeException), [F(3), F(4, 2)],
            t => Ops.MatMul(t[0], t[1]), (g, v) => g.MatMul(v[0], v[1], Node)),
        ["Gemm bias that does not broadcast"] = new("Gemm", typeof(TesseraShapeException), [F(2, 3), F(3, 4), F(3)],
            t => Ops.Gemm(t[0], t[1], t[2], new GemmParams()), (g, v) => g.Gemm(v[0], v[1], v[2], new GemmParams(), Node)),
        ["Gemm transposed inner dimensions differ"] = new("Gemm", typeof(TesseraShapeException), [F(2, 3), F(2, 4)],
            t => Ops.Gemm(t[0], t[1], null, new GemmParams(TransB: true)), (g, v) => g.Gemm(v[0], v[1], null, new GemmParams(TransB: true), Node)),
        ["Linear weight of the wrong shape"] = new("Linear", typeof(TesseraShapeException), [F(2, 4), F(5, 3)],
            t => Ops.Linear(t[0], t[1]), (g, v) => g.Linear(v[0], v[1], null, Node)),
        ["Linear bias of the wrong shape"] = new("Linear", typeof(TesseraShapeException), [F(2, 4), F(5, 4), F(4)],
            t => Ops.Linear(t[0], t[1], t[2]), (g, v) => g.Linear(v[0], v[1], v[2], Node)),
        ["LinearBackward gradient of the wrong shape"] = new("LinearBackward", typeof(TesseraShapeException), [F(3, 4), F(5, 4), F(3, 4)],
            t => Ops.LinearBackward(t[0], t[1], t[2]), (g, v) => g.Apply(new LinearBackwardOp(true, true), Node, v)),
        // Convolution and pooling
        ["Conv2d channel mismatch"] = new("Conv2d", typeof(TesseraShapeException), [F(1, 3, 5, 5), F(4, 2, 3, 3)],
            t => Ops.Conv2d(t[0], t[1], null, Conv), (g, v) => g.Conv2d(v[0], v[1], null, Conv, name: Node)),
        ["Conv2d stride 0"] = new("Conv2d", typeof(TesseraArgumentException), [F(1, 1, 5, 5), F(2, 1, 3, 3)],
            t => Ops.Conv2d(t[0], t[1], null, Conv2dParams.Square(stride: 0)), (g, v) => g.Conv2d(v[0], v[1], null, Conv2dParams.Square(stride: 0), name: Node)),
        ["Conv2d bias of the wrong shape"] = new("Conv2d", typeof(TesseraShapeException), [F(1, 1, 5, 5), F(2, 1, 3, 3), F(3)],
            t => Ops.Conv2d(t[0], t[1], t[2], Conv), (g, v) => g.Conv2d(v[0], v[1], v[2], Conv, name: Node)),
        ["Conv2d residual of the wrong shape"] = new("Conv2d", typeof(TesseraShapeException), [F(1, 1, 5, 5), F(2, 1, 3, 3), F(1, 2, 5, 5)],
            t => Ops.Conv2d(t[0], t[1], null, Conv, t[2]), (g, v) => g.Conv2d(v[0], v[1], null, Conv, v[2], Node)),
        ["Conv2d epilogue that is no activation"] = new("Conv2d", typeof(TesseraArgumentException), [F(1, 1, 5, 5), F(2, 1, 3, 3)],
            t => Ops.Conv2d(t[0], t[1], null, Conv with { Epilogue = new(UnaryOp.Exp) }),
            (g, v) => g.Conv2d(v[0], v[1], null, Conv with { Epilogue = new(UnaryOp.Exp) }, name: Node)),
        ["Gemm epilogue clip with reversed bounds"] = new("Gemm", typeof(TesseraArgumentException), [F(2, 3), F(3, 4)],
            t => Ops.Gemm(t[0], t[1], null, new GemmParams(Epilogue: Epilogue.Clip(1f, -1f))),
            (g, v) => g.Gemm(v[0], v[1], null, new GemmParams(Epilogue: Epilogue.Clip(1f, -1f)), Node)),
        ["Conv2dBackwardData gradient of the wrong shape"] = new("Conv2dBackwardData", typeof(TesseraShapeException), [F(1, 2, 4, 4), F(2, 1, 3, 3)],
            t => Ops.Conv2dBackwardData(t[0], t[1], new Shape(1, 1, 5, 5), Conv),
            (g, v) => g.Apply1(new Conv2dBackwardDataOp(Conv, new Shape(1, 1, 5, 5)), Node, v)),
        ["Conv2dBackwardBias of rank 3"] = new("Conv2dBackwardBias", typeof(TesseraShapeException), [F(2, 4, 4)],
            t => Ops.Conv2dBackwardBias(t[0]), (g, v) => g.Apply1(new Conv2dBackwardBiasOp(), Node, v)),
        ["MaxPool2d padding not smaller than the window"] = new("MaxPool2d", typeof(TesseraArgumentException), [F(1, 1, 5, 5)],
            t => Ops.MaxPool2d(t[0], Pool2dParams.Square(2, 1, 2)), (g, v) => g.MaxPool2d(v[0], Pool2dParams.Square(2, 1, 2), Node)),
        ["AvgPool2d with dilation"] = new("AvgPool2d", typeof(TesseraArgumentException), [F(1, 1, 5, 5)],
            t => Ops.AvgPool2d(t[0], new Pool2dParams(2, 2, 1, 1, DilationH: 2)),
            (g, v) => g.AvgPool2d(v[0], new Pool2dParams(2, 2, 1, 1, DilationH: 2), Node)),
        ["MaxPool2dBackward Int32 indices"] = new("MaxPool2dBackward", typeof(TesseraDTypeException), [F(1, 1, 2, 2), T(DType.Int32, 1, 1, 2, 2)],
            t => Ops.MaxPool2dBackward(t[0], t[1], new Shape(1, 1, 4, 4), Pool),
            (g, v) => g.Apply1(new Pool2dBackwardOp(true, Pool, new Shape(1, 1, 4, 4)), Node, v)),
        // Normalisation and dropout
        ["LayerNorm negative epsilon"] = new("LayerNorm", typeof(TesseraArgumentException), [F(2, 3), F(3), F(3)],
            t => Ops.LayerNorm(t[0], t[1], t[2], new LayerNormParams(-1, -1e-5f)), (g, v) => g.LayerNorm(v[0], v[1], v[2], new LayerNormParams(-1, -1e-5f), Node)),
        ["LayerNorm NaN epsilon"] = new("LayerNorm", typeof(TesseraArgumentException), [F(2, 3), F(3), F(3)],
            t => Ops.LayerNorm(t[0], t[1], t[2], new LayerNormParams(-1, float.NaN)), (g, v) => g.LayerNorm(v[0], v[1], v[2], new LayerNormParams(-1, float.NaN), Node)),
        ["LayerNorm of a scalar"] = new("LayerNorm", typeof(TesseraShapeException), [F(), F(1), F(1)],
            t => Ops.LayerNorm(t[0], t[1], t[2], new LayerNormParams(-1)), (g, v) => g.LayerNorm(v[0], v[1], v[2], new LayerNormParams(-1, 1e-5f), Node)),
        ["LayerNorm over no elements"] = new("LayerNorm", typeof(TesseraShapeException), [F(2, 0), F(0), F(0)],
            t => Ops.LayerNorm(t[0], t[1], t[2], new LayerNormParams(1)), (g, v) => g.LayerNorm(v[0], v[1], v[2], new LayerNormParams(1, 1e-5f), Node)),
        ["LayerNorm axis out of range"] = new("LayerNorm", typeof(TesseraAxisException), [F(2, 3), F(3), F(3)],
            t => Ops.LayerNorm(t[0], t[1], t[2], new LayerNormParams(2)), (g, v) => g.LayerNorm(v[0], v[1], v[2], new LayerNormParams(2, 1e-5f), Node)),
        ["LayerNorm gamma of the wrong shape"] = new("LayerNorm", typeof(TesseraShapeException), [F(2, 3), F(2), F(3)],
            t => Ops.LayerNorm(t[0], t[1], t[2], new LayerNormParams(1)), (g, v) => g.LayerNorm(v[0], v[1], v[2], new LayerNormParams(1, 1e-5f), Node)),
        ["LayerNormBackward statistics of the wrong shape"] = new("LayerNormBackward", typeof(TesseraShapeException),
            [F(2, 3), F(2, 3), F(3), F(3), F(3)],
            t => Ops.LayerNormBackward(t[0], t[1], t[2], t[3], t[4], new LayerNormParams(1)),
            (g, v) => g.Apply(new LayerNormBackwardOp(new LayerNormParams(1)), Node, v)),
        ["BatchNorm of rank 1"] = new("BatchNormInference", typeof(TesseraShapeException), [F(8), F(8), F(8), F(8), F(8)],
            t => Ops.BatchNormInference(t[0], t[1], t[2], t[3], t[4], new()), (g, v) => g.BatchNorm(v[0], v[1], v[2], v[3], v[4], new(), Node)),
        ["BatchNorm NaN momentum"] = new("BatchNormInference", typeof(TesseraArgumentException), [F(4, 3), F(3), F(3), F(3), F(3)],
            t => Ops.BatchNormInference(t[0], t[1], t[2], t[3], t[4], new(1e-5f, float.NaN)),
            (g, v) => g.BatchNorm(v[0], v[1], v[2], v[3], v[4], new(1e-5f, float.NaN), Node)),
        ["BatchNormBackward gradient of the wrong shape"] = new("BatchNormBackward", typeof(TesseraShapeException), [F(4, 3), F(4, 4), F(3), F(3), F(3)],
            t => Ops.BatchNormBackward(t[0], t[1], t[2], t[3], t[4], new()), (g, v) => g.Apply(new BatchNormBackwardOp(new()), Node, v)),
        ["Dropout ratio 1"] = new("Dropout", typeof(TesseraArgumentException), [F(5)],
            t => Ops.Dropout(t[0], new DropoutParams(1f, 1)), (g, v) => g.Dropout(v[0], 1f, 1, Node)),
        ["DropoutBackward Float32 mask"] = new("DropoutBackward", typeof(TesseraDTypeException), [F(5), F(5)],
            t => Ops.DropoutBackward(t[0], t[1], new DropoutParams(0.5f, 1)), (g, v) => g.Apply1(new DropoutBackwardOp(0.5f), Node, v)),
        // Attention
        ["Attention of rank 3"] = new("Attention", typeof(TesseraShapeException), [F(2, 3, 4), F(1, 2, 3, 4), F(1, 2, 3, 4)],
            t => Ops.Attention(t[0], t[1], t[2], null, new()), (g, v) => g.Attention(v[0], v[1], v[2], null, new(), Node)),
        ["Attention infinite scale"] = new("Attention", typeof(TesseraArgumentException), [F(1, 2, 3, 4), F(1, 2, 3, 4), F(1, 2, 3, 4)],
            t => Ops.Attention(t[0], t[1], t[2], null, new(float.PositiveInfinity)),
            (g, v) => g.Attention(v[0], v[1], v[2], null, new(float.PositiveInfinity), Node)),
        ["Attention mask that does not broadcast"] = new("Attention", typeof(TesseraShapeException), [F(1, 2, 3, 4), F(1, 2, 6, 4), F(1, 2, 6, 4), F(3, 5)],
            t => Ops.Attention(t[0], t[1], t[2], t[3], new()), (g, v) => g.Attention(v[0], v[1], v[2], v[3], new(), Node)),
        ["AttentionBackward lse of the wrong shape"] = new("AttentionBackward", typeof(TesseraShapeException),
            [F(1, 2, 3, 4), F(1, 2, 3, 4), F(1, 2, 3, 4), F(1, 2, 3, 4), F(1, 2, 4), F(1, 2, 3, 4)],
            t => Ops.AttentionBackward(t[0], t[1], t[2], null, t[3], t[4], t[5], new()),
            (g, v) => g.Apply(new AttentionBackwardOp(new(), false), Node, v)),
        // Optimizer steps (the graph op takes the learning rate and step count as inputs; the other rules are shared)
        ["AdamStep beta1 = 1"] = new("AdamStep", typeof(TesseraArgumentException), [F(3), F(3), F(3), F(3), F(), T(DType.Int64)],
            t => Ops.AdamStep(t[0], t[1], t[2], t[3], new AdamParams(1e-3f, Beta1: 1f)),
            (g, v) => g.AdamStep(v[4], v[5], v[..4], new AdamParams(0f, Beta1: 1f), Node)),
        ["MomentumStep negative momentum"] = new("MomentumStep", typeof(TesseraArgumentException), [F(3), F(3), F(3), F(), T(DType.Int64)],
            t => Ops.MomentumStep(t[0], t[1], t[2], new MomentumParams(0.1f, Momentum: -1f)),
            (g, v) => g.MomentumStep(v[3], v[4], v[..3], new MomentumParams(0f, Momentum: -1f), Node)),
        // Shape
        ["Concat mismatched dimension"] = new("Concat", typeof(TesseraShapeException), [F(2, 3), F(3, 3)],
            t => Ops.Concat(t, 1), (g, v) => g.Apply1(new ConcatGraphOp(1), Node, v)),
        ["Concat of no inputs"] = new("Concat", typeof(TesseraArgumentException), [],
            t => Ops.Concat(t, 1), (g, v) => g.Concat(v, 1, Node)),
        ["Concat mixed dtypes"] = new("Concat", typeof(TesseraDTypeException), [F(2, 3), T(DType.Int64, 2, 3)],
            t => Ops.Concat(t, 0), (g, v) => g.Apply1(new ConcatGraphOp(0), Node, v)),
        ["Split sizes not summing to the axis"] = new("Split", typeof(TesseraShapeException), [F(6, 2)],
            t => Ops.Split(t[0], 0, [2, 3]), (g, v) => g.Split(v[0], 0, [2, 3], Node)),
        ["Slice step 0"] = new("Slice", typeof(TesseraArgumentException), [F(6, 2)],
            t => Ops.Slice(t[0], 0, 0, 6, 0), (g, v) => g.Slice(v[0], 0, 0, 6, 0, Node)),
        ["SliceBackward gradient of the wrong shape"] = new("SliceBackward", typeof(TesseraShapeException), [F(4, 2)],
            t => Ops.SliceBackward(t[0], new Shape(6, 2), 0, 0, 6, 2),
            (g, v) => g.Apply1(new SliceBackwardOp(new SliceGraphOp(0, 0, 6, 2), new Shape(6, 2)), Node, v)),
        ["Gather Float32 indices"] = new("Gather", typeof(TesseraDTypeException), [F(5, 2), F(3)],
            t => Ops.Gather(t[0], t[1]), (g, v) => g.Gather(v[0], v[1], 0, Node)),
        ["Gather axis out of range"] = new("Gather", typeof(TesseraAxisException), [F(5, 2), T(DType.Int32, 3)],
            t => Ops.Gather(t[0], t[1], -3), (g, v) => g.Gather(v[0], v[1], -3, Node)),
        ["GatherBackward gradient of the wrong shape"] = new("GatherBackward", typeof(TesseraShapeException), [T(DType.Int64, 3), F(4, 2)],
            t => Ops.GatherBackward(t[0], t[1], new Shape(5, 2)), (g, v) => g.Apply1(new GatherBackwardOp(0, new Shape(5, 2)), Node, v)),
        ["Pad with the wrong count of pads"] = new("Pad", typeof(TesseraArgumentException), [F(2, 3)],
            t => Ops.Pad(t[0], new PadParams([1, 1])), (g, v) => g.Pad(v[0], new PadParams([1, 1]), Node)),
        ["Pad NaN into Int32"] = new("Pad", typeof(TesseraArgumentException), [T(DType.Int32, 4)],
            t => Ops.Pad(t[0], new PadParams([1, 1], PadMode.Constant, float.NaN)),
            (g, v) => g.Pad(v[0], new PadParams([1, 1], PadMode.Constant, float.NaN), Node)),
        ["PadBackward gradient of the wrong shape"] = new("PadBackward", typeof(TesseraShapeException), [F(2, 3)],
            t => Ops.PadBackward(t[0], new Shape(2, 3), new PadParams([1, 0, 0, 0])),
            (g, v) => g.Apply1(new PadBackwardOp(new PadParams([1, 0, 0, 0]), new Shape(2, 3)), Node, v)),
        ["Reshape to another element count"] = new("Reshape", typeof(TesseraShapeException), [F(2, 3)],
            t => Ops.Reshape(t[0], 7), (g, v) => g.Apply1(new ReshapeGraphOp([7]), Node, v)),
        ["Permute with a repeated axis"] = new("Permute", typeof(TesseraAxisException), [F(2, 3)],
            t => Ops.Permute(t[0], 0, -2), (g, v) => g.Apply1(new PermuteGraphOp([0, -2]), Node, v)),
        ["ExpandBackward to a shape that does not broadcast"] = new("ExpandBackward", typeof(TesseraShapeException), [F(2, 3)],
            t => Ops.ExpandBackward(t[0], new Shape(2)), (g, v) => g.ExpandBackward(v[0], new Shape(2), Node)),
        ["Expand to an incompatible shape"] = new("Expand", typeof(TesseraShapeException), [F(3)],
            t => Ops.Expand(t[0], 2, 4), (g, v) => g.Apply1(new ExpandGraphOp([2, 4]), Node, v)),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void EagerAndGraphRefuseAlike(string name)
    {
        var c = Cases[name];
        using var scope = TensorScope.Begin();
        var tensors = c.Args.Select(s => Tensor.Zeros(Dev, s.DType, s.Shape.ToArray())).ToArray();
        var eager = (TesseraException)Assert.Throws(c.Error, () => c.Eager(tensors));
        var g = new GraphBuilder();
        var values = c.Args.Select((s, i) => g.Input($"in{i}", s.DType, s.Shape.ToArray())).ToArray();
        var graph = (TesseraException)Assert.Throws(c.Error, () => c.Graph(g, values));
        Assert.Equal(c.Op, eager.Op);
        Assert.Equal(Node, graph.Op);
        Assert.Equal(eager.Message[c.Op.Length..], graph.Message[Node.Length..]);
        if (eager is TesseraArgumentException ea) Assert.Equal(ea.Argument, ((TesseraArgumentException)graph).Argument);
        Assert.Empty(g.Graph.Nodes);   // nothing was added
    }
}
