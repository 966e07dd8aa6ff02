using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>Fuses a residual addition into the convolution before it: conv(x, w) + b + r, with r a value of the
/// convolution's shape computed elsewhere (ResNet's identity or downsampling branch), becomes one convolution taking r
/// as its residual input, so that an activation after the sum (<see cref="ConvActivationFusion"/>, which runs next)
/// joins it: act(conv + b + r). The convolution's result must be read by the addition only and be no output of the
/// graph; a convolution that already has a residual or an activation (act(conv) + r is another function) is left as it is.
/// When both operands are such convolutions, the first one takes the other as its residual.</summary>
public sealed class ConvResidualFusion : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "conv-residual";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.All;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        foreach (var node in rewriter.Graph.Nodes)
            if (!rewriter.IsEdited(node) && GraphRewriter.IsBinary(node.Outputs[0], BinaryOp.Add, out _, out var a, out var b)) TryFuse(rewriter, node, a, b);
    }

    private static void TryFuse(GraphRewriter r, Node add, Value a, Value b)
    {
        var y = add.Outputs[0];
        if (a == b || a.Shape != y.Shape || b.Shape != y.Shape || a.DType != DType.Float32 || b.DType != DType.Float32) return;
        foreach (var (product, residual) in new[] { (a, b), (b, a) })
        {
            if (!GraphRewriter.Computes<Conv2dGraphOp>(product, out var conv, out var op) || op.HasResidual || !op.Params.Epilogue.IsNone) continue;
            Node[] nodes = [conv, add];
            if (!r.CanFuse(nodes, y)) continue;
            r.Replace(nodes, [y], e => [EpilogueFusion.EmitConv(e, conv, Epilogue.None, residual, null)], $"fused residual {residual.Name} into Conv2d '{conv.Name}'");
            return;
        }
    }
}
