using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph;

/// <summary>The op methods, named as the eager <see cref="Ops"/> name them; each node validates its arguments with the
/// op's rule in <see cref="ShapeRules"/>, as the eager op does.</summary>
public sealed partial class GraphBuilder
{
    // Core
    /// <summary>x converted to <paramref name="dtype"/>.</summary>
    public Value Cast(Value x, DType dtype, string? name = null) => Apply1(new CastGraphOp(dtype), name, x);

    // Element-wise
    public Value Unary(UnaryOp op, Value x, UnaryParams p = default, string? name = null) => Apply1(new UnaryGraphOp(op, p), name, x);
    public Value Relu(Value x, string? name = null) => Unary(UnaryOp.Relu, x, default, name);
    public Value LeakyRelu(Value x, float alpha = 0.01f, string? name = null) => Unary(UnaryOp.LeakyRelu, x, new(alpha), name);
    public Value Sigmoid(Value x, string? name = null) => Unary(UnaryOp.Sigmoid, x, default, name);
    public Value Tanh(Value x, string? name = null) => Unary(UnaryOp.Tanh, x, default, name);
    public Value Gelu(Value x, bool approximate = false, string? name = null) => Unary(approximate ? UnaryOp.GeluTanh : UnaryOp.GeluErf, x, default, name);
    /// <summary>scale·x + shift.</summary>
    public Value Affine(Value x, float scale, float shift = 0, string? name = null) => Unary(UnaryOp.Affine, x, new(scale, shift), name);
    public Value Binary(BinaryOp op, Value a, Value b, string? name = null) => Apply1(new BinaryGraphOp(op), name, a, b);
    public Value Add(Value a, Value b, string? name = null) => Binary(BinaryOp.Add, a, b, name);
    public Value Sub(Value a, Value b, string? name = null) => Binary(BinaryOp.Sub, a, b, name);
    public Value Mul(Value a, Value b, string? name = null) => Binary(BinaryOp.Mul, a, b, name);
    public Value Div(Value a, Value b, string? name = null) => Binary(BinaryOp.Div, a, b, name);
    /// <summary>ONNX PRelu: x ≥ 0 ? x : slope·x, the slope broadcast to x (unidirectionally).</summary>
    public Value PRelu(Value x, Value slope, string? name = null) => Apply1(new PReluGraphOp(), name, x, slope);

    // Comparisons, selection, logic
    /// <summary>a op b with broadcasting → Bool.</summary>
    public Value Compare(CompareOp op, Value a, Value b, string? name = null) => Apply1(new CompareGraphOp(op), name, a, b);
    public Value Equal(Value a, Value b, string? name = null) => Compare(CompareOp.Equal, a, b, name);
    public Value Less(Value a, Value b, string? name = null) => Compare(CompareOp.Less, a, b, name);
    public Value Greater(Value a, Value b, string? name = null) => Compare(CompareOp.Greater, a, b, name);
    /// <summary>cond ? a : b, broadcasting all three (cond Bool; a, b of one dtype).</summary>
    public Value Where(Value cond, Value a, Value b, string? name = null) => Apply1(new WhereGraphOp(), name, cond, a, b);
    /// <summary>Logical not of a Bool value.</summary>
    public Value LogicalNot(Value x, string? name = null) => Apply1(new LogicalNotGraphOp(), name, x);

    // Reductions and losses
    public Value Reduce(ReduceOp op, Value x, int[] axes, bool keepDims = false, string? name = null) => Apply1(new ReduceGraphOp(op, axes, keepDims), name, x);
    public Value Sum(Value x, int[] axes, bool keepDims = false, string? name = null) => Reduce(ReduceOp.Sum, x, axes, keepDims, name);
    public Value Mean(Value x, int[] axes, bool keepDims = false, string? name = null) => Reduce(ReduceOp.Mean, x, axes, keepDims, name);
    /// <summary>Int64 index of the maximum along <paramref name="axis"/>.</summary>
    public Value ArgMax(Value x, int axis, bool keepDims = false, bool selectLastIndex = false, string? name = null) =>
        Apply1(new ArgMaxGraphOp(axis, keepDims, selectLastIndex), name, x);
    public Value Softmax(Value x, int axis = -1, string? name = null) => Apply1(new SoftmaxGraphOp(axis, false), name, x);
    public Value LogSoftmax(Value x, int axis = -1, string? name = null) => Apply1(new SoftmaxGraphOp(axis, true), name, x);
    public Value CrossEntropy(Value logits, Value target, CrossEntropyParams p, string? name = null) => Apply1(new CrossEntropyGraphOp(p), name, logits, target);
    public Value CrossEntropy(Value logits, Value target, string? name = null) => CrossEntropy(logits, target, new CrossEntropyParams(LossReduction.Mean), name);
    public Value MseLoss(Value a, Value b, LossReduction reduction = LossReduction.Mean, string? name = null) => Apply1(new MseGraphOp(reduction), name, a, b);

    // Linear algebra
    public Value Linear(Value x, Value w, Value? b = null, string? name = null) =>
        b is null ? Apply1(new LinearGraphOp(), name, x, w) : Apply1(new LinearGraphOp(), name, x, w, b);
    public Value MatMul(Value a, Value b, bool transA = false, bool transB = false, float alpha = 1f, string? name = null) =>
        Apply1(new MatMulGraphOp(transA, transB, alpha), name, a, b);

