using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Same elements, new shape (one dimension may be −1): the output shares the input's memory (no kernel runs).</summary>
public sealed class ReshapeGraphOp(int[] shape) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "Reshape";
    /// <inheritdoc/>
    public override string Describe() => $"Reshape[{string.Join(",", shape)}]";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, shape);
    /// <inheritdoc/>
    public override int AliasInput => 0;

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return new[] { new TensorSpec(ShapeRules.Reshape(node, inputs[0].Shape, shape), inputs[0].DType) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) { }

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[]
    {
        g.Apply1(new ReshapeGraphOp(node.Inputs[0].Shape.ToArray()), $"d_{node.Name}", outputGrads[0]!),
    };
}

/// <summary>Identity in the forward pass; gradients stop here.</summary>
public sealed class StopGradientOp : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "StopGradient";
    /// <inheritdoc/>
    public override int AliasInput => 0;

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return new[] { inputs[0].Spec };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) { }
    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[] { null };
}

/// <summary>Axes reordered (a contiguous copy of the permuted view). The node's op holds the permutation resolved
/// (negative entries counted from the end, <see cref="GraphOp.Resolve"/>).</summary>
public sealed class PermuteGraphOp(int[] perm) : GraphOp
{
    /// <summary>Output axis i is input axis Perm[i] (resolved once the op is a node's).</summary>
    public IReadOnlyList<int> Perm => perm;
    /// <inheritdoc/>
    public override string Kind => "Permute";
    /// <inheritdoc/>
    public override string Describe() => $"Permute[{string.Join(",", perm)}]";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, perm);

    private (int[] Perm, Shape Y) Rule(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return ShapeRules.Permute(node, inputs[0].Shape, perm);
    }

    /// <inheritdoc/>
    public override GraphOp Resolve(string node, IReadOnlyList<Value> inputs)
    {
        var p = Rule(node, inputs).Perm;
        return p.AsSpan().SequenceEqual(perm) ? this : new PermuteGraphOp(p);
    }

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[] { new TensorSpec(Rule(node, inputs).Y, inputs[0].DType) };

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        var x = inputs[0]!;
        ctx.Kernels.Copy(ctx.Views.Get(this, x) ?? ctx.Views.Add(this, x, 0, x.Permute(perm)), outputs[0]);
    }

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[]
    {
        g.Apply1(new PermuteGraphOp(ShapeRules.PermuteBackward(node.Name, node.Outputs[0].Shape, perm)), $"d_{node.Name}", outputGrads[0]!),
    };
}

/// <summary>Broadcast to a larger shape (a contiguous copy); gradient sums over the broadcast dimensions.</summary>
public sealed class ExpandGraphOp(int[] shape) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "Expand";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, shape);

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return new[] { new TensorSpec(ShapeRules.Expand(node, inputs[0].Shape, shape), inputs[0].DType) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        var x = inputs[0]!;
        ctx.Kernels.Copy(ctx.Views.Get(this, x) ?? ctx.Views.Add(this, x, 0, x.Expand(shape)), outputs[0]);
    }

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[]
    {
        g.ExpandBackward(outputGrads[0]!, node.Inputs[0].Shape, $"d_{node.Name}"),
    };
}

/// <summary>Padding (constant, reflect or edge; negative pads crop); the float32 gradient runs the PadBackward kernel.</summary>
public sealed class PadGraphOp(PadParams p) : GraphOp
{
    /// <summary>The padding.</summary>
    public PadParams Params => p;
    /// <inheritdoc/>
    public override string Kind => "Pad";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, p.Pads, p.Mode, p.Value);
    /// <inheritdoc/>
    public override string Describe() => $"Pad[{p.Mode}, [{string.Join(",", p.Pads)}]{(p.Mode == PadMode.Constant ? $", {p.Value}" : "")}]";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return new[] { new TensorSpec(ShapeRules.Pad(node, inputs[0].Spec, p), inputs[0].DType) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Pad(inputs[0]!, outputs[0], p);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) =>
        node.Inputs[0].DType != DType.Float32 || outputGrads[0] is null
            ? new Value?[] { null }
            : new Value?[] { g.Apply1(new PadBackwardOp(p, node.Inputs[0].Shape), $"d_{node.Name}", outputGrads[0]!) };
}

/// <summary>dx of a pad (input dy): each output gradient added to the input element it was read from.</summary>
public sealed class PadBackwardOp(PadParams p, Shape xShape) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "PadBackward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return new[] { new TensorSpec(ShapeRules.PadBackward(node, inputs[0].Spec, xShape, p), DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.PadBackward(inputs[0]!, outputs[0], p);
}
