namespace Tessera.Graph.Optimization;

/// <summary>Merges nodes that run ops of equal <see cref="Operators.GraphOp.Signature"/> on the same inputs: the later
/// node's readers read the earlier node's outputs. Ops without a signature (random, mode-dependent or stateful ones)
/// are never merged.</summary>
public sealed class CommonSubexpressionElimination : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "cse";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.Basic;
    /// <inheritdoc/>
    public override bool Exact => true;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        var first = new Dictionary<string, Node>();
        var merged = new Dictionary<Value, Value>();
        Value Final(Value v) => merged.TryGetValue(v, out var by) ? by : v;
        foreach (var node in rewriter.Graph.Nodes)
        {
            if (node.Op.Signature is not { } signature) continue;
            string key = $"{signature}({string.Join(",", node.Inputs.Select(v => Final(v).Id))})";
            if (!first.TryGetValue(key, out var earlier))
            {
                first[key] = node;
                continue;
            }
            rewriter.Bypass(node, earlier.Outputs, $"merged with '{earlier.Name}'");
            for (int k = 0; k < node.Outputs.Count; k++) merged[node.Outputs[k]] = earlier.Outputs[k];
        }
    }
}
