using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>How an <see cref="AttentionGraphOp"/> reads q, k and v and writes its output: each operand as a view of its
/// input with the input's axes in the given order, the output as the [B, H, Tq, Dv] result with its axes in the given
/// order (null: as it is), so the transposes that split and merge heads are read and written in place instead of
/// copied (<see cref="Optimization.TransposeReshapeElimination"/> folds such permutations into the op).</summary>
public sealed class AttentionOperands(int[]? q, int[]? k, int[]? v, int[]? o = null)
{
    private readonly int[]? _q = q?.ToArray(), _k = k?.ToArray(), _v = v?.ToArray(), _o = o?.ToArray();

    /// <summary>q's permutation of input 0's axes, or null.</summary>
    public IReadOnlyList<int>? Q => _q;
    /// <summary>k's permutation of input 1's axes, or null.</summary>
    public IReadOnlyList<int>? K => _k;
    /// <summary>v's permutation of input 2's axes, or null.</summary>
    public IReadOnlyList<int>? V => _v;

    /// <summary>The output's permutation of the [B, H, Tq, Dv] result's axes (output 0 is that result permuted: the
    /// merge of the heads written in place), or null.</summary>
    public IReadOnlyList<int>? O => _o;

    /// <summary>The permutation of operand <paramref name="i"/> (0 q, 1 k, 2 v, 3 the output), or null.</summary>
    internal int[]? Of(int i) => i switch { 0 => _q, 1 => _k, 2 => _v, 3 => _o, _ => null };

    /// <summary><paramref name="of"/> (null: none permuted) with operand <paramref name="i"/>'s permutation replaced;
    /// null when none is left.</summary>
    internal static AttentionOperands? With(AttentionOperands? of, int i, int[]? perm)
    {
        int[]?[] all = [of?._q, of?._k, of?._v, of?._o];
        all[i] = perm;
        return all.All(a => a is null) ? null : new AttentionOperands(all[0], all[1], all[2], all[3]);
    }

    /// <summary>The permuted operands, as "q[0,2,1,3] k[0,2,1,3]".</summary>
    public override string ToString() => string.Join(" ", new[] { ("q", _q), ("k", _k), ("v", _v), ("o", _o) }
        .Where(o => o.Item2 is not null).Select(o => $"{o.Item1}[{string.Join(",", o.Item2!)}]"));
}

/// <summary>Fused scaled dot-product attention (inputs q, k, v and an optional additive mask; outputs o and lse). With
/// <see cref="Operands"/>, q, k and v are views of the inputs (their axes permuted), read in place, and output 0 is the
/// result with its axes permuted, written in place.</summary>
public sealed class AttentionGraphOp(AttentionParams p, AttentionOperands? operands = null) : GraphOp
{
    /// <summary>The attention's settings.</summary>
    public AttentionParams Params => p;
    /// <summary>How q, k and v are read from the inputs and the result written (null: the inputs are q, k and v, and
    /// output 0 is the [B, H, Tq, Dv] result).</summary>
    public AttentionOperands? Operands => operands;
    /// <inheritdoc/>
    public override string Kind => "Attention";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, p.Scale, p.Causal, operands?.ToString() ?? "");
    /// <inheritdoc/>
    public override string Describe() => $"Attention[{(p.Causal ? "causal" : "full")}{(operands is null ? "" : " " + operands)}]";

    /// <summary>The spec of operand <paramref name="i"/> (input i seen through its permutation).</summary>
    private TensorSpec OperandSpec(string node, IReadOnlyList<Value> inputs, int i) =>
        operands?.Of(i) is { } perm ? new TensorSpec(ShapeRules.Permute(node, inputs[i].Shape, perm).Y, inputs[i].DType) : inputs[i].Spec;

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 3, 4);
        var (o, lse) = ShapeRules.Attention(node, OperandSpec(node, inputs, 0), OperandSpec(node, inputs, 1), OperandSpec(node, inputs, 2),
            inputs.Count > 3 ? inputs[3].Spec : null, p);
        if (operands?.Of(3) is { } perm) o = ShapeRules.Permute(node, o, perm).Y;
        return new[] { new TensorSpec(o, DType.Float32), new TensorSpec(lse, DType.Float32) };
    }

    /// <summary>Operand <paramref name="i"/> of this run: the input, or its permuted view (made once per plan).</summary>
    private Tensor Operand(ExecContext ctx, IReadOnlyList<Tensor?> inputs, int i)
    {
        var x = inputs[i]!;
        return operands?.Of(i) is { } perm ? ctx.Views.Get(this, x, i) ?? ctx.Views.Add(this, x, i, x.Permute(perm)) : x;
    }

    /// <summary>The kernel's [B, H, Tq, Dv] output: output 0, or its view through the inverse of the output permutation.</summary>
    private Tensor Result(ExecContext ctx, Tensor y) =>
        operands?.Of(3) is { } perm
            ? ctx.Views.Get(this, y, 3) ?? ctx.Views.Add(this, y, 3, y.Permute(ShapeRules.PermuteBackward(Kind, y.Shape, perm)))
            : y;

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Attention(Operand(ctx, inputs, 0), Operand(ctx, inputs, 1), Operand(ctx, inputs, 2), inputs.Count > 3 ? inputs[3] : null,
            Result(ctx, outputs[0]), outputs[1], p);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads)
    {
        // Permuted operands are made explicit for the backward op, and their gradients permuted back to the inputs.
        var qkv = new Value[3];
        for (int i = 0; i < 3; i++)
            qkv[i] = operands?.Of(i) is { } perm ? g.Apply1(new PermuteGraphOp(perm), $"{node.Name}:operand{i}", node.Inputs[i]) : node.Inputs[i];
        var ins = new List<Value>(qkv);
        if (node.Inputs.Count > 3) ins.Add(node.Inputs[3]);
        Value o = node.Outputs[0], dO = outputGrads[0]!;
        if (operands?.Of(3) is { } outPerm)
        {
            // The backward op takes the result and its gradient as [B, H, Tq, Dv].
            var back = ShapeRules.PermuteBackward(node.Name, o.Shape, outPerm);
            o = g.Apply1(new PermuteGraphOp(back), $"{node.Name}:result", o);
            dO = g.Apply1(new PermuteGraphOp(back), $"d_{node.Name}:result", dO);
        }
        ins.AddRange([o, node.Outputs[1], dO]);
        var d = g.Apply(new AttentionBackwardOp(p, node.Inputs.Count > 3), $"d_{node.Name}", ins.ToArray());
        var grads = new Value?[node.Inputs.Count];
        for (int i = 0; i < 3; i++)
            grads[i] = operands?.Of(i) is { } perm
                ? g.Apply1(new PermuteGraphOp(ShapeRules.PermuteBackward(node.Name, qkv[i].Shape, perm)), $"d_{node.Name}:input{i}", d[i])
                : d[i];
        return grads;
    }

    /// <inheritdoc/>
    public override double Flops(Node node)
    {
        var q = OperandSpec(node.Name, node.Inputs, 0).Shape;
        var k = OperandSpec(node.Name, node.Inputs, 1).Shape;
        var v = OperandSpec(node.Name, node.Inputs, 2).Shape;
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
