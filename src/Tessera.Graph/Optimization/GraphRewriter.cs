namespace Tessera.Graph.Optimization;

/// <summary>The one rewriting mechanism of the optimizer. A pass reads the source graph through the queries of this class
/// (uses of a value, producers, constants readable on the host) and records edits: a node removed, a node bypassed (its
/// outputs replaced by values the graph already has), or a set of nodes replaced by new ones that a callback builds.
/// <see cref="Apply"/> then copies the graph into a new builder, in order, with the edits made: names, inputs, outputs,
/// the loss and bound tensors are kept; a replacement is built where the last of its nodes stood. Edits are checked
/// before anything is built (a removed value nobody replaces must be dead; replacements must have the shapes and dtypes
/// of what they replace), so a pass cannot produce a graph that computes something else by accident.</summary>
public sealed partial class GraphRewriter
{
    private sealed record Replacement(Node Anchor, IReadOnlyList<Value> Values, Func<GraphEmitter, Value[]> Build, int Change);

    private readonly Dictionary<Value, Value> _substitutes = new();
    private readonly HashSet<Node> _removed = new();
    private readonly Dictionary<Node, Replacement> _replacements = new();
    private readonly List<(string Action, IReadOnlyList<string> Nodes, string? Into)> _changes = new();
    private readonly HashSet<Tensor> _owned;

    internal GraphRewriter(ComputeGraph graph, OptimizationOptions options, bool training, HashSet<Tensor> owned)
    {
        Graph = graph;
        Options = options;
        Training = training;
        _owned = owned;
        _uses = new List<(Node, int)>[graph.Values.Count];
        for (int i = 0; i < _uses.Length; i++) _uses[i] = new List<(Node, int)>();
        foreach (var n in graph.Nodes)
            for (int k = 0; k < n.Inputs.Count; k++) _uses[n.Inputs[k].Id].Add((n, k));
    }

    /// <summary>The graph being rewritten (not modified).</summary>
    public ComputeGraph Graph { get; }

    /// <summary>The options the passes run with.</summary>
    public OptimizationOptions Options { get; }

    /// <summary>The graph trains: only rewrites that keep every value bit for bit are allowed.</summary>
    public bool Training { get; }

    /// <summary>True once an edit was recorded.</summary>
    public bool HasEdits => _changes.Count > 0;

    /// <summary>True when <paramref name="node"/> is already taken by an edit of this pass (patterns must not overlap).</summary>
    public bool IsEdited(Node node) => _removed.Contains(node);

    /// <summary>True when none of <paramref name="nodes"/> is taken by an edit yet.</summary>
    public bool AreFree(IEnumerable<Node> nodes) => nodes.All(n => !_removed.Contains(n));

    /// <summary>Registers a tensor a pass has just created for the new graph (a folded constant): it lives as long as the
    /// result of the optimization and is disposed with it, not with a <see cref="TensorScope"/> open around the call
    /// (registering it again does nothing).</summary>
    public Tensor Own(Tensor tensor)
    {
        if (_owned.Add(tensor)) TensorScope.Current?.Detach(tensor);
        return tensor;
    }

    /// <summary>Removes <paramref name="node"/>, whose outputs nothing outside removed nodes reads.</summary>
    public void Remove(Node node, string action = "removed")
    {
        Take(new[] { node });
        _changes.Add((action, new[] { node.Name }, null));
    }

    /// <summary>Removes <paramref name="node"/> and lets every reader of its output k read <paramref name="by"/>[k] instead,
    /// a value of the graph computed before those readers (null for an output nothing reads).</summary>
    public void Bypass(Node node, IReadOnlyList<Value?> by, string action)
    {
        if (by.Count != node.Outputs.Count)
            throw Bug($"bypasses node '{node.Name}' with {by.Count} values for {node.Outputs.Count} outputs");
        Take(new[] { node });
        for (int k = 0; k < by.Count; k++)
        {
            var o = node.Outputs[k];
            if (by[k] is not { } v) continue;
            if (o.Shape != v.Shape || o.DType != v.DType || v == o)
                throw Bug($"bypasses {o} with {v}, not another value of its shape and dtype");
            _substitutes[o] = v;
        }
        _changes.Add((action, new[] { node.Name }, string.Join(", ", by.OfType<Value>().Select(v => v.Name))));
    }

    /// <summary>Removes <paramref name="nodes"/> and builds, where the last of them stood, the values that stand for
    /// <paramref name="values"/> (outputs of those nodes; their other outputs must be read only inside the set).
    /// <paramref name="build"/> gets an emitter over the new graph and returns one value per replaced value, of its
    /// shape and dtype.</summary>
    public void Replace(IReadOnlyCollection<Node> nodes, IReadOnlyList<Value> values, Func<GraphEmitter, Value[]> build, string action)
    {
        if (nodes.Count == 0) throw Bug("replaces no nodes");
        var anchor = nodes.MaxBy(n => n.Id)!;
        foreach (var v in values)
            if (v.Producer is null || !nodes.Contains(v.Producer)) throw Bug($"replaces {v}, which no node of the set computes");
        Take(nodes);
        _replacements[anchor] = new Replacement(anchor, values.ToArray(), build, _changes.Count);
        _changes.Add((action, nodes.OrderBy(n => n.Id).Select(n => n.Name).ToArray(), null));
    }

