namespace Tessera.Kernels;

/// <summary>Element-wise functions of one input. Parameters come in <see cref="UnaryParams"/>.</summary>
public enum UnaryOp
{
    /// <summary>y = x (a copy).</summary>
    Identity,
    /// <summary>y = −x.</summary>
    Neg,
    /// <summary>y = |x|.</summary>
    Abs,
    /// <summary>y = eˣ.</summary>
    Exp,
    /// <summary>y = ln x (natural logarithm).</summary>
    Log,
    /// <summary>y = √x.</summary>
    Sqrt,
    /// <summary>y = 1 / x.</summary>
    Reciprocal,
    /// <summary>y = max(x, 0).</summary>
    Relu,
    /// <summary>y = x ≥ 0 ? x : Alpha·x.</summary>
    LeakyRelu,
    /// <summary>y = 1 / (1 + e^−x).</summary>
    Sigmoid,
    /// <summary>y = clamp(Alpha·x + Beta, 0, 1).</summary>
    HardSigmoid,
    /// <summary>y = tanh x.</summary>
    Tanh,
    /// <summary>y = erf x (the Gauss error function).</summary>
    Erf,
    /// <summary>GELU, exact: x·Φ(x) = 0.5·x·(1 + erf(x/√2)).</summary>
    GeluErf,
    /// <summary>GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    GeluTanh,
    /// <summary>y = x^Alpha.</summary>
    PowScalar,
    /// <summary>y = min(max(x, Alpha), Beta).</summary>
    Clamp,
    /// <summary>y = Alpha·x + Beta (scalar add and multiply).</summary>
    Affine,
    /// <summary>SiLU (swish): y = x·sigmoid(x) = x / (1 + e^−x).</summary>
    Silu,
    /// <summary>y = x·clamp(x + 3, 0, 6) / 6 (MobileNetV3's hard swish; ONNX HardSwish).</summary>
    HardSwish,
}

/// <summary>Scalars of a unary op (meaning per <see cref="UnaryOp"/>).</summary>
public readonly record struct UnaryParams(float Alpha = 0f, float Beta = 0f);

/// <summary>Element-wise functions of two inputs with NumPy broadcasting.</summary>
public enum BinaryOp
{
    /// <summary>c = a + b.</summary>
    Add,
    /// <summary>c = a − b.</summary>
    Sub,
    /// <summary>c = a·b.</summary>
    Mul,
    /// <summary>c = a / b.</summary>
    Div,
    /// <summary>c = a^b.</summary>
    Pow,
    /// <summary>c = max(a, b).</summary>
    Max,
    /// <summary>c = min(a, b).</summary>
    Min,
    /// <summary>ONNX PRelu: c = a ≥ 0 ? a : b·a (b is the slope).</summary>
    PRelu,
}

/// <summary>Element-wise comparisons with NumPy broadcasting; the result is Bool.</summary>
public enum CompareOp
{
    /// <summary>a = b.</summary>
    Equal,
    /// <summary>a &lt; b.</summary>
    Less,
    /// <summary>a ≤ b.</summary>
    LessOrEqual,
    /// <summary>a &gt; b.</summary>
    Greater,
    /// <summary>a ≥ b.</summary>
    GreaterOrEqual,
}

/// <summary>Reductions.</summary>
public enum ReduceOp
{
    /// <summary>The sum of the elements.</summary>
    Sum,
    /// <summary>The arithmetic mean of the elements.</summary>
    Mean,
    /// <summary>The largest element.</summary>
    Max,
    /// <summary>The smallest element.</summary>
    Min,
}

/// <summary>Reduction over <paramref name="Axes"/> (normalised, ascending, distinct; empty means all axes).</summary>
public sealed record ReduceParams(int[] Axes, bool KeepDims);

/// <summary>Arg-reduction (argmax) along one normalised axis.</summary>
public readonly record struct ArgReduceParams(int Axis, bool KeepDims, bool SelectLastIndex = false);

/// <summary>Softmax or log-softmax along a normalised axis.</summary>
public readonly record struct SoftmaxParams(int Axis, bool Log = false);

