namespace Tessera.Graph.Optimization;

/// <summary>What <see cref="GraphOptimizer"/> may assume about how the graph will run.</summary>
public sealed record OptimizationOptions
{
    /// <summary>The plan will run in inference mode (<see cref="Operators.ExecContext.Training"/> false): batch norm
    /// uses its running statistics (and may be folded), dropout is the identity.</summary>
    public bool Inference { get; init; }

    /// <summary>Parameters and state will not change while the optimized graph is used, so they may be folded like
    /// constants (a model served for inference, not trained further).</summary>
    public bool FreezeParameters { get; init; }

    /// <summary>Largest result (elements per output) constant folding computes at optimization time.</summary>
    public long MaxFoldedElements { get; init; } = 1L << 24;

    /// <summary>Passes (by <see cref="GraphPass.Name"/>) not to run.</summary>
    public IReadOnlyCollection<string> Disabled { get; init; } = Array.Empty<string>();

    /// <summary>Rounds of the pass list at most: a round runs again while the previous one changed the graph.</summary>
    public int MaxRounds { get; init; } = 4;
}
