using Tessera.Graph.Operators;

namespace Tessera.Graph.Optimization;

/// <summary>Max pooling without its argmax indices where nothing reads them (inference graphs: only the gradient reads
/// them): the kernel then skips writing an int64 per output, and the plan allocates nothing for them. Exact: the pooled
/// values are the same bits.</summary>
public sealed class MaxPoolIndicesElimination : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "maxpool-indices";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.Basic;
    /// <inheritdoc/>
    public override bool Exact => true;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        foreach (var node in rewriter.Graph.Nodes)
        {
            if (node.Op is not Pool2dGraphOp { HasIndices: true } pool || rewriter.IsEdited(node)) continue;
            var indices = node.Outputs[1];
            if (GraphRewriter.IsGraphOutput(indices) || rewriter.Uses(indices).Count > 0) continue;
            var x = node.Inputs[0];
            rewriter.Replace(new[] { node }, new[] { node.Outputs[0] },
                e => new[] { e.Builder.Apply1(new Pool2dGraphOp(true, pool.Params, indices: false), node.Name, e[x]) },
                "indices dropped (nothing reads them)");
        }
    }
}