    // Convolution and pooling
    public Value Conv2d(Value x, Value w, Value? b, Conv2dParams p, string? name = null) =>
        b is null ? Apply1(new Conv2dGraphOp(p), name, x, w) : Apply1(new Conv2dGraphOp(p), name, x, w, b);
    public Value MaxPool2d(Value x, Pool2dParams p, string? name = null) => Apply(new Pool2dGraphOp(true, p), name, x)[0];
    public Value AvgPool2d(Value x, Pool2dParams p, string? name = null) => Apply1(new Pool2dGraphOp(false, p), name, x);
    /// <summary>Mean over the spatial axes of NCHW: [N, C, H, W] → [N, C, 1, 1].</summary>
    public Value GlobalAvgPool2d(Value x, string? name = null)
    {
        name ??= nameof(GlobalAvgPool2d);
        return Mean(x, ShapeRules.GlobalPool2d(name, x.Spec), keepDims: true, name);
    }

    // Normalisation, dropout, attention
    public Value BatchNorm(Value x, Value gamma, Value beta, Value runningMean, Value runningVar, BatchNormParams p, string? name = null) =>
        Apply(new BatchNormGraphOp(p), name, x, gamma, beta, runningMean, runningVar)[0];
    public Value LayerNorm(Value x, Value gamma, Value beta, int axis = -1, float epsilon = 1e-5f, string? name = null) =>
        Apply(new LayerNormGraphOp(axis, epsilon), name, x, gamma, beta)[0];
    public Value Dropout(Value x, float ratio, ulong seed, string? name = null) => Apply(new DropoutGraphOp(ratio, seed), name, x)[0];
    public Value Attention(Value q, Value k, Value v, Value? mask, AttentionParams p, string? name = null) =>
        mask is null ? Apply(new AttentionGraphOp(p), name, q, k, v)[0] : Apply(new AttentionGraphOp(p), name, q, k, v, mask)[0];

    // Optimizer steps
    /// <summary>Adam over n tensors (the ONNX training Adam operator): <paramref name="tensors"/> = X1..Xn, G1..Gn, V1..Vn,
    /// H1..Hn; returns X1'..Xn', V1'..Vn', H1'..Hn'.</summary>
    public Value[] AdamStep(AdamParams p, Value learningRate, Value step, IReadOnlyList<Value> tensors, string? name = null) =>
        Apply(new AdamStepGraphOp(p), name, new[] { learningRate, step }.Concat(tensors).ToArray());
    /// <summary>Momentum over n tensors (the ONNX training Momentum operator): <paramref name="tensors"/> = X1..Xn,
    /// G1..Gn, V1..Vn; returns X1'..Xn', V1'..Vn'.</summary>
    public Value[] MomentumStep(MomentumParams p, Value learningRate, Value step, IReadOnlyList<Value> tensors, string? name = null) =>
        Apply(new MomentumStepGraphOp(p), name, new[] { learningRate, step }.Concat(tensors).ToArray());

    // Shape
    public Value Reshape(Value x, params int[] shape) => Apply1(new ReshapeGraphOp(shape), null, x);
    public Value Permute(Value x, params int[] perm) => Apply1(new PermuteGraphOp(perm), null, x);
    public Value Slice(Value x, int axis, int start, int end, int step = 1, string? name = null) => Apply1(new SliceGraphOp(axis, start, end, step), name, x);
    public Value Concat(int axis, params Value[] xs) => Apply1(new ConcatGraphOp(axis), null, xs);
    /// <summary>Pieces of x along <paramref name="axis"/> with the given sizes, one value per piece.</summary>
    public Value[] Split(Value x, int axis, int[] sizes, string? name = null) => Apply(new SplitGraphOp(axis, sizes), name, x);
    public Value Expand(Value x, params int[] shape) => Apply1(new ExpandGraphOp(shape), null, x);
    public Value Gather(Value data, Value indices, int axis = 0, string? name = null) => Apply1(new GatherGraphOp(axis), name, data, indices);
    /// <summary>Padding (pads = [begins..., ends...], negative crops).</summary>
    public Value Pad(Value x, PadParams p, string? name = null) => Apply1(new PadGraphOp(p), name, x);

    /// <summary>Marks a value whose gradient must not flow back (the forward value is unchanged).</summary>
    public Value StopGradient(Value x)
    {
        var y = Apply1(new StopGradientOp(), null, x);
        y.StopsGradient = true;
        return y;
    }

    /// <summary>Sums <paramref name="x"/> down to <paramref name="shape"/> (the reverse of broadcasting).</summary>
    public Value SumTo(Value x, Shape shape, string? name = null)
    {
        if (x.Shape == shape) return x;
        int lead = x.Shape.Rank - shape.Rank;
        if (lead < 0) throw new TesseraShapeException("SumTo", nameof(shape), $"cannot sum {x} to higher rank {shape}");
        var axes = new List<int>();
        for (int i = 0; i < x.Shape.Rank; i++)
            if (i < lead || (shape[i - lead] == 1 && x.Shape[i] != 1)) axes.Add(i);
        var summed = axes.Count > 0 ? Sum(x, axes.ToArray(), keepDims: true, name) : x;
        return Reshape(summed, shape.ToArray());
    }
}
