using Tessera.Graph.Operators;

namespace Tessera.Graph.Optimization;

/// <summary>Fuses the activation after a convolution into its epilogue: act(conv(x, w) + b [+ residual]) becomes one
/// convolution whose <see cref="Kernels.Conv2dParams.Epilogue"/> applies act (ReLU, Clip/ReLU6, LeakyReLU, Sigmoid, SiLU,
/// HardSwish, GELU: the activations of <see cref="Kernels.Epilogue.Activations"/>). The convolution's result must be read
/// by the activation only (possibly through a reshape, as a 1-D convolution ends with) and be no output of the graph;
/// a convolution that already applies an activation is left as it is.</summary>
public sealed class ConvActivationFusion : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "conv-activation";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.All;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        foreach (var node in rewriter.Graph.Nodes)
        {
            if (node.Op is not Conv2dGraphOp conv || !conv.Params.Epilogue.IsNone || rewriter.IsEdited(node)
                || !EpilogueFusion.ActivationOf(rewriter, node.Outputs[0], out var reshape, out var act, out var epilogue)) continue;
            var nodes = EpilogueFusion.Taken(node, reshape, act);
            var y = act.Outputs[0];
            if (!rewriter.CanFuse(nodes, y)) continue;
            rewriter.Replace(nodes, [y], e => [EpilogueFusion.EmitConv(e, node, epilogue, null, reshape)],
                $"fused {epilogue} into Conv2d '{node.Name}'");
        }
    }
}
