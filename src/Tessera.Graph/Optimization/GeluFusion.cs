using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>Replaces GELU written out in element-wise ops by the fused op: the exact form
/// 0.5·x·(1 + erf(x/√2)) onto GeluErf and the tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) onto
/// GeluTanh, as torch.onnx writes them (the 0.5 applied to x first or to the product last, factors in either order,
/// x/√2 as a division or a multiplication, x³ as Pow 3 or x·x·x).</summary>
public sealed class GeluFusion : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "gelu";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.All;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        foreach (var node in rewriter.Graph.Nodes)
            if (node.Op is UnaryGraphOp { Op: UnaryOp.Erf or UnaryOp.Tanh } && !rewriter.IsEdited(node)) TryFuse(rewriter, node);
    }

    private static void TryFuse(GraphRewriter r, Node t)
    {
        bool exact = ((UnaryGraphOp)t.Op).Op == UnaryOp.Erf;
        var nodes = new List<Node> { t };
        Value? x = exact ? ErfArgument(r, t.Inputs[0], nodes) : TanhArgument(r, t.Inputs[0], nodes);
        if (x is null || x.DType != DType.Float32) return;
        // 1 + t
        if (r.SingleUser(t.Outputs[0]) is not { } onePlus || !GraphRewriter.IsBinary(onePlus.Outputs[0], BinaryOp.Add, out _, out _, out _)
            || GraphRewriter.Other(onePlus, t.Outputs[0]) is not { } one || !r.IsScalarConstant(one, 1.0)) return;
        nodes.Add(onePlus);
        // x·(1 + t)·0.5 or (0.5·x)·(1 + t)
        if (r.SingleUser(onePlus.Outputs[0]) is not { } product || !GraphRewriter.IsBinary(product.Outputs[0], BinaryOp.Mul, out _, out _, out _)) return;
        nodes.Add(product);
        var other = GraphRewriter.Other(product, onePlus.Outputs[0]);
        Value y;
        if (other == x)
        {
            if (r.SingleUser(product.Outputs[0]) is not { } half || !r.IsScaled(half.Outputs[0], product.Outputs[0], 0.5, out _)) return;
            nodes.Add(half);
            y = half.Outputs[0];
        }
        else if (other is not null && r.IsScaled(other, x, 0.5, out var halfX))
        {
            nodes.Add(halfX);
            y = product.Outputs[0];
        }
        else return;
        if (y.Shape != x.Shape || !r.CanFuse(nodes, y)) return;
        r.Replace(nodes, new[] { y }, e => new[] { e.Builder.Gelu(e[x], approximate: !exact, e.Anchor.Name) },
            exact ? "fused into GeluErf" : "fused into GeluTanh");
    }

    /// <summary>x when <paramref name="u"/> is x/√2 (or x·(1/√2)); adds the scaling node.</summary>
    private static Value? ErfArgument(GraphRewriter r, Value u, List<Node> nodes) =>
        ScaledSource(r, u, 1 / Math.Sqrt(2), nodes);

    /// <summary>x when <paramref name="u"/> is √(2/π)·(x + 0.044715·x³); adds the nodes computing it.</summary>
    private static Value? TanhArgument(GraphRewriter r, Value u, List<Node> nodes)
    {
        var inner = ScaledSource(r, u, Math.Sqrt(2 / Math.PI), nodes);
        if (inner is null || !GraphRewriter.IsBinary(inner, BinaryOp.Add, out var add, out var a, out var b)) return null;
        foreach (var (x, cubic) in new[] { (a, b), (b, a) })
        {
            var local = new List<Node>();
            if (ScaledSource(r, cubic, 0.044715, local) is { } cube && IsCubeOf(cube, x, local))
            {
                nodes.Add(add);
                nodes.AddRange(local);
                return x;
            }
        }
        return null;
    }

    /// <summary>The value <paramref name="v"/> scales by the scalar constant <paramref name="factor"/>; adds the node.</summary>
    private static Value? ScaledSource(GraphRewriter r, Value v, double factor, List<Node> nodes)
    {
        if (v.Producer is not { } p) return null;
        foreach (var candidate in p.Inputs)
            if (r.IsScaled(v, candidate, factor, out var node))
            {
                nodes.Add(node);
                return candidate;
            }
        return null;
    }

    /// <summary>True when <paramref name="v"/> is Pow(x, 3), x·(x·x) or (x·x)·x; adds the nodes.</summary>
    private static bool IsCubeOf(Value v, Value x, List<Node> nodes)
    {
        if (GraphRewriter.IsUnary(v, UnaryOp.PowScalar, out var pow, out var px, out var p) && px == x && p.Alpha == 3f)
        {
            nodes.Add(pow);
            return true;
        }
        if (!GraphRewriter.IsBinary(v, BinaryOp.Mul, out var outer, out var a, out var b)) return false;
        var square = a == x ? b : b == x ? a : null;
        if (square is null || !GraphRewriter.IsBinary(square, BinaryOp.Mul, out var inner, out var s1, out var s2) || s1 != x || s2 != x) return false;
        nodes.Add(outer);
        nodes.Add(inner);
        return true;
    }
}
