using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Slices of data selected by integer indices along an axis (embedding lookup on axis 0). The node's op holds
/// the axis resolved (<see cref="GraphOp.Resolve"/>).</summary>
public sealed class GatherGraphOp(int axis) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "Gather";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, axis);

    private (int Axis, Shape Y) Rule(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2);
        return ShapeRules.Gather(node, inputs[0].Spec, inputs[1].Spec, axis);
    }

    /// <inheritdoc/>
    public override GraphOp Resolve(string node, IReadOnlyList<Value> inputs)
    {
        int a = Rule(node, inputs).Axis;
        return a == axis ? this : new GatherGraphOp(a);
    }

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[] { new TensorSpec(Rule(node, inputs).Y, inputs[0].DType) };

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Gather(inputs[0]!, inputs[1]!, outputs[0], axis);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[]
    {
        g.Apply1(new GatherBackwardOp(axis, node.Inputs[0].Shape), $"d_{node.Name}", node.Inputs[1], outputGrads[0]!), null,
    };
}

/// <summary>dData of a gather: scatter-add of dy (inputs indices, dy).</summary>
public sealed class GatherBackwardOp(int axis, Shape dataShape) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "GatherBackward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2);
        ShapeRules.GatherBackward(node, inputs[0].Spec, inputs[1].Spec, dataShape, axis);
        return new[] { new TensorSpec(dataShape, DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.GatherBackward(inputs[0]!, inputs[1]!, outputs[0], axis);
}
