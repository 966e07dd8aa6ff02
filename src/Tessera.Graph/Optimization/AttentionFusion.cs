using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>Replaces softmax attention written out in matrix products by the fused Attention op:
/// Softmax(scale·(q·kᵀ) + mask)·v over [B, H, T, D] heads, as exporters write it after splitting heads with
/// Reshape/Transpose. The scores' transpose of k may be a separate Transpose (composed with the one that split the heads)
/// or the product's flag; the scale is the product's alpha times any Div/Mul by scalar constants; the mask is an Add of a
/// float mask or a Where(condition, scores, fill) of a boolean one. A constant boolean mask that keeps exactly the keys
/// j ≤ i becomes the op's causal flag; other boolean masks become the additive mask Where(condition, 0, fill).</summary>
public sealed class AttentionFusion : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "attention";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.All;

    /// <summary>The mask between the scaled scores and the softmax.</summary>
    private sealed record Mask(Value? Additive, Value? Condition, Value? Fill, bool FillWhereTrue, bool Causal);

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        foreach (var node in rewriter.Graph.Nodes)
            if (node.Op is SoftmaxGraphOp { Params.Log: false } softmax && !rewriter.IsEdited(node)
                && node.Outputs[0].Shape.Rank == 4 && softmax.Params.Axis == 3)
                TryFuse(rewriter, node);
    }

    private static void TryFuse(GraphRewriter r, Node softmax)
    {
        var nodes = new List<Node> { softmax };
        // probabilities · v
        var probs = softmax.Outputs[0];
        if (r.SingleUser(probs) is not { Op: GemmGraphOp pvOp } pv || pv.Inputs.Count != 2 || pv.Inputs[0] != probs
            || pvOp.Params is not { TransA: false, TransB: false, Alpha: 1f }) return;
        nodes.Add(pv);
        var v = pv.Inputs[1];
        // mask
        var (path, mask) = MaskOf(r, softmax.Inputs[0], nodes);
        if (mask is null) return;
        // scale
        double scale = 1;
        while (r.HasSingleUse(path) && Scaling(r, path, out var factor, out var source, out var scaleNode))
        {
            scale *= factor;
            nodes.Add(scaleNode);
            path = source;
        }
        // q · kᵀ
        if (!GraphRewriter.Computes<GemmGraphOp>(path, out var qk, out var qkOp) || !r.HasSingleUse(path) || qk.Inputs.Count != 2
            || qkOp.Params.TransA) return;
        nodes.Add(qk);
        scale *= qkOp.Params.Alpha;
        Value q = qk.Inputs[0], kx = qk.Inputs[1];
        bool kTransposed = qkOp.Params.TransB;
        var k = kTransposed ? kx.Shape : Transposed(kx.Shape);
        if (q.Shape.Rank != 4 || kx.Shape.Rank != 4 || v.Shape.Rank != 4 || !float.IsFinite((float)scale)) return;
        if (k[0] != q.Shape[0] || k[1] != q.Shape[1] || k[3] != q.Shape[3] || v.Shape[0] != q.Shape[0] || v.Shape[1] != q.Shape[1] || v.Shape[2] != k[2])
            return;
        // k: the operand itself under TransB, else its transpose (composed with a Transpose that feeds only this product).
        Value kSource = kx;
        int[]? kPerm = null;
        if (!kTransposed)
        {
            kPerm = Permutation.SwapLastTwo(4);
            if (GraphRewriter.Computes<PermuteGraphOp>(kx, out var kt, out var ktOp) && r.HasSingleUse(kx))
            {
                nodes.Add(kt);
                kSource = kt.Inputs[0];
                kPerm = Permutation.Compose(ktOp.Perm, kPerm);
                if (Permutation.IsIdentity(kPerm)) kPerm = null;
            }
        }
        var y = pv.Outputs[0];
        if (!r.CanFuse(nodes, y)) return;
        var zeroDevice = mask.Fill is null ? null : r.ConstantTensor(mask.Fill)?.Device;
        if (mask.Condition is not null && !mask.Causal && zeroDevice is null) return;
        var p = new AttentionParams((float)scale, mask.Causal);
        r.Replace(nodes, new[] { y }, e =>
        {
            var g = e.Builder;
            string name = e.Anchor.Name;
            var kv = kPerm is null ? e[kSource] : g.Apply1(new PermuteGraphOp(kPerm), $"{name}:k", e[kSource]);
            Value? m = mask.Additive is null ? null : e[mask.Additive];
            if (mask.Condition is not null && !mask.Causal)
            {
                var zero = e.Constant($"{name}:zero", zeroDevice!, [0f]);
                m = mask.FillWhereTrue
                    ? g.Where(e[mask.Condition], e[mask.Fill!], zero, $"{name}:mask")
                    : g.Where(e[mask.Condition], zero, e[mask.Fill!], $"{name}:mask");
            }
            return new[] { g.Attention(e[q], kv, e[v], m, p, name) };
        }, mask.Causal ? "fused into causal Attention" : "fused into Attention");
    }

    private static Shape Transposed(Shape s) => s.Rank == 4 ? new Shape(s[0], s[1], s[3], s[2]) : s;

    /// <summary>The scores before the mask and the mask: an Add of a float mask, a Where with a scalar constant fill, or
    /// none (a mask with no additive part and no condition).</summary>
    private static (Value Path, Mask? Mask) MaskOf(GraphRewriter r, Value s, List<Node> nodes)
    {
        var none = new Mask(null, null, null, false, false);
        if (!r.HasSingleUse(s)) return (s, null);
        if (GraphRewriter.IsBinary(s, BinaryOp.Add, out var add, out var a, out var b))
        {
            foreach (var (path, m) in new[] { (a, b), (b, a) })
                if (path != m && r.HasSingleUse(path) && IsScores(r, path) && m.Shape.Rank <= 4 && add.Outputs[0].Shape == path.Shape)
                {
                    nodes.Add(add);
                    return (path, new Mask(m, null, null, false, false));
                }
            return (s, null);
        }
        if (GraphRewriter.Computes<WhereGraphOp>(s, out var where, out _))
        {
            Value cond = where.Inputs[0], t = where.Inputs[1], f = where.Inputs[2];
            foreach (var (path, fill, fillWhereTrue) in new[] { (t, f, false), (f, t, true) })
            {
                if (!r.HasSingleUse(path) || !IsScores(r, path) || fill == path || !r.IsScalarConstant(fill, out _) || where.Outputs[0].Shape != path.Shape)
                    continue;
                nodes.Add(where);
                bool causal = !fillWhereTrue && IsCausal(r, cond, path.Shape);
                return (path, new Mask(null, cond, fill, fillWhereTrue, causal));
            }
            return (s, null);
        }
        return (s, IsScores(r, s) ? none : null);
    }

    /// <summary>True when <paramref name="v"/> comes from a matrix product, possibly through scalar scalings.</summary>
    private static bool IsScores(GraphRewriter r, Value v)
    {
        while (Scaling(r, v, out _, out var source, out _)) v = source;
        return GraphRewriter.Computes<GemmGraphOp>(v, out _, out _);
    }

    /// <summary>True when <paramref name="v"/> is a source scaled by a scalar constant: Mul (either side), Div, or Affine
    /// without shift.</summary>
    private static bool Scaling(GraphRewriter r, Value v, out double factor, out Value source, out Node node)
    {
        factor = 1;
        source = null!;
        node = null!;
        if (GraphRewriter.IsBinary(v, BinaryOp.Mul, out node, out var a, out var b))
        {
            if (r.IsScalarConstant(b, out float c) && a.Shape == v.Shape) { factor = c; source = a; return true; }
            if (r.IsScalarConstant(a, out c) && b.Shape == v.Shape) { factor = c; source = b; return true; }
            return false;
        }
        if (GraphRewriter.IsBinary(v, BinaryOp.Div, out node, out a, out b))
        {
            if (!r.IsScalarConstant(b, out float c) || a.Shape != v.Shape || c == 0) return false;
            factor = 1.0 / c;
            source = a;
            return true;
        }
        if (GraphRewriter.IsUnary(v, UnaryOp.Affine, out node, out a, out var up) && up.Beta == 0)
        {
            factor = up.Alpha;
            source = a;
            return true;
        }
        return false;
    }

    /// <summary>True when <paramref name="cond"/> is a constant boolean mask broadcast over batch and heads that keeps
    /// exactly the keys j ≤ i of each query i (the causal mask, top-left aligned).</summary>
    private static bool IsCausal(GraphRewriter r, Value cond, Shape scores)
    {
        int tq = scores[2], tk = scores[3];
        if (cond.DType != DType.Bool || cond.Shape.Rank < 2 || cond.Shape.ElementCount != (long)tq * tk
            || cond.Shape[^2] != tq || cond.Shape[^1] != tk || r.ConstantTensor(cond) is not { } t) return false;
        var data = t.ToArray<byte>();
        for (int i = 0; i < tq; i++)
            for (int j = 0; j < tk; j++)
                if ((data[i * tk + j] != 0) != (j <= i)) return false;
        return true;
    }
}
