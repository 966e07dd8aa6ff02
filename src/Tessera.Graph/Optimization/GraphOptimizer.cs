namespace Tessera.Graph.Optimization;

/// <summary>The graph optimizer: between building (or importing) a graph and planning it, runs the passes of a level
/// round after round until a round changes nothing. Each pass rewrites through a <see cref="GraphRewriter"/>, so the
/// graph given is never modified. Backend-independent: the passes use the op catalog only (the constant folding runs
/// the ops where the constants live).</summary>
public static class GraphOptimizer
{
    /// <summary>Every pass, in the order a round runs them.</summary>
    public static IReadOnlyList<GraphPass> AllPasses { get; } = new GraphPass[]
    {
        new IdentityElimination(),
        new TransposeReshapeElimination(),
        new ConstantFolding(),
        new CommonSubexpressionElimination(),
        new MaxPoolIndicesElimination(),
        new BatchNormFolding(),
        new PadFolding(),
        new LayerNormFusion(),
        new GeluFusion(),
        new AttentionFusion(),
        // Epilogue fusion comes after batch norm folding (a convolution with an epilogue folds nothing more) and after
        // the patterns that make the activations it absorbs (SiLU, GELU); the residual joins before the activation.
        new SiluFusion(),
        new ConvResidualFusion(),
        new ConvActivationFusion(),
        new GemmActivationFusion(),
        new DeadNodeElimination(),
    };

    /// <summary>The passes a level runs, in order.</summary>
    public static IReadOnlyList<GraphPass> Passes(OptimizationLevel level) => AllPasses.Where(p => p.Level <= level).ToArray();

    /// <summary>True when <paramref name="graph"/> trains: it has a loss, a backward pass or optimizer steps, or (unless
    /// the plan runs in inference mode) nodes that update state. Such a graph is optimized with exact passes only, so
    /// that it trains bit for bit as before.</summary>
    public static bool Trains(ComputeGraph graph, OptimizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        bool inference = options?.Inference ?? false;
        return graph.Loss is not null || graph.HasBackward
            || graph.Nodes.Any(n => n.Op.IsOptimizerStep || (n.Op.HasSideEffects && !inference));
    }

    /// <summary>Optimizes <paramref name="graph"/> at <paramref name="level"/>.</summary>
    public static OptimizationResult Optimize(ComputeGraph graph, OptimizationLevel level, OptimizationOptions? options = null) =>
        Run(graph, level, Passes(level), options ?? new OptimizationOptions());

    /// <summary>Runs the given passes (in order, round after round) whatever their level: one pass on its own, in tests
    /// and to see what it does.</summary>
    public static OptimizationResult Optimize(ComputeGraph graph, IEnumerable<GraphPass> passes, OptimizationOptions? options = null) =>
        Run(graph, OptimizationLevel.All, (passes ?? throw new ArgumentNullException(nameof(passes))).ToArray(), options ?? new OptimizationOptions());

    private static OptimizationResult Run(ComputeGraph graph, OptimizationLevel level, IReadOnlyList<GraphPass> passes, OptimizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (options.MaxRounds < 1) throw new TesseraArgumentException("GraphOptimizer", nameof(options.MaxRounds), $"must be at least 1, got {options.MaxRounds}");
        var known = AllPasses.Concat(passes).Select(p => p.Name).ToHashSet();
        foreach (var name in options.Disabled)
            if (!known.Contains(name))
                throw new TesseraArgumentException("GraphOptimizer", nameof(options.Disabled), $"no pass is named '{name}' (passes: {string.Join(", ", known)})");
        bool training = Trains(graph, options);
        var notRun = new Dictionary<string, string>();
        var run = new List<GraphPass>();
        foreach (var p in passes)
        {
            if (options.Disabled.Contains(p.Name)) notRun[p.Name] = "disabled";
            else if (training && !p.Exact) notRun[p.Name] = "the graph trains and the pass may change rounding";
            else run.Add(p);
        }
        var owned = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var maps = new List<Func<Value, Value?>>();
        var reports = new List<PassReport>();
        var current = graph;
        int rounds = 0;
        try
        {
            bool changed = run.Count > 0;
            while (changed && rounds < options.MaxRounds)
            {
                rounds++;
                changed = false;
                foreach (var pass in run)
                {
                    var rewriter = new GraphRewriter(current, options, training, owned);
                    pass.Run(rewriter);
                    if (!rewriter.HasEdits) continue;
                    var (next, map, changes) = rewriter.Apply();
                    reports.Add(new PassReport(pass.Name, rounds, current.Nodes.Count, next.Nodes.Count, changes));
                    maps.Add(map);
                    current = next;
                    changed = true;
                }
            }
        }
        catch
        {
            foreach (var t in owned) t.Dispose();
            throw;
        }
        // Tensors made by one round and replaced by a later one (a folded weight folded again) are not kept.
        var bound = current.Values.Where(v => v.Bound is not null).Select(v => v.Bound!).ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var t in owned.Where(t => !bound.Contains(t))) t.Dispose();
        var report = new OptimizationReport(level, training, graph.Nodes.Count, current.Nodes.Count, rounds, reports, notRun);
        return new OptimizationResult(graph, current, report, maps, owned.Where(bound.Contains).ToList());
    }
}
