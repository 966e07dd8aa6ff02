namespace Tessera.Graph.Optimization;

/// <summary>How much <see cref="GraphOptimizer"/> rewrites a graph before it is planned.</summary>
public enum OptimizationLevel
{
    /// <summary>Nothing: the graph runs as it was built.</summary>
    None,

    /// <summary>Rewrites that keep every value: dead nodes removed, identities bypassed, constant subgraphs computed once,
    /// repeated subexpressions merged.</summary>
    Basic,

    /// <summary>Basic, then rewrites that keep values within float rounding: batch norm and per-channel affine folded into
    /// the convolution or matrix product before it, transpose and reshape chains collapsed, decomposed LayerNorm, GELU
    /// and softmax attention replaced by the fused ops. A graph that trains gets the Basic level only.</summary>
    All,
}