/// <summary>How per-sample losses are combined.</summary>
public enum LossReduction
{
    /// <summary>One loss per sample, not combined.</summary>
    None,
    /// <summary>The mean of the per-sample losses.</summary>
    Mean,
    /// <summary>The sum of the per-sample losses.</summary>
    Sum,
}

/// <summary>Cross-entropy from logits [N, C]. Targets are class indices (int64 [N]) or probabilities (float32 [N, C]).
/// With indices, samples whose target equals <paramref name="IgnoreIndex"/> contribute nothing and, for Mean, are not counted.</summary>
public readonly record struct CrossEntropyParams(LossReduction Reduction = LossReduction.Mean, long IgnoreIndex = -100, float LabelSmoothing = 0f)
{
    /// <summary>Mean reduction, ignore index −100, no smoothing (a plain <c>new()</c> would otherwise zero every field).</summary>
    public CrossEntropyParams() : this(LossReduction.Mean, -100, 0f) { }
}

/// <summary>C = act(Alpha·op(A)·op(B) + Beta·C + bias), bias broadcast to C (usually a row vector [N], broadcast over
/// rows) and act the <see cref="Kernels.Epilogue"/>'s activation (none by default). Batched over leading dimensions with
/// broadcasting.</summary>
public readonly record struct GemmParams(bool TransA = false, bool TransB = false, float Alpha = 1f, float Beta = 0f,
    Epilogue Epilogue = default)
{
    /// <summary>A plain product (Alpha = 1, Beta = 0). Note that <c>default(GemmParams)</c> has Alpha = 0.</summary>
    public GemmParams() : this(false, false, 1f, 0f) { }
}

/// <summary>2-D convolution on NCHW input with OIHW weights (I = C/Groups). Padding may be asymmetric. The forward
/// convolution computes y = act(conv(x, w) + bias + residual) with act the <see cref="Kernels.Epilogue"/>'s activation
/// (none by default) and the residual optional; the gradient kernels take no epilogue.</summary>
public readonly record struct Conv2dParams(
    int StrideH = 1, int StrideW = 1,
    int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int DilationH = 1, int DilationW = 1, int Groups = 1, Epilogue Epilogue = default)
{
    /// <summary>Symmetric stride/padding/dilation in both directions.</summary>
    public static Conv2dParams Square(int stride = 1, int pad = 0, int dilation = 1, int groups = 1) =>
        new(stride, stride, pad, pad, pad, pad, dilation, dilation, groups);

    /// <summary>Stride 1, no padding, dilation 1, one group.</summary>
    public Conv2dParams() : this(1, 1, 0, 0, 0, 0, 1, 1, 1) { }
}

/// <summary>2-D pooling window on NCHW input. Dilation applies to max pooling; CountIncludePad to average pooling.</summary>
public readonly record struct Pool2dParams(
    int KernelH, int KernelW,
    int StrideH, int StrideW,
    int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int DilationH = 1, int DilationW = 1,
    bool CeilMode = false, bool CountIncludePad = false)
{
    /// <summary>A square window: <paramref name="kernel"/>×<paramref name="kernel"/>, the same stride along both
    /// axes and the same padding on all four sides.</summary>
    public static Pool2dParams Square(int kernel, int stride, int pad = 0) =>
        new(kernel, kernel, stride, stride, pad, pad, pad, pad);
}

/// <summary>Batch normalisation over all axes but 1 (channels). Running statistics: r ← (1−Momentum)·r + Momentum·batch,
/// with the unbiased batch variance (PyTorch's convention).</summary>
public readonly record struct BatchNormParams(float Epsilon = 1e-5f, float Momentum = 0.1f)
{
    /// <summary>Epsilon 1e-5, momentum 0.1.</summary>
    public BatchNormParams() : this(1e-5f, 0.1f) { }
}

/// <summary>Layer normalisation over axes [Axis, rank) (Axis normalised).</summary>
public readonly record struct LayerNormParams(int Axis, float Epsilon = 1e-5f);

