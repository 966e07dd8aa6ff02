namespace Tessera.Graph.Optimization;

/// <summary>An optimized graph, the report of what changed, and the way back from the values of the graph that was
/// optimized to those of the new one. The result owns the tensors the passes created (folded constants and weights):
/// dispose it after the plans compiled from <see cref="Graph"/>.</summary>
public sealed class OptimizationResult : IDisposable
{
    private readonly IReadOnlyList<Func<Value, Value?>> _maps;
    private readonly ComputeGraph _source;
    private readonly List<Tensor> _owned;

    internal OptimizationResult(ComputeGraph source, ComputeGraph graph, OptimizationReport report, IReadOnlyList<Func<Value, Value?>> maps, List<Tensor> owned)
    {
        _source = source;
        Graph = graph;
        Report = report;
        _maps = maps;
        _owned = owned;
    }

    /// <summary>The optimized graph (the graph given when nothing changed).</summary>
    public ComputeGraph Graph { get; }

    /// <summary>What each pass changed.</summary>
    public OptimizationReport Report { get; }

    /// <summary>Tensors the passes created for <see cref="Graph"/>; disposed with the result.</summary>
    public IReadOnlyList<Tensor> OwnedTensors => _owned;

    /// <summary>The value of <see cref="Graph"/> that stands for <paramref name="original"/> (a value of the optimized
    /// graph), or null when the optimizer removed it (a folded or fused intermediate). Inputs, parameters, state, outputs
    /// and the loss always have one.</summary>
    public Value? TryMap(Value original)
    {
        ArgumentNullException.ThrowIfNull(original);
        if (original.Id >= _source.Values.Count || !ReferenceEquals(_source.Values[original.Id], original))
            throw new TesseraArgumentException("OptimizationResult.Map", nameof(original), $"{original} is not a value of the optimized graph");
        Value? v = original;
        foreach (var map in _maps)
        {
            if (v is null) return null;
            v = map(v);
        }
        return v;
    }

    /// <summary><see cref="TryMap"/>, refusing a value the optimizer removed.</summary>
    public Value Map(Value original) =>
        TryMap(original) ?? throw new TesseraArgumentException("OptimizationResult.Map", nameof(original),
            $"{original} was removed by the optimizer (mark it as an output to keep it)");

    /// <summary>Disposes the tensors the passes created (folded constants).</summary>
    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}
