using System.Text;

namespace Tessera.Graph.Optimization;

/// <summary>One edit of a pass: what it did (<paramref name="Action"/>: "removed", "folded", "fused into LayerNorm"...),
/// the source nodes it took away or rewrote, and the values that stand for their results (null when none).</summary>
public sealed record GraphChange(string Action, IReadOnlyList<string> Nodes, string? Into);

/// <summary>What one pass changed in one round (node counts before and after).</summary>
public sealed record PassReport(string Pass, int Round, int NodesBefore, int NodesAfter, IReadOnlyList<GraphChange> Changes);

/// <summary>What <see cref="GraphOptimizer.Optimize(ComputeGraph, OptimizationLevel, OptimizationOptions?)"/> did: the
/// passes that changed something, in order, and those it did not run with the reason.</summary>
public sealed class OptimizationReport
{
    internal OptimizationReport(OptimizationLevel level, bool training, int nodesBefore, int nodesAfter, int rounds,
        IReadOnlyList<PassReport> passes, IReadOnlyDictionary<string, string> notRun)
    {
        Level = level;
        Training = training;
        NodesBefore = nodesBefore;
        NodesAfter = nodesAfter;
        Rounds = rounds;
        Passes = passes;
        NotRun = notRun;
    }

    /// <summary>The level the optimizer ran at.</summary>
    public OptimizationLevel Level { get; }

    /// <summary>The graph trains (a loss, a backward pass, optimizer steps or state updates): exact passes only.</summary>
    public bool Training { get; }

    /// <summary>The number of nodes before the passes.</summary>
    public int NodesBefore { get; }
    /// <summary>The number of nodes after the passes.</summary>
    public int NodesAfter { get; }

    /// <summary>Rounds of the pass list that ran (the last one changed nothing, unless the limit was reached).</summary>
    public int Rounds { get; }

    /// <summary>Each pass run that changed the graph.</summary>
    public IReadOnlyList<PassReport> Passes { get; }

    /// <summary>Passes of the level that did not run, with the reason.</summary>
    public IReadOnlyDictionary<string, string> NotRun { get; }

    /// <summary>Changes of all rounds made by the pass named <paramref name="pass"/>.</summary>
    public IEnumerable<GraphChange> ChangesOf(string pass) => Passes.Where(p => p.Pass == pass).SelectMany(p => p.Changes);

    /// <summary>The report as text: a summary line, one line per pass run and, with <paramref name="details"/>, one line
    /// per change naming the nodes.</summary>
    public string Describe(bool details)
    {
        var sb = new StringBuilder();
        sb.Append($"optimization {Level}: {NodesBefore} → {NodesAfter} nodes in {Rounds} round(s)");
        if (Training) sb.Append(" (the graph trains: exact passes only)");
        sb.AppendLine();
        foreach (var p in Passes)
        {
            sb.AppendLine($"  round {p.Round} {p.Pass}: {p.NodesBefore} → {p.NodesAfter} nodes, {p.Changes.Count} change(s)");
            if (!details) continue;
            foreach (var c in p.Changes)
                sb.AppendLine($"    {c.Action}: {string.Join(", ", c.Nodes)}{(c.Into is null ? "" : $" → {c.Into}")}");
        }
        foreach (var (pass, why) in NotRun)
            sb.AppendLine($"  not run {pass}: {why}");
        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => Describe(details: false);
}
