using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph;

/// <summary>The op methods, named as the eager <see cref="Ops"/> name them, with the eager op's parameters in its order
/// and with its defaults (then the node's name); each node validates its arguments with the op's rule in
/// <see cref="ShapeRules"/>, as the eager op does. The deliberate differences are listed, with their reasons, in the
/// test that pins this (EagerGraphNamesTests).</summary>
public sealed partial class GraphBuilder
{
    // Core
    /// <summary>x converted to <paramref name="dtype"/>.</summary>
    public Value Cast(Value x, DType dtype, string? name = null) => Apply1(new CastGraphOp(dtype), name, x);

    // Element-wise
    /// <summary>The element-wise function <paramref name="op"/> of <paramref name="x"/> with the scalars <paramref name="p"/>.</summary>
    public Value Unary(UnaryOp op, Value x, UnaryParams p = default, string? name = null) => Apply1(new UnaryGraphOp(op, p), name, x);
    /// <summary>max(x, 0), element-wise.</summary>
    public Value Relu(Value x, string? name = null) => Unary(UnaryOp.Relu, x, default, name);
    /// <summary>x where x ≥ 0, alpha·x elsewhere.</summary>
    public Value LeakyRelu(Value x, float alpha = 0.01f, string? name = null) => Unary(UnaryOp.LeakyRelu, x, new(alpha), name);
    /// <summary>1 / (1 + e^−x), element-wise.</summary>
    public Value Sigmoid(Value x, string? name = null) => Unary(UnaryOp.Sigmoid, x, default, name);
    /// <summary>tanh x, element-wise.</summary>
    public Value Tanh(Value x, string? name = null) => Unary(UnaryOp.Tanh, x, default, name);
    /// <summary>GELU, exact (erf) or with the tanh approximation when <paramref name="approximate"/>.</summary>
    public Value Gelu(Value x, bool approximate = false, string? name = null) => Unary(approximate ? UnaryOp.GeluTanh : UnaryOp.GeluErf, x, default, name);
    /// <summary>scale·x + shift.</summary>
    public Value Affine(Value x, float scale, float shift = 0, string? name = null) => Unary(UnaryOp.Affine, x, new(scale, shift), name);
    /// <summary>The element-wise function <paramref name="op"/> of <paramref name="a"/> and <paramref name="b"/> with NumPy broadcasting.</summary>
    public Value Binary(BinaryOp op, Value a, Value b, string? name = null) => Apply1(new BinaryGraphOp(op), name, a, b);
    /// <summary>a + b with broadcasting.</summary>
    public Value Add(Value a, Value b, string? name = null) => Binary(BinaryOp.Add, a, b, name);
    /// <summary>a − b with broadcasting.</summary>
    public Value Sub(Value a, Value b, string? name = null) => Binary(BinaryOp.Sub, a, b, name);
    /// <summary>a·b with broadcasting.</summary>
    public Value Mul(Value a, Value b, string? name = null) => Binary(BinaryOp.Mul, a, b, name);
    /// <summary>a / b with broadcasting.</summary>
    public Value Div(Value a, Value b, string? name = null) => Binary(BinaryOp.Div, a, b, name);
    /// <summary>ONNX PRelu: x ≥ 0 ? x : slope·x, the slope broadcast to x (unidirectionally).</summary>
    public Value PRelu(Value x, Value slope, string? name = null) => Apply1(new PReluGraphOp(), name, x, slope);

    // Comparisons, selection, logic
    /// <summary>a op b with broadcasting → Bool.</summary>
    public Value Compare(CompareOp op, Value a, Value b, string? name = null) => Apply1(new CompareGraphOp(op), name, a, b);
    /// <summary>a = b with broadcasting, as booleans.</summary>
    public Value Equal(Value a, Value b, string? name = null) => Compare(CompareOp.Equal, a, b, name);
    /// <summary>a &lt; b with broadcasting, as booleans.</summary>
    public Value Less(Value a, Value b, string? name = null) => Compare(CompareOp.Less, a, b, name);
    /// <summary>a &gt; b with broadcasting, as booleans.</summary>
    public Value Greater(Value a, Value b, string? name = null) => Compare(CompareOp.Greater, a, b, name);
    /// <summary>cond ? a : b, broadcasting all three (cond Bool; a, b of one dtype).</summary>
    public Value Where(Value cond, Value a, Value b, string? name = null) => Apply1(new WhereGraphOp(), name, cond, a, b);
    /// <summary>Logical not of a Bool value.</summary>
    public Value LogicalNot(Value x, string? name = null) => Apply1(new LogicalNotGraphOp(), name, x);

