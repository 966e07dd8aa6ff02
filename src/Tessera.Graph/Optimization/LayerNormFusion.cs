using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>Replaces layer normalisation written out in element-wise ops (as torch.onnx writes nn.LayerNorm below opset
/// 17) by the fused LayerNorm op:
/// m = ReduceMean(x, trailing axes, keep); d = x − m; v = ReduceMean(d², same axes, keep); n = d / √(v + ε);
/// y = n·γ + β (the square as Pow 2 or d·d; γ and β optional, each a value of the normalised axes' shape, leading
/// ones allowed).</summary>
public sealed class LayerNormFusion : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "layernorm";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.All;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        foreach (var node in rewriter.Graph.Nodes)
            if (node.Op is ReduceGraphOp { Op: ReduceOp.Mean } mean && !rewriter.IsEdited(node)) TryFuse(rewriter, node, mean);
    }

    private static void TryFuse(GraphRewriter r, Node meanNode, ReduceGraphOp mean)
    {
        var x = meanNode.Inputs[0];
        var m = meanNode.Outputs[0];
        int rank = x.Shape.Rank;
        var axes = mean.Params.Axes;
        if (!mean.Params.KeepDims || axes.Length == 0 || x.DType != DType.Float32) return;
        int axis = axes[0];
        if (!axes.SequenceEqual(Enumerable.Range(axis, rank - axis))) return;
        // d = x − m, read by the square and the division only.
        if (r.SingleUser(m) is not { } subNode || !GraphRewriter.IsBinary(subNode.Outputs[0], BinaryOp.Sub, out _, out var sa, out var sb) || sa != x || sb != m) return;
        var d = subNode.Outputs[0];
        var dUsers = r.Uses(d).Select(u => u.Node).Distinct().ToArray();
        var square = dUsers.FirstOrDefault(n => IsSquareOf(n.Outputs[0], d));
        var div = dUsers.FirstOrDefault(n => GraphRewriter.IsBinary(n.Outputs[0], BinaryOp.Div, out _, out var a, out _) && a == d);
        if (square is null || div is null || dUsers.Length != 2) return;
        // v = ReduceMean(d², axes); s = √(v + ε); n = d / s.
        if (r.SingleUser(square.Outputs[0]) is not { Op: ReduceGraphOp { Op: ReduceOp.Mean } varOp } varNode
            || !varOp.Params.Axes.SequenceEqual(axes) || !varOp.Params.KeepDims) return;
        if (r.SingleUser(varNode.Outputs[0]) is not { } epsNode || !GraphRewriter.IsBinary(epsNode.Outputs[0], BinaryOp.Add, out _, out _, out _)) return;
        var epsValue = GraphRewriter.Other(epsNode, varNode.Outputs[0]);
        if (epsValue is null || !r.IsScalarConstant(epsValue, out float eps)) return;
        if (r.SingleUser(epsNode.Outputs[0]) is not { } sqrtNode || !GraphRewriter.IsUnary(sqrtNode.Outputs[0], UnaryOp.Sqrt, out _, out _, out _)) return;
        if (r.SingleUser(sqrtNode.Outputs[0]) != div || div.Inputs[1] != sqrtNode.Outputs[0]) return;
        var nodes = new List<Node> { meanNode, subNode, square, varNode, epsNode, sqrtNode, div };
        var normalised = x.Shape.ToArray()[axis..];
        // Optional affine: ·γ then +β.
        var y = div.Outputs[0];
        Value? gamma = null, beta = null;
        if (r.SingleUser(y) is { } mulNode && GraphRewriter.IsBinary(mulNode.Outputs[0], BinaryOp.Mul, out _, out _, out _)
            && GraphRewriter.Other(mulNode, y) is { } g && g != y && Fits(g, normalised) && mulNode.Outputs[0].Shape == x.Shape)
        {
            gamma = g;
            nodes.Add(mulNode);
            y = mulNode.Outputs[0];
        }
        if (r.SingleUser(y) is { } addNode && GraphRewriter.IsBinary(addNode.Outputs[0], BinaryOp.Add, out _, out _, out _)
            && GraphRewriter.Other(addNode, y) is { } b && b != y && Fits(b, normalised) && addNode.Outputs[0].Shape == x.Shape)
        {
            beta = b;
            nodes.Add(addNode);
            y = addNode.Outputs[0];
        }
        if (!r.CanFuse(nodes, y)) return;
        r.Replace(nodes, new[] { y }, e =>
        {
            var gb = e.Builder;
            string name = e.Anchor.Name;
            // An absent γ or β is a filled value (a node: the graph names no device for a constant).
            Value Affine(Value? v, double fill, string what) => v is null
                ? gb.Apply1(new FillOp(new Shape(normalised), DType.Float32, fill), $"{name}:{what}")
                : v.Shape.ToArray().SequenceEqual(normalised) ? e[v] : gb.Reshape(e[v], normalised);
            return new[] { gb.LayerNorm(e[x], Affine(gamma, 1, "ones"), Affine(beta, 0, "zeros"), new LayerNormParams(axis, eps), name) };
        }, "fused into LayerNorm");
    }

    /// <summary>True when <paramref name="v"/> is d·d or Pow(d, 2).</summary>
    private static bool IsSquareOf(Value v, Value d) =>
        (GraphRewriter.IsBinary(v, BinaryOp.Mul, out _, out var a, out var b) && a == d && b == d)
        || (GraphRewriter.IsUnary(v, UnaryOp.PowScalar, out _, out var x, out var p) && x == d && p.Alpha == 2f);

    /// <summary>True when <paramref name="v"/> holds one float32 value per normalised element (leading ones allowed).</summary>
    private static bool Fits(Value v, int[] normalised)
    {
        if (v.DType != DType.Float32 || v.Shape.ElementCount != normalised.Aggregate(1L, (a, d) => a * d)) return false;
        var dims = v.Shape.ToArray().SkipWhile(d => d == 1).ToArray();
        return dims.SequenceEqual(normalised.SkipWhile(d => d == 1));
    }
}
