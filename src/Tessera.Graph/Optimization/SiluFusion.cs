using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>Replaces a value gated by a function of itself, as exporters write the swish activations, by the fused op:
/// x·sigmoid(x) onto Silu (torch.onnx's nn.SiLU) and x·hardsigmoid(x) with slope 1/6 and offset ½ onto HardSwish
/// (nn.Hardswish below opset 14), the product's operands in either order. The gate must be read by the product only.</summary>
public sealed class SiluFusion : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "silu";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.All;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        foreach (var node in rewriter.Graph.Nodes)
            if (node.Op is UnaryGraphOp gate && Fused(gate) is { } fused && !rewriter.IsEdited(node)) TryFuse(rewriter, node, fused);
    }

    /// <summary>The op x·gate(x) is, or null when <paramref name="gate"/> gates no known activation.</summary>
    private static UnaryOp? Fused(UnaryGraphOp gate) => gate.Op switch
    {
        UnaryOp.Sigmoid => UnaryOp.Silu,
        UnaryOp.HardSigmoid when Near(gate.Params.Alpha, 1.0 / 6) && Near(gate.Params.Beta, 0.5) => UnaryOp.HardSwish,
        _ => null,
    };

    private static bool Near(float value, double expected) => Math.Abs(value - expected) <= 1e-6 * Math.Abs(expected);

    private static void TryFuse(GraphRewriter r, Node gate, UnaryOp fused)
    {
        var x = gate.Inputs[0];
        if (x.DType != DType.Float32 || r.SingleUser(gate.Outputs[0]) is not { } mul
            || !GraphRewriter.IsBinary(mul.Outputs[0], BinaryOp.Mul, out _, out _, out _)
            || GraphRewriter.Other(mul, gate.Outputs[0]) != x) return;
        var y = mul.Outputs[0];
        var nodes = new[] { gate, mul };
        if (y.Shape != x.Shape || !r.CanFuse(nodes, y)) return;
        r.Replace(nodes, new[] { y }, e => new[] { e.Builder.Unary(fused, e[x], default, e.Anchor.Name) }, $"fused into {fused}");
    }
}