    // Reductions and losses
    /// <summary>Reduces x over <paramref name="axes"/> (null or empty: every axis).</summary>
    public Value Reduce(ReduceOp op, Value x, int[]? axes = null, bool keepDims = false, string? name = null) =>
        Apply1(new ReduceGraphOp(op, axes ?? Array.Empty<int>(), keepDims), name, x);
    /// <summary>The sum over <paramref name="axes"/> (all when null), keeping them as size 1 when <paramref name="keepDims"/>.</summary>
    public Value Sum(Value x, int[]? axes = null, bool keepDims = false, string? name = null) => Reduce(ReduceOp.Sum, x, axes, keepDims, name);
    /// <summary>The mean over <paramref name="axes"/> (all when null), keeping them as size 1 when <paramref name="keepDims"/>.</summary>
    public Value Mean(Value x, int[]? axes = null, bool keepDims = false, string? name = null) => Reduce(ReduceOp.Mean, x, axes, keepDims, name);
    /// <summary>Int64 index of the maximum along <paramref name="axis"/>.</summary>
    public Value ArgMax(Value x, int axis = -1, bool keepDims = false, bool selectLastIndex = false, string? name = null) =>
        Apply1(new ArgMaxGraphOp(axis, keepDims, selectLastIndex), name, x);
    /// <summary>Softmax along <paramref name="axis"/>.</summary>
    public Value Softmax(Value x, int axis = -1, string? name = null) => Apply1(new SoftmaxGraphOp(axis, false), name, x);
    /// <summary>Log-softmax along <paramref name="axis"/>.</summary>
    public Value LogSoftmax(Value x, int axis = -1, string? name = null) => Apply1(new SoftmaxGraphOp(axis, true), name, x);
    /// <summary>Cross-entropy of logits [N, C] against Int64 class indices or Float32 probabilities (null
    /// <paramref name="p"/>: Mean, IgnoreIndex −100, no label smoothing).</summary>
    public Value CrossEntropy(Value logits, Value target, CrossEntropyParams? p = null, string? name = null) =>
        Apply1(new CrossEntropyGraphOp(p ?? new CrossEntropyParams(LossReduction.Mean)), name, logits, target);
    /// <summary>The squared differences of <paramref name="a"/> and <paramref name="b"/>, combined by <paramref name="reduction"/>.</summary>
    public Value MseLoss(Value a, Value b, LossReduction reduction = LossReduction.Mean, string? name = null) => Apply1(new MseGraphOp(reduction), name, a, b);

    // Linear algebra
    /// <summary>y = x·wᵀ + bias: x [..., In], w [Out, In], bias null or [Out] → y [..., Out].</summary>
    public Value Linear(Value x, Value w, Value? bias = null, string? name = null) =>
        bias is null ? Apply1(new LinearGraphOp(), name, x, w) : Apply1(new LinearGraphOp(), name, x, w, bias);
    /// <summary>c = act(Alpha·op(a)·op(b) + bias), batched over broadcast leading dimensions, as <see cref="Ops.Gemm"/>
    /// returning a new value (its Beta, which scales a given output, is not used). bias is null or broadcasts to c; act is
    /// <see cref="GemmParams.Epilogue"/>'s activation.</summary>
    public Value Gemm(Value a, Value b, Value? bias, GemmParams p, string? name = null) =>
        bias is null ? Apply1(new GemmGraphOp(p), name, a, b) : Apply1(new GemmGraphOp(p), name, a, b, bias);
    /// <summary>NumPy matmul, as <see cref="Ops.MatMul"/>: batched over broadcast leading dimensions; a rank-1 a is
    /// promoted to a row and a rank-1 b to a column, and the promoted dimension is removed from the result. One Gemm
    /// node, with reshapes around it when an operand is a vector.</summary>
    public Value MatMul(Value a, Value b, string? name = null)
    {
        string op = name ?? nameof(MatMul);
        CheckInputs(op, a, b);
        var shape = ShapeRules.MatMul(op, a.Spec, b.Spec);
        if (a.Shape.Rank > 1 && b.Shape.Rank > 1) return Gemm(a, b, null, new GemmParams(), op);
        var a2 = a.Shape.Rank == 1 ? Reshape(a, 1, a.Shape[0]) : a;
        var b2 = b.Shape.Rank == 1 ? Reshape(b, b.Shape[0], 1) : b;
        return Apply1(new ReshapeGraphOp(shape.ToArray()), name, Gemm(a2, b2, null, new GemmParams()));
    }

