using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>c = a op b with broadcasting → Bool (no gradient).</summary>
public sealed class CompareGraphOp(CompareOp op) : GraphOp
{
    /// <summary>The comparison.</summary>
    public CompareOp Op => op;
    /// <inheritdoc/>
    public override string Kind => op.ToString();
    /// <inheritdoc/>
    public override string Signature => Kind;

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2);
        return new[] { new TensorSpec(ShapeRules.Compare(node, op, inputs[0].Spec, inputs[1].Spec), DType.Bool) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Compare(op, inputs[0]!, inputs[1]!, outputs[0]);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[] { null, null };

    /// <inheritdoc/>
    public override double Flops(Node node) => node.Outputs[0].Shape.ElementCount;
}

/// <summary>c = cond ? a : b, broadcasting all three (inputs cond, a, b). For float32 a and b the gradient is
/// da = where(cond, dc, 0), db = where(cond, 0, dc), each summed to its input's shape.</summary>
public sealed class WhereGraphOp : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "Where";
    /// <inheritdoc/>
    public override string Signature => Kind;

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 3);
        return new[] { new TensorSpec(ShapeRules.Where(node, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec), inputs[1].DType) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Where(inputs[0]!, inputs[1]!, inputs[2]!, outputs[0]);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads)
    {
        var grads = new Value?[3];
        var dc = outputGrads[0];
        if (dc is null || node.Outputs[0].DType != DType.Float32) return grads;
        var zero = g.Apply1(new FillOp(Shape.Scalar, DType.Float32, 0.0), $"d_{node.Name}_zero");
        if (g.RequiresGrad(node.Inputs[1]))
            grads[1] = g.ExpandBackward(g.Where(node.Inputs[0], dc, zero, $"d_{node.Name}_a"), node.Inputs[1].Shape, $"d_{node.Name}_a_sum");
        if (g.RequiresGrad(node.Inputs[2]))
            grads[2] = g.ExpandBackward(g.Where(node.Inputs[0], zero, dc, $"d_{node.Name}_b"), node.Inputs[2].Shape, $"d_{node.Name}_b_sum");
        return grads;
    }
}

/// <summary>y = !x for a Bool tensor (no gradient).</summary>
public sealed class LogicalNotGraphOp : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "LogicalNot";
    /// <inheritdoc/>
    public override string Signature => Kind;
    /// <inheritdoc/>
    public override int InPlaceInput => 0;

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return new[] { new TensorSpec(ShapeRules.LogicalNot(node, inputs[0].Spec), DType.Bool) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.LogicalNot(inputs[0]!, outputs[0]);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[] { null };
}
