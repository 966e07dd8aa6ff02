namespace Tessera.Graph.Optimization;

/// <summary>Removes nodes whose results reach no output of the graph (nor the loss). Nodes with side effects stay
/// (batch norm in training mode updates its running statistics), unless the plan runs in inference mode.</summary>
public sealed class DeadNodeElimination : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "dead-nodes";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.Basic;
    /// <inheritdoc/>
    public override bool Exact => true;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        var live = new HashSet<Node>();
        var work = new Stack<Node>();
        foreach (var n in rewriter.Graph.Nodes)
            if (n.Outputs.Any(GraphRewriter.IsGraphOutput) || (n.Op.HasSideEffects && !rewriter.Options.Inference))
                if (live.Add(n)) work.Push(n);
        while (work.Count > 0)
            foreach (var v in work.Pop().Inputs)
                if (v.Producer is { } p && live.Add(p)) work.Push(p);
        foreach (var n in rewriter.Graph.Nodes)
            if (!live.Contains(n)) rewriter.Remove(n);
    }
}
