using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Fused scaled dot-product attention (inputs q, k, v and an optional additive mask; outputs o and lse).</summary>
public sealed class AttentionGraphOp(AttentionParams p) : GraphOp
{
    /// <summary>The attention's settings.</summary>
    public AttentionParams Params => p;
    /// <inheritdoc/>
    public override string Kind => "Attention";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, p.Scale, p.Causal);
    /// <inheritdoc/>
    public override string Describe() => $"Attention[{(p.Causal ? "causal" : "full")}]";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 3, 4);
        var (o, lse) = ShapeRules.Attention(node, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec, inputs.Count > 3 ? inputs[3].Spec : null, p);
        return new[] { new TensorSpec(o, DType.Float32), new TensorSpec(lse, DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Attention(inputs[0]!, inputs[1]!, inputs[2]!, inputs.Count > 3 ? inputs[3] : null, outputs[0], outputs[1], p);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads)
    {
        var ins = new List<Value>(node.Inputs) { node.Outputs[0], node.Outputs[1], outputGrads[0]! };
        var d = g.Apply(new AttentionBackwardOp(p, node.Inputs.Count > 3), $"d_{node.Name}", ins.ToArray());
        return node.Inputs.Count > 3 ? new Value?[] { d[0], d[1], d[2], null } : new Value?[] { d[0], d[1], d[2] };
    }

    /// <inheritdoc/>
    public override double Flops(Node node)
    {
        var q = node.Inputs[0].Shape;
        var k = node.Inputs[1].Shape;
        var v = node.Inputs[2].Shape;
        double full = 2.0 * q[0] * q[1] * q[2] * k[2] * (q[3] + v[3]);
        return p.Causal ? full / 2 : full;
    }
}

/// <summary>Attention backward (inputs q, k, v, [mask], o, lse, dO; outputs dq, dk, dv).</summary>
public sealed class AttentionBackwardOp(AttentionParams p, bool hasMask) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "AttentionBackward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        int b = hasMask ? 4 : 3;
        Check.InputCount(node, inputs.Count, b + 3);
        ShapeRules.AttentionBackward(node, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec, hasMask ? inputs[3].Spec : null,
            inputs[b].Spec, inputs[b + 1].Spec, inputs[b + 2].Spec, p);
        return new[] { inputs[0].Spec, inputs[1].Spec, inputs[2].Spec };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        int b = hasMask ? 4 : 3;
        ctx.Kernels.AttentionBackward(inputs[0]!, inputs[1]!, inputs[2]!, hasMask ? inputs[3] : null, inputs[b]!, inputs[b + 1]!, inputs[b + 2]!,
            outputs[0], outputs[1], outputs[2], p);
    }

    /// <inheritdoc/>
    public override double Flops(Node node)
    {
        var q = node.Inputs[0].Shape;
        var k = node.Inputs[1].Shape;
        double full = 2.5 * 2.0 * q[0] * q[1] * q[2] * k[2] * (q[3] + node.Inputs[2].Shape[3]);
        return p.Causal ? full / 2 : full;
    }
}
