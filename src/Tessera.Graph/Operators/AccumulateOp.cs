using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Sum of two same-shaped gradients (where a value feeds several nodes). Runs in place on its first input.</summary>
public sealed class AccumulateOp : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "Accumulate";
    /// <inheritdoc/>
    public override int InPlaceInput => 0;

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2);
        ShapeRules.Binary(node, BinaryOp.Add, inputs[0].Spec, inputs[1].Spec);
        Check.SameShape(node, "b", inputs[1].Spec, "a", inputs[0].Spec);
        return new[] { inputs[0].Spec };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Binary(BinaryOp.Add, inputs[0]!, inputs[1]!, outputs[0]);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) =>
        new[] { outputGrads[0], outputGrads[0] };

    /// <inheritdoc/>
    public override double Flops(Node node) => node.Outputs[0].Shape.ElementCount;
}