    // Convolution and pooling
    /// <summary>y = act(conv2d(x, w) + bias + residual), as <see cref="Ops.Conv2d"/>: the activation is
    /// <see cref="Conv2dParams.Epilogue"/>'s, bias and residual are optional.</summary>
    public Value Conv2d(Value x, Value w, Value? bias, Conv2dParams p, Value? residual = null, string? name = null)
    {
        var inputs = new List<Value> { x, w };
        if (bias is not null) inputs.Add(bias);
        if (residual is not null) inputs.Add(residual);
        return Apply1(new Conv2dGraphOp(p, residual is not null), name, inputs.ToArray());
    }
    /// <summary>2-D max pooling of <paramref name="x"/> (NCHW).</summary>
    public Value MaxPool2d(Value x, Pool2dParams p, string? name = null) => Apply(new Pool2dGraphOp(true, p), name, x)[0];
    /// <summary>2-D average pooling of <paramref name="x"/> (NCHW).</summary>
    public Value AvgPool2d(Value x, Pool2dParams p, string? name = null) => Apply1(new Pool2dGraphOp(false, p), name, x);
    /// <summary>Mean over the spatial axes of NCHW: [N, C, H, W] → [N, C, 1, 1].</summary>
    public Value GlobalAvgPool2d(Value x, string? name = null)
    {
        name ??= nameof(GlobalAvgPool2d);
        CheckInputs(name, x);
        return Mean(x, ShapeRules.GlobalPool2d(name, x.Spec), keepDims: true, name);
    }

    // Normalisation, dropout, attention
    /// <summary>Batch norm over all axes but 1 of x [N, C, ...]: with batch statistics (updating the running ones) when
    /// the plan runs in training mode, with the running statistics otherwise (eager: BatchNormTraining and
    /// BatchNormInference).</summary>
    public Value BatchNorm(Value x, Value gamma, Value beta, Value runningMean, Value runningVar, BatchNormParams p, string? name = null) =>
        Apply(new BatchNormGraphOp(p), name, x, gamma, beta, runningMean, runningVar)[0];
    /// <summary>Layer norm over axes [p.Axis, rank); gamma and beta have shape x.shape[Axis..]. The mean and 1/√(var+ε)
    /// the eager op returns are kept by the node for the backward pass.</summary>
    public Value LayerNorm(Value x, Value gamma, Value beta, LayerNormParams p, string? name = null) =>
        Apply(new LayerNormGraphOp(p), name, x, gamma, beta)[0];
    /// <summary>Inverted dropout with drop probability <paramref name="ratio"/>; identity when the plan runs in inference
    /// mode. The mask of each run comes from <paramref name="seed"/> and the step (<see cref="DropoutGraphOp.StepSeed"/>).</summary>
    public Value Dropout(Value x, float ratio, ulong seed, string? name = null) => Apply(new DropoutGraphOp(ratio, seed), name, x)[0];
    /// <summary>Scaled dot-product attention of <paramref name="q"/>, <paramref name="k"/> and <paramref name="v"/> with an optional additive or boolean <paramref name="mask"/> (<see cref="AttentionParams"/>: scale, causal).</summary>
    public Value Attention(Value q, Value k, Value v, Value? mask, AttentionParams p, string? name = null) =>
        mask is null ? Apply(new AttentionGraphOp(p), name, q, k, v)[0] : Apply(new AttentionGraphOp(p), name, q, k, v, mask)[0];

