namespace Tessera.Graph.Optimization;

/// <summary>One rewrite of the graph optimizer: it looks at the graph through a <see cref="GraphRewriter"/> and records
/// its edits there (the rewriter builds the new graph). A pass never changes what the graph computes beyond float
/// rounding, and only by rewrites its <see cref="Exact"/> flag allows.</summary>
public abstract class GraphPass
{
    /// <summary>The pass's name in reports and in <see cref="OptimizationOptions.Disabled"/> ("constant-folding").</summary>
    public abstract string Name { get; }

    /// <summary>The lowest level that runs the pass.</summary>
    public abstract OptimizationLevel Level { get; }

    /// <summary>True when the pass keeps every value bit for bit on graphs that train (<see cref="GraphRewriter.Training"/>):
    /// it also runs on them. Passes that may change rounding run on graphs that do not train only.</summary>
    public virtual bool Exact => false;

    /// <summary>Records the pass's edits on <paramref name="rewriter"/>.</summary>
    public abstract void Run(GraphRewriter rewriter);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
