using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>y = reduce(x) over axes (empty: every axis; negative axes count from the end); gradient through
/// <see cref="ReduceBackwardOp"/>. The node's op holds the axes resolved (<see cref="GraphOp.Resolve"/>).</summary>
public sealed class ReduceGraphOp : GraphOp
{
    private readonly ReduceOp _op;
    private readonly ReduceParams _p;

    /// <summary>The reduction <paramref name="op"/> over <paramref name="axes"/> (empty: all), keeping them as size 1 when <paramref name="keepDims"/>.</summary>
    public ReduceGraphOp(ReduceOp op, int[] axes, bool keepDims)
        : this(op, new ReduceParams(axes is null ? Array.Empty<int>() : (int[])axes.Clone(), keepDims)) { }

    private ReduceGraphOp(ReduceOp op, ReduceParams p)
    {
        _op = op;
        _p = p;
    }

    /// <summary>The reduction.</summary>
    public ReduceOp Op => _op;

    /// <summary>Axes (resolved once the op is a node's) and whether they are kept.</summary>
    public ReduceParams Params => _p;
    /// <inheritdoc/>
    public override string Kind => "Reduce" + _op;
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, _p.Axes, _p.KeepDims);
    /// <inheritdoc/>
    public override string Describe() => $"{Kind}[axes {string.Join(",", _p.Axes)}{(_p.KeepDims ? ", keep" : "")}]";

    private (ReduceParams P, Shape Y) Rule(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return ShapeRules.Reduce(node, _op, inputs[0].Spec, _p.Axes, _p.KeepDims);
    }

    /// <inheritdoc/>
    public override GraphOp Resolve(string node, IReadOnlyList<Value> inputs)
    {
        var p = Rule(node, inputs).P;
        return p.Axes.AsSpan().SequenceEqual(_p.Axes) ? this : new ReduceGraphOp(_op, p);
    }

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[] { new TensorSpec(Rule(node, inputs).Y, DType.Float32) };

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Reduce(_op, inputs[0]!, outputs[0], _p);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[]
    {
        g.Apply1(new ReduceBackwardOp(_op, _p), $"d_{node.Name}", node.Inputs[0], node.Outputs[0], outputGrads[0]!),
    };

    /// <inheritdoc/>
    public override double Flops(Node node) => node.Inputs[0].Shape.ElementCount;
}

/// <summary>dx of a reduction (inputs x, y, dy).</summary>
public sealed class ReduceBackwardOp(ReduceOp op, ReduceParams p) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "Reduce" + op + "Backward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 3);
        ShapeRules.ReduceBackward(node, op, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec, p.Axes, p.KeepDims);
        return new[] { inputs[0].Spec };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.ReduceBackward(op, inputs[0]!, inputs[1]!, inputs[2]!, outputs[0], p);
}

/// <summary>Int64 index of the maximum along one axis (first occurrence, or the last with selectLastIndex; no gradient).
/// The node's op holds the axis resolved (<see cref="GraphOp.Resolve"/>).</summary>
public sealed class ArgMaxGraphOp(ArgReduceParams p) : GraphOp
{
    /// <summary>Argmax along <paramref name="axis"/> (negative counts from the end).</summary>
    public ArgMaxGraphOp(int axis, bool keepDims = false, bool selectLastIndex = false) : this(new ArgReduceParams(axis, keepDims, selectLastIndex)) { }

    /// <inheritdoc/>
    public override string Kind => "ArgMax";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, p);
    /// <inheritdoc/>
    public override string Describe() => $"ArgMax[axis {p.Axis}{(p.KeepDims ? ", keepdims" : "")}{(p.SelectLastIndex ? ", last" : "")}]";

    private (ArgReduceParams P, Shape Y) Rule(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return ShapeRules.ArgMax(node, inputs[0].Spec, p.Axis, p.KeepDims, p.SelectLastIndex);
    }

    /// <inheritdoc/>
    public override GraphOp Resolve(string node, IReadOnlyList<Value> inputs)
    {
        var r = Rule(node, inputs).P;
        return r == p ? this : new ArgMaxGraphOp(r);
    }

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[] { new TensorSpec(Rule(node, inputs).Y, DType.Int64) };

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.ArgMax(inputs[0]!, outputs[0], p);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[] { null };
}

/// <summary>Softmax or log-softmax along an axis; gradient through <see cref="SoftmaxBackwardOp"/>. The node's op holds
/// the axis resolved (<see cref="GraphOp.Resolve"/>).</summary>
public sealed class SoftmaxGraphOp(SoftmaxParams p) : GraphOp
{
    /// <summary>Softmax (or, with <paramref name="log"/>, log-softmax) along <paramref name="axis"/> (negative counts from the end).</summary>
    public SoftmaxGraphOp(int axis, bool log) : this(new SoftmaxParams(axis, log)) { }

    /// <summary>Axis (resolved once the op is a node's) and whether the log is taken.</summary>
    public SoftmaxParams Params => p;
    /// <inheritdoc/>
    public override string Kind => p.Log ? "LogSoftmax" : "Softmax";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, p);

    private SoftmaxParams Rule(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return ShapeRules.Softmax(node, inputs[0].Spec, p.Axis, p.Log);
    }

    /// <inheritdoc/>
    public override GraphOp Resolve(string node, IReadOnlyList<Value> inputs)
    {
        var r = Rule(node, inputs);
        return r == p ? this : new SoftmaxGraphOp(r);
    }

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Rule(node, inputs);
        return new[] { inputs[0].Spec };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Softmax(inputs[0]!, outputs[0], p);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[]
    {
        g.Apply1(new SoftmaxBackwardOp(p), $"d_{node.Name}", node.Outputs[0], outputGrads[0]!),
    };

    /// <inheritdoc/>
    public override double Flops(Node node) => 5.0 * node.Inputs[0].Shape.ElementCount;
}

/// <summary>dx of softmax from its output y and dy.</summary>
public sealed class SoftmaxBackwardOp(SoftmaxParams p) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => p.Log ? "LogSoftmaxBackward" : "SoftmaxBackward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2);
        ShapeRules.SoftmaxBackward(node, inputs[0].Spec, inputs[1].Spec, p.Axis, p.Log);
        return new[] { inputs[0].Spec };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.SoftmaxBackward(inputs[0]!, inputs[1]!, outputs[0], p);
}
