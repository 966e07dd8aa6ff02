using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>Collapses chains of layout ops: a permutation of a permutation becomes one (or nothing when they cancel), a
/// reshape of a reshape one reshape, a matrix product whose operand is a transpose of the last two axes reads the
/// untransposed operand with its transposition flag flipped, and attention whose q, k or v is a permutation (the
/// split of a projection into heads) reads that operand through a permuted view of its input (the copies disappear).</summary>
public sealed class TransposeReshapeElimination : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "transpose-reshape";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.All;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        foreach (var node in rewriter.Graph.Nodes)
        {
            switch (node.Op)
            {
                case PermuteGraphOp outer when GraphRewriter.Computes<PermuteGraphOp>(node.Inputs[0], out var innerNode, out var inner):
                {
                    var x = innerNode.Inputs[0];
                    var perm = Permutation.Compose(inner.Perm, outer.Perm);
                    if (Permutation.IsIdentity(perm)) rewriter.Bypass(node, new[] { x }, "cancelled with the permutation before it");
                    else
                        rewriter.Replace(new[] { node }, node.Outputs, e => new[] { e.Builder.Apply1(new PermuteGraphOp(perm), node.Name, e[x]) },
                            "composed with the permutation before it");
                    break;
                }
                case ReshapeGraphOp when GraphRewriter.Computes<ReshapeGraphOp>(node.Inputs[0], out var innerNode, out _):
                {
                    var x = innerNode.Inputs[0];
                    var shape = node.Outputs[0].Shape.ToArray();
                    rewriter.Replace(new[] { node }, node.Outputs, e => new[] { e.Builder.Apply1(new ReshapeGraphOp(shape), node.Name, e[x]) },
                        "composed with the reshape before it");
                    break;
                }
                case GemmGraphOp gemm:
                    FoldTransposes(rewriter, node, gemm);
                    break;
                case AttentionGraphOp attention:
                    FoldOperandPermutations(rewriter, node, attention);
                    break;
            }
        }
    }

    /// <summary>Gemm(Permute(a) or a, Permute(b) or b): an operand that is a last-two-axes transpose read by this node only
    /// is read untransposed, the flag flipped.</summary>
    private static void FoldTransposes(GraphRewriter r, Node node, GemmGraphOp gemm)
    {
        var ins = node.Inputs.ToArray();
        var p = gemm.Params;
        bool changed = false;
        for (int k = 0; k < 2; k++)
        {
            if (!GraphRewriter.Computes<PermuteGraphOp>(ins[k], out var t, out var perm) || !Permutation.SwapsLastTwo(perm.Perm) || !r.HasSingleUse(ins[k])) continue;
            ins[k] = t.Inputs[0];
            p = k == 0 ? p with { TransA = !p.TransA } : p with { TransB = !p.TransB };
            changed = true;
        }
        if (!changed) return;
        var q = p;
        r.Replace(new[] { node }, node.Outputs, e => new[] { e.Builder.Apply1(new GemmGraphOp(q), node.Name, ins.Select(v => e[v]).ToArray()) },
            "read a transposed operand in place");
    }

    /// <summary>Attention(Permute(x) or x, …) for q, k and v: an operand that is a permutation read by this node only is
    /// read as a permuted view of the permutation's input (composed with any permutation the op already reads it
    /// through); and a permutation that is the only reader of the attention's output is written in place, the op's
    /// output permuted. The kernels take strided operands and a strided output (rows of Dv contiguous).</summary>
    private static void FoldOperandPermutations(GraphRewriter r, Node node, AttentionGraphOp attention)
    {
        var ins = node.Inputs.ToArray();
        var operands = attention.Operands;
        var nodes = new List<Node> { node };
        var outputs = node.Outputs.ToArray();
        for (int i = 0; i < 3; i++)
        {
            if (!GraphRewriter.Computes<PermuteGraphOp>(ins[i], out var t, out var perm) || !r.HasSingleUse(ins[i])) continue;
            var composed = operands?.Of(i) is { } inner ? Permutation.Compose(perm.Perm, inner) : perm.Perm.ToArray();
            operands = AttentionOperands.With(operands, i, Permutation.IsIdentity(composed) ? null : composed);
            ins[i] = t.Inputs[0];
        }
        // The heads' merge: a permutation whose reader is not another permutation (which may fold it in this pass).
        if (r.SingleUser(node.Outputs[0]) is { Op: PermuteGraphOp merge } m && m.Inputs[0] == node.Outputs[0]
            && r.SingleUser(m.Outputs[0]) is not { Op: PermuteGraphOp })
        {
            var composed = operands?.Of(3) is { } inner ? Permutation.Compose(inner, merge.Perm) : merge.Perm.ToArray();
            operands = AttentionOperands.With(operands, 3, Permutation.IsIdentity(composed) ? null : composed);
            nodes.Add(m);
            outputs[0] = m.Outputs[0];
        }
        if (nodes.Count == 1 && ins.SequenceEqual(node.Inputs)) return;
        var op = new AttentionGraphOp(attention.Params, operands);
        r.Replace(nodes, outputs, e => e.Builder.Apply(op, node.Name, ins.Select(v => e[v]).ToArray()),
            nodes.Count > 1 ? "read permuted operands and wrote the permuted result in place" : "read permuted operands in place");
    }
}
