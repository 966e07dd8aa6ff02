using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>A tensor of one value (the seed of backpropagation: ones shaped like the loss).</summary>
public sealed class FillOp(Shape shape, DType dtype, double value) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "Fill";
    /// <inheritdoc/>
    public override string Describe() => $"Fill[{value}]";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, shape, dtype, value);

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 0);
        return new[] { new TensorSpec(ShapeRules.Fill(node, new TensorSpec(shape, dtype), value), dtype) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Fill(outputs[0], value);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => Array.Empty<Value?>();
}
