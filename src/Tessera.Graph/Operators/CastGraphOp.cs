using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>The input converted to <paramref name="dtype"/> (float → integer truncates toward zero; → Bool is "non-zero").
/// The gradient passes through a Float32 → Float32 cast only.</summary>
public sealed class CastGraphOp(DType dtype) : GraphOp
{
    /// <summary>The target element type.</summary>
    public DType To => dtype;
    /// <inheritdoc/>
    public override string Kind => "Cast";
    /// <inheritdoc/>
    public override string Describe() => $"Cast[{dtype}]";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, dtype);

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return new[] { new TensorSpec(ShapeRules.Cast(node, inputs[0].Spec, dtype), dtype) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        if (inputs[0]!.DType == dtype) ctx.Kernels.Copy(inputs[0]!, outputs[0]);
        else ctx.Kernels.Cast(inputs[0]!, outputs[0]);
    }

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) =>
        new Value?[] { node.Inputs[0].DType == DType.Float32 && dtype == DType.Float32 ? outputGrads[0] : null };
}
