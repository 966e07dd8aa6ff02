using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>Collapses chains of layout ops: a permutation of a permutation becomes one (or nothing when they cancel), a
/// reshape of a reshape one reshape, and a matrix product whose operand is a transpose of the last two axes reads the
/// untransposed operand with its transposition flag flipped (the transpose's copy disappears).</summary>
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
}