/// <summary>Inverted dropout: kept elements are scaled by 1/(1−Ratio). The mask is a pure function of (Seed, element index).</summary>
public readonly record struct DropoutParams(float Ratio, ulong Seed, bool Training = true);

/// <summary>Scaled dot-product attention. Scale defaults to 1/√D when NaN. Causal masks key j &gt; query i (top-left aligned).</summary>
public readonly record struct AttentionParams(float Scale = float.NaN, bool Causal = false)
{
    /// <summary>Scale 1/√D, not causal.</summary>
    public AttentionParams() : this(float.NaN, false) { }
}

/// <summary>Plain SGD: p ← p − lr·(g + WeightDecay·p).</summary>
public readonly record struct SgdParams(float LearningRate, float WeightDecay = 0f);

/// <summary>Which formula an optimizer step follows.</summary>
public enum OptimizerMode
{
    /// <summary>torch.optim's formulas: Step is the 1-based index of the step being taken; the learning rate is used as
    /// given; Adam corrects its moments' bias with that step; momentum starts its velocity at the first gradient.</summary>
    PyTorch,
    /// <summary>The learning rate decays over the steps already taken: Step is T, the count of steps taken so far, and
    /// the rate is lr/(1 + T·DecayFactor); regularisation (WeightDecay) is added to the gradient; Adam folds its bias
    /// correction into the rate, adds epsilon to √v before it, and shrinks the parameters by NormCoefficientPost after
    /// the step; momentum scales the first gradient (T = 0) by 1 instead of 1 − Dampening. These are the formulas of
    /// the Adam and Momentum operators of ONNX's ai.onnx.preview.training domain.</summary>
    DecayedRate,
}

/// <summary>Momentum SGD. PyTorch mode: v ← μ·v + (1−Dampening)·g' (v ← g' on the first step), p ← p − lr·(Nesterov ? g' + μ·v : v),
/// g' = g + WeightDecay·p. DecayedRate mode (the ONNX Momentum operator's formula with Alpha = Momentum, Beta = 1 − Dampening,
/// norm_coefficient = WeightDecay): learning rate decayed by DecayFactor. Step is 1-based in PyTorch mode; in DecayedRate mode it is T,
/// the count of steps already taken (T = 0 scales the gradient by 1 instead of Beta).</summary>
public readonly record struct MomentumParams(
    float LearningRate, float Momentum = 0.9f, float Dampening = 0f, float WeightDecay = 0f, bool Nesterov = false,
    long Step = 1, OptimizerMode Mode = OptimizerMode.PyTorch, float DecayFactor = 0f);

/// <summary>Adam / AdamW. Step is 1-based (the step being taken) in PyTorch mode; in DecayedRate mode it is T, the count of steps already taken.
/// Decoupled = AdamW (p ← p·(1 − lr·WeightDecay)); otherwise WeightDecay is added to the gradient (L2).
/// DecayedRate mode (the ONNX Adam operator's formula): its Alpha/Beta are Beta1/Beta2, norm_coefficient = WeightDecay, NormCoefficientPost applied after the step.</summary>
public readonly record struct AdamParams(
    float LearningRate, float Beta1 = 0.9f, float Beta2 = 0.999f, float Epsilon = 1e-8f, float WeightDecay = 0f,
    bool Decoupled = false, long Step = 1, OptimizerMode Mode = OptimizerMode.PyTorch,
    float DecayFactor = 0f, float NormCoefficientPost = 0f);

/// <summary>Padding modes.</summary>
public enum PadMode
{
    /// <summary>Pads with one constant value (<see cref="PadParams.Value"/>).</summary>
    Constant,
    /// <summary>Pads with the input mirrored about its edge, the edge element not repeated.</summary>
    Reflect,
    /// <summary>Pads by repeating the edge element.</summary>
    Edge,
}

/// <summary>Padding in ONNX layout: Pads = [begin_0, ..., begin_{r-1}, end_0, ..., end_{r-1}] (negative crops).</summary>
public sealed record PadParams(int[] Pads, PadMode Mode = PadMode.Constant, float Value = 0f);
