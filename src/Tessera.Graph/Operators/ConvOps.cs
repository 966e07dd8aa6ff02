using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>2-D convolution x [N, C, H, W] * w [O, C/G, KH, KW] (+ b [O]), with the fused epilogue of its parameters:
/// y = act(conv + b + residual). Inputs x, w, then b when the node has 3 inputs without a residual or 4 with one, then
/// the residual (of y's shape) when <paramref name="residual"/> is set. A fused convolution (activation or residual)
/// has no gradient rule: fused operators are for inference graphs.</summary>
public sealed class Conv2dGraphOp(Conv2dParams p, bool residual = false) : GraphOp
{
    /// <summary>The convolution's geometry.</summary>
    public Conv2dParams Params => p;

    /// <summary>Whether the last input is a residual added before the activation.</summary>
    public bool HasResidual => residual;

    /// <inheritdoc/>
    public override string Kind => "Conv2d";
    // The epilogue's parameters go in separately: Epilogue.ToString rounds them for display.
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, p, p.Epilogue.Params, residual);
    /// <inheritdoc/>
    public override string Describe() =>
        $"Conv2d[s{p.StrideH}x{p.StrideW} p{p.PadTop},{p.PadLeft},{p.PadBottom},{p.PadRight} d{p.DilationH}x{p.DilationW} g{p.Groups}" +
        $"{(residual ? " +residual" : "")}{(p.Epilogue.IsNone ? "" : $" {p.Epilogue}")}]";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        int extra = residual ? 1 : 0;
        Check.InputCount(node, inputs.Count, 2 + extra, 3 + extra);
        var (bias, res) = Optional(inputs);
        var y = ShapeRules.Conv2d(node, inputs[0].Spec, inputs[1].Spec, bias?.Spec, p, res?.Spec);
        return new[] { new TensorSpec(y, DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        var (bias, res) = Optional(inputs);
        Tensor x = inputs[0]!, w = inputs[1]!, y = outputs[0];
        var packed = ctx.Packs.Get(ctx, 1, w, (x, w, y, p), static (k, s) => k.PackConv2dWeight(s.x, s.w, s.y, s.p));
        if (packed is not null) ((IOperandPacking)ctx.Kernels).Conv2dPacked(x, w, packed, bias, res, y, p);
        else ctx.Kernels.Conv2d(x, w, bias, res, y, p);
    }

    /// <summary>The bias and residual among the inputs (null where absent).</summary>
    private (T? Bias, T? Residual) Optional<T>(IReadOnlyList<T> inputs) where T : class?
    {
        int n = inputs.Count;
        T? res = residual ? inputs[n - 1] : null;
        T? bias = n - (residual ? 1 : 0) > 2 ? inputs[2] : null;
        return (bias, res);
    }

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads)
    {
        if (residual || !p.Epilogue.IsNone)
        {
            string fused = string.Join(", ", new[] { residual ? "residual" : null, p.Epilogue.IsNone ? null : p.Epilogue.ToString() }.OfType<string>());
            throw new TesseraArgumentException($"Autodiff ({node.Name})", "epilogue",
                $"a convolution with a fused epilogue ({fused}) has no gradient: fused operators are for inference graphs");
        }
        var dy = outputGrads[0]!;
        Value x = node.Inputs[0], w = node.Inputs[1];
        var dx = g.RequiresGrad(x) ? g.Apply1(new Conv2dBackwardDataOp(p, x.Shape), $"d_{node.Name}_x", dy, w) : null;
        var dw = g.RequiresGrad(w) ? g.Apply1(new Conv2dBackwardWeightOp(p, w.Shape), $"d_{node.Name}_w", x, dy) : null;
        if (node.Inputs.Count == 2) return new[] { dx, dw };
        var db = g.RequiresGrad(node.Inputs[2]) ? g.Apply1(new Conv2dBackwardBiasOp(), $"d_{node.Name}_b", dy) : null;
        return new[] { dx, dw, db };
    }

    /// <inheritdoc/>
    public override double Flops(Node node)
    {
        var w = node.Inputs[1].Shape;
        return 2.0 * node.Outputs[0].Shape.ElementCount * w[1] * w[2] * w[3];
    }
}

