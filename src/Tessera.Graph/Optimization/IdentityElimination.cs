using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>Bypasses nodes that return their input unchanged: a reshape, expand or cast to what the input already is,
/// an identity permutation, a full slice, zero padding, a one-piece concat or split, the identity op, dropout in
/// inference mode (or with ratio 0) when its mask is not read, and x·1, x/1, x−(+0), x+(−0). Where the graph does not
/// train it also bypasses x+(+0) and the affine map 1·x + 0, which turn a −0 into +0. An identity that produces a graph output is
/// bypassed only when its source is an intermediate that is no output itself (an output stays a value of its own).</summary>
public sealed class IdentityElimination : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "identity";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.Basic;
    /// <inheritdoc/>
    public override bool Exact => true;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        var bypassed = new Dictionary<Value, Value>();
        Value Final(Value v)
        {
            while (bypassed.TryGetValue(v, out var by)) v = by;
            return v;
        }
        foreach (var node in rewriter.Graph.Nodes)
        {
            var source = Source(rewriter, node);
            if (source is null) continue;
            var y = node.Outputs[0];
            if (GraphRewriter.IsGraphOutput(y))
            {
                var end = Final(source);
                if (end.Kind != ValueKind.Intermediate || GraphRewriter.IsGraphOutput(end)) continue;
            }
            rewriter.Bypass(node, node.Outputs.Count == 1 ? new Value?[] { source } : new Value?[] { source, null }, $"bypassed {node.Op.Describe()}");
            bypassed[y] = source;
        }
    }

    /// <summary>The input that output 0 of <paramref name="node"/> equals, or null. Multi-output nodes qualify only when
    /// their other outputs are not read (dropout's mask).</summary>
    private static Value? Source(GraphRewriter r, Node node)
    {
        var y = node.Outputs[0];
        if (node.Inputs.Count == 0) return null;
        var x = node.Inputs[0];
        bool same = x.Shape == y.Shape && x.DType == y.DType;
        switch (node.Op)
        {
            case ReshapeGraphOp or ExpandGraphOp or CastGraphOp or PadGraphOp:
            case ConcatGraphOp when node.Inputs.Count == 1:
            case SplitGraphOp when node.Outputs.Count == 1:
            case UnaryGraphOp { Op: UnaryOp.Identity }:
                return same ? x : null;
            case PermuteGraphOp p:
                return same && Permutation.IsIdentity(p.Perm) ? x : null;
            case SliceGraphOp s:
                return same && s.Step > 0 ? x : null;
            case DropoutGraphOp d:
                return same && (r.Options.Inference || d.Ratio == 0) && r.Uses(node.Outputs[1]).Count == 0 && !GraphRewriter.IsGraphOutput(node.Outputs[1]) ? x : null;
            case UnaryGraphOp { Op: UnaryOp.Affine } u:
                return same && !r.Training && u.Params == new UnaryParams(1f, 0f) ? x : null;
            case BinaryGraphOp b:
                return Neutral(r, node, b.Op);
            default:
                return null;
        }
    }

    /// <summary>x for x·1, 1·x, x/1, x−(+0), x+(−0) (exact for every x) and, where the graph does not train, x+(+0)
    /// (which turns −0 into +0); the constant must not broadcast x to a larger shape.</summary>
    private static Value? Neutral(GraphRewriter r, Node node, BinaryOp op)
    {
        Value a = node.Inputs[0], b = node.Inputs[1], y = node.Outputs[0];
        bool Is(Value c, float value) =>
            r.IsUniformConstant(c, out float v) && BitConverter.SingleToInt32Bits(v) == BitConverter.SingleToInt32Bits(value);
        Value? pick = op switch
        {
            BinaryOp.Mul => Is(b, 1) ? a : Is(a, 1) ? b : null,
            BinaryOp.Div => Is(b, 1) ? a : null,
            BinaryOp.Sub => Is(b, 0f) ? a : null,
            BinaryOp.Add => Is(b, -0f) ? a : Is(a, -0f) ? b : r.Training ? null : Is(b, 0f) ? a : Is(a, 0f) ? b : null,
            _ => null,
        };
        return pick is not null && pick.Shape == y.Shape && pick.DType == y.DType ? pick : null;
    }
}