    // Optimizer steps
    /// <summary>Adam over n tensors (the ONNX training Adam operator): <paramref name="tensors"/> = X1..Xn, G1..Gn, V1..Vn,
    /// H1..Hn; returns X1'..Xn', V1'..Vn', H1'..Hn'. The learning rate (float32 scalar) and the count of steps already
    /// taken (int64 scalar) are values read at run time and replace LearningRate and Step of <paramref name="p"/>; the
    /// formula is the ONNX operator's whatever p.Mode says.</summary>
    public Value[] AdamStep(Value learningRate, Value step, IReadOnlyList<Value> tensors, AdamParams p, string? name = null) =>
        Apply(new AdamStepGraphOp(p), name, new[] { learningRate, step }.Concat(tensors).ToArray());
    /// <summary>Momentum over n tensors (the ONNX training Momentum operator): <paramref name="tensors"/> = X1..Xn,
    /// G1..Gn, V1..Vn; returns X1'..Xn', V1'..Vn'. The learning rate and step count are run-time values, as for
    /// <see cref="AdamStep"/>.</summary>
    public Value[] MomentumStep(Value learningRate, Value step, IReadOnlyList<Value> tensors, MomentumParams p, string? name = null) =>
        Apply(new MomentumStepGraphOp(p), name, new[] { learningRate, step }.Concat(tensors).ToArray());

    // Shape
    /// <summary><paramref name="x"/> with another shape of the same element count (one dimension may be -1, 0 keeps the input's); a view.</summary>
    public Value Reshape(Value x, params int[] shape) => Apply1(new ReshapeGraphOp(shape), null, x);
    /// <summary><paramref name="x"/> with its axes in the order <paramref name="perm"/>.</summary>
    public Value Permute(Value x, params int[] perm) => Apply1(new PermuteGraphOp(perm), null, x);
    /// <summary>Elements [start, end) of <paramref name="x"/> along <paramref name="axis"/>, every <paramref name="step"/>-th (negative indices count from the end).</summary>
    public Value Slice(Value x, int axis, int start, int end, int step = 1, string? name = null) => Apply1(new SliceGraphOp(axis, start, end, step), name, x);
    /// <summary>Joins values of one dtype along <paramref name="axis"/> (other dimensions must agree).</summary>
    public Value Concat(IReadOnlyList<Value> inputs, int axis = 0, string? name = null) =>
        Apply1(new ConcatGraphOp(axis), name, inputs?.ToArray() ?? Array.Empty<Value>());
    /// <summary>Pieces of x along <paramref name="axis"/> with the given sizes, one value per piece.</summary>
    public Value[] Split(Value x, int axis, int[] sizes, string? name = null) => Apply(new SplitGraphOp(axis, sizes), name, x);
    /// <summary><paramref name="x"/> broadcast to <paramref name="shape"/> (NumPy rules).</summary>
    public Value Expand(Value x, params int[] shape) => Apply1(new ExpandGraphOp(shape), null, x);
    /// <summary>The slices of <paramref name="data"/> along <paramref name="axis"/> named by the integer <paramref name="indices"/>.</summary>
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

    /// <summary>The gradient of a broadcast, as <see cref="Ops.ExpandBackward"/>: dy summed over the dimensions
    /// <paramref name="xShape"/> was broadcast along, down to <paramref name="xShape"/> (dy itself when the shapes are
    /// equal). Gradient rules use it to undo the broadcast of an operand.</summary>
    public Value ExpandBackward(Value dy, Shape xShape, string? name = null)
    {
        string op = name ?? nameof(ExpandBackward);
        CheckInputs(op, dy);
        ShapeRules.ExpandBackward(op, dy.Spec, xShape);
        if (dy.Shape == xShape) return dy;
        int lead = dy.Shape.Rank - xShape.Rank;
        var axes = new List<int>();
        for (int i = 0; i < dy.Shape.Rank; i++)
            if (i < lead || (xShape[i - lead] == 1 && dy.Shape[i] != 1)) axes.Add(i);
        var summed = axes.Count > 0 ? Sum(dy, axes.ToArray(), keepDims: true, name) : dy;
        return Reshape(summed, xShape.ToArray());
    }
}