/// <summary>dx of a convolution (inputs dy, w).</summary>
public sealed class Conv2dBackwardDataOp(Conv2dParams p, Shape xShape) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "Conv2dBackwardData";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2);
        return new[] { new TensorSpec(ShapeRules.Conv2dBackwardData(node, inputs[0].Spec, inputs[1].Spec, xShape, p), DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Conv2dBackwardData(inputs[0]!, inputs[1]!, outputs[0], p);

    /// <inheritdoc/>
    public override double Flops(Node node)
    {
        var w = node.Inputs[1].Shape;
        return 2.0 * node.Inputs[0].Shape.ElementCount * w[1] * w[2] * w[3];
    }
}

/// <summary>dw of a convolution (inputs x, dy).</summary>
public sealed class Conv2dBackwardWeightOp(Conv2dParams p, Shape wShape) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "Conv2dBackwardWeight";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2);
        return new[] { new TensorSpec(ShapeRules.Conv2dBackwardWeight(node, inputs[0].Spec, inputs[1].Spec, wShape, p), DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Conv2dBackwardWeight(inputs[0]!, inputs[1]!, outputs[0], p);

    /// <inheritdoc/>
    public override double Flops(Node node) => 2.0 * node.Inputs[1].Shape.ElementCount * wShape[1] * wShape[2] * wShape[3];
}

/// <summary>db of a convolution (input dy).</summary>
public sealed class Conv2dBackwardBiasOp : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "Conv2dBackwardBias";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return new[] { new TensorSpec(ShapeRules.Conv2dBackwardBias(node, inputs[0].Spec), DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Conv2dBackwardBias(inputs[0]!, outputs[0]);
}

/// <summary>Max or average pooling over NCHW. Max pooling also outputs the int64 argmax indices for its gradient,
/// unless <paramref name="indices"/> is false (an inference graph whose indices nobody reads: see
/// <see cref="Optimization.MaxPoolIndicesElimination"/>); such a node has no gradient.</summary>
public sealed class Pool2dGraphOp(bool max, Pool2dParams p, bool indices = true) : GraphOp
{
    /// <summary>Whether this is max pooling (else average pooling).</summary>
    public bool IsMax => max;

    /// <summary>Whether a max pooling node also outputs its argmax indices.</summary>
    public bool HasIndices => max && indices;

    /// <summary>The pooling parameters.</summary>
    public Pool2dParams Params => p;

    /// <inheritdoc/>
    public override string Kind => max ? "MaxPool2d" : "AvgPool2d";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, p, HasIndices);
    /// <inheritdoc/>
    public override string Describe() => $"{Kind}[k{p.KernelH}x{p.KernelW} s{p.StrideH}x{p.StrideW}{(p.CeilMode ? " ceil" : "")}{(max && !indices ? " no indices" : "")}]";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        if (!max) return new[] { new TensorSpec(ShapeRules.AvgPool2d(node, inputs[0].Spec, p), DType.Float32) };
        var y = ShapeRules.MaxPool2d(node, inputs[0].Spec, p);
        return indices ? new[] { new TensorSpec(y, DType.Float32), new TensorSpec(y, DType.Int64) } : new[] { new TensorSpec(y, DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        if (max) ctx.Kernels.MaxPool2d(inputs[0]!, outputs[0], indices ? outputs[1] : null, p);
        else ctx.Kernels.AvgPool2d(inputs[0]!, outputs[0], p);
    }

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => max && !indices
        ? throw new TesseraArgumentException($"Autodiff ({node.Name})", "indices",
            "a max pooling without its indices has no gradient: it is for inference graphs")
        : new Value?[]
    {
        max
            ? g.Apply1(new Pool2dBackwardOp(true, p, node.Inputs[0].Shape), $"d_{node.Name}", outputGrads[0]!, node.Outputs[1])
            : g.Apply1(new Pool2dBackwardOp(false, p, node.Inputs[0].Shape), $"d_{node.Name}", outputGrads[0]!),
    };

    /// <inheritdoc/>
    public override double Flops(Node node) => (double)node.Outputs[0].Shape.ElementCount * p.KernelH * p.KernelW;
}

/// <summary>dx of pooling (inputs dy and, for max pooling, the indices).</summary>
public sealed class Pool2dBackwardOp(bool max, Pool2dParams p, Shape xShape) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => max ? "MaxPool2dBackward" : "AvgPool2dBackward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, max ? 2 : 1);
        var dx = max
            ? ShapeRules.MaxPool2dBackward(node, inputs[0].Spec, inputs[1].Spec, xShape, p)
            : ShapeRules.AvgPool2dBackward(node, inputs[0].Spec, xShape, p);
        return new[] { new TensorSpec(dx, DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        if (max) ctx.Kernels.MaxPool2dBackward(inputs[0]!, inputs[1]!, outputs[0], p);
        else ctx.Kernels.AvgPool2dBackward(inputs[0]!, outputs[0], p);
    }
}
