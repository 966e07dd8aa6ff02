using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Fused scaled dot-product attention (inputs q, k, v and an optional additive mask; outputs o and lse).</summary>
public sealed class AttentionGraphOp(AttentionParams p) : GraphOp
{
    public override string Kind => "Attention";
    public override string Describe() => $"Attention[{(p.Causal ? "causal" : "full")}]";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.CountBetween(node, inputs, 3, 4);
        foreach (var v in inputs) GraphChecks.Float32(node, v, v.Name);
        var (o, lse) = ShapeRules.Attention(node, inputs[0].Shape, inputs[1].Shape, inputs[2].Shape, inputs.Count > 3 ? (Shape?)inputs[3].Shape : null);
        return new[] { new OutputSpec(o, DType.Float32), new OutputSpec(lse, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) =>
        ctx.Kernels.Attention(i[0]!, i[1]!, i[2]!, i.Count > 3 ? i[3] : null, o[0], o[1], p);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut)
    {
        var ins = new List<Value>(n.Inputs) { n.Outputs[0], n.Outputs[1], dOut[0]! };
        var d = g.Apply(new AttentionBackwardOp(p, n.Inputs.Count > 3), $"d_{n.Name}", ins.ToArray());
        return n.Inputs.Count > 3 ? new Value?[] { d[0], d[1], d[2], null } : new Value?[] { d[0], d[1], d[2] };
    }

    public override double Flops(Node n)
    {
        var q = n.Inputs[0].Shape;
        var k = n.Inputs[1].Shape;
        var v = n.Inputs[2].Shape;
        double full = 2.0 * q[0] * q[1] * q[2] * k[2] * (q[3] + v[3]);
        return p.Causal ? full / 2 : full;
    }
}

/// <summary>Attention backward (inputs q, k, v, [mask], o, lse, dO; outputs dq, dk, dv).</summary>
public sealed class AttentionBackwardOp(AttentionParams p, bool hasMask) : GraphOp
{
    public override string Kind => "AttentionBackward";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[]
    {
        new OutputSpec(inputs[0].Shape, DType.Float32), new OutputSpec(inputs[1].Shape, DType.Float32), new OutputSpec(inputs[2].Shape, DType.Float32),
    };

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o)
    {
        int b = hasMask ? 4 : 3;
        ctx.Kernels.AttentionBackward(i[0]!, i[1]!, i[2]!, hasMask ? i[3] : null, i[b]!, i[b + 1]!, i[b + 2]!, o[0], o[1], o[2], p);
    }

    public override double Flops(Node n)
    {
        var q = n.Inputs[0].Shape;
        var k = n.Inputs[1].Shape;
        double full = 2.5 * 2.0 * q[0] * q[1] * q[2] * k[2] * (q[3] + n.Inputs[2].Shape[3]);
        return p.Causal ? full / 2 : full;
    }
}