    private void Take(IEnumerable<Node> nodes)
    {
        foreach (var n in nodes)
            if (!_removed.Add(n)) throw Bug($"edits node '{n.Name}' twice");
    }

    private static TesseraException Bug(string what) => new("GraphOptimizer", $"a pass {what} (a bug in the pass)");

    /// <summary>The source value that stands for <paramref name="v"/> once substitutions are followed.</summary>
    private Value Resolve(Value v)
    {
        while (_substitutes.TryGetValue(v, out var by)) v = by;
        return v;
    }

    /// <summary>Checks the edits: every output of a removed node is replaced, or read only by removed nodes and not an
    /// output of the graph; replaced and substituted values are available before their remaining readers.</summary>
    private void Validate()
    {
        var replaced = new Dictionary<Value, Node>();
        foreach (var r in _replacements.Values)
            foreach (var v in r.Values) replaced[v] = r.Anchor;
        foreach (var n in _removed)
            foreach (var o in n.Outputs)
            {
                if (replaced.ContainsKey(o) || _substitutes.ContainsKey(o)) continue;
                if (IsGraphOutput(o)) throw Bug($"removes graph output {o} without replacing it");
                var reader = _uses[o.Id].FirstOrDefault(u => !_removed.Contains(u.Node)).Node;
                if (reader is not null) throw Bug($"removes {o}, which node '{reader.Name}' still reads");
            }
        foreach (var (v, anchor) in replaced)
            foreach (var (reader, _) in _uses[v.Id])
                if (!_removed.Contains(reader) && reader.Id < anchor.Id)
                    throw Bug($"replaces {v} after node '{reader.Name}', which reads it, has run");
        foreach (var old in _substitutes.Keys)
        {
            var by = Resolve(old);
            int definedAt = by.Producer is null ? -1 : (replaced.TryGetValue(by, out var a) ? a.Id : by.Producer.Id);
            foreach (var (reader, _) in _uses[old.Id])
                if (!_removed.Contains(reader) && reader.Id <= definedAt)
                    throw Bug($"substitutes {by} for {old} at node '{reader.Name}', before {by} is computed");
        }
    }

    /// <summary>Builds the rewritten graph; returns it with the map from this graph's values to the new graph's (null for
    /// a value that no longer exists) and the changes for the report.</summary>
    internal (ComputeGraph Graph, Func<Value, Value?> Map, IReadOnlyList<GraphChange> Changes) Apply()
    {
        Validate();
        var g = new GraphBuilder();
        var map = new Value?[Graph.Values.Count];
        Value Map(Value v)
        {
            v = Resolve(v);
            if (map[v.Id] is { } m) return m;
            if (v.Producer is not null) throw Bug($"leaves {v} unavailable where it is read");
            return map[v.Id] = Bind(g, v);
        }
        // Fed and persistent values keep their order and exist even when nothing reads them; constants come when read.
        foreach (var v in Graph.Values)
            if (v.Producer is null && v.Kind != ValueKind.Constant) map[v.Id] = Bind(g, v);
        var into = new string?[_changes.Count];
        foreach (var node in Graph.Nodes)
        {
            if (_replacements.TryGetValue(node, out var r))
            {
                var built = r.Build(new GraphEmitter(g, Map, node, this));
                if (built.Length != r.Values.Count) throw Bug($"built {built.Length} values for {r.Values.Count} at node '{node.Name}'");
                for (int k = 0; k < built.Length; k++)
                {
                    var old = r.Values[k];
                    if (built[k].Shape != old.Shape || built[k].DType != old.DType)
                        throw Bug($"replaces {old} by {built[k]} of another shape or dtype");
                    map[old.Id] = built[k];
                }
                into[r.Change] = string.Join(", ", built.Select(v => v.Name));
            }
            if (_removed.Contains(node)) continue;
            var outs = g.Apply(node.Op, node.Name, node.Inputs.Select(Map).ToArray());
            for (int k = 0; k < outs.Length; k++)
            {
                map[node.Outputs[k].Id] = outs[k];
                outs[k].StopsGradient = node.Outputs[k].StopsGradient;
            }
        }
        foreach (var v in Graph.Values)
        {
            if (v.IsOutput) g.Output(Map(v));
            if (v.IsLoss) g.Loss(Map(v));
        }
        g.Graph.HasBackward = Graph.HasBackward;
        var changes = _changes.Select((c, i) => new GraphChange(c.Action, c.Nodes, c.Into ?? into[i])).ToArray();
        return (g.Graph, v => map[Resolve(v).Id], changes);
    }

    private static Value Bind(GraphBuilder g, Value v) => v.Kind switch
    {
        ValueKind.Input => g.Input(v.Name, v.DType, v.Shape.ToArray()),
        ValueKind.Parameter => g.Parameter(v.Name, v.Bound!),
        ValueKind.State => g.State(v.Name, v.Bound!),
        ValueKind.Constant => g.Constant(v.Name, v.Bound!),
        _ => throw new TesseraException("GraphOptimizer", $"{v} has no producer"),
    };
}
