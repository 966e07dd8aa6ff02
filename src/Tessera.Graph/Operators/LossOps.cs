using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Fused log-softmax + NLL from logits [N, C] and targets (int64 [N] or float32 [N, C]).</summary>
public sealed class CrossEntropyGraphOp(CrossEntropyParams p) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "CrossEntropy";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2);
        return new[] { new TensorSpec(ShapeRules.CrossEntropy(node, inputs[0].Spec, inputs[1].Spec, p), DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.CrossEntropy(inputs[0]!, inputs[1]!, outputs[0], p);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[]
    {
        g.Apply1(new CrossEntropyBackwardOp(p), $"d_{node.Name}", node.Inputs[0], node.Inputs[1], outputGrads[0]!), null,
    };

    /// <inheritdoc/>
    public override double Flops(Node node) => 5.0 * node.Inputs[0].Shape.ElementCount;
}

/// <summary>dlogits of cross-entropy (inputs logits, target, dloss).</summary>
public sealed class CrossEntropyBackwardOp(CrossEntropyParams p) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "CrossEntropyBackward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 3);
        ShapeRules.CrossEntropyBackward(node, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec, p);
        return new[] { inputs[0].Spec };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.CrossEntropyBackward(inputs[0]!, inputs[1]!, inputs[2]!, outputs[0], p);
}

/// <summary>Mean squared error between a and b.</summary>
public sealed class MseGraphOp(LossReduction reduction) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "MseLoss";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2);
        return new[] { new TensorSpec(ShapeRules.MseLoss(node, inputs[0].Spec, inputs[1].Spec, reduction), DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.MseLoss(inputs[0]!, inputs[1]!, outputs[0], reduction);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads)
    {
        var da = g.Apply1(new MseBackwardOp(reduction), $"d_{node.Name}", node.Inputs[0], node.Inputs[1], outputGrads[0]!);
        var db = g.Apply1(new UnaryGraphOp(UnaryOp.Neg), $"d_{node.Name}_b", da);
        return new Value?[] { da, db };
    }
}

/// <summary>da of MSE (inputs a, b, dloss).</summary>
public sealed class MseBackwardOp(LossReduction reduction) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "MseLossBackward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 3);
        ShapeRules.MseLossBackward(node, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec, reduction);
        return new[] { inputs[0].Spec };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.MseLossBackward(inputs[0]!, inputs[1]!, inputs[2]!, outputs[0], reduction);
}
