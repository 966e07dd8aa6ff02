using Tessera.Graph.Operators;

namespace Tessera.Graph;

/// <summary>One operation of the graph: an op with its inputs and outputs.</summary>
public sealed class Node
{
    internal Node(int id, string name, GraphOp op, Value[] inputs)
    {
        Id = id;
        Name = name;
        Op = op;
        Inputs = inputs;
        Outputs = Array.Empty<Value>();
    }

    /// <summary>The node's index in <see cref="ComputeGraph.Nodes"/>.</summary>
    public int Id { get; }
    /// <summary>The node's unique name.</summary>
    public string Name { get; }
    /// <summary>The operator the node runs.</summary>
    public GraphOp Op { get; }
    /// <summary>The values the node reads, in the operator's order.</summary>
    public IReadOnlyList<Value> Inputs { get; }
    /// <summary>The values the node produces, in the operator's order.</summary>
    public IReadOnlyList<Value> Outputs { get; internal set; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name} = {Op.Describe()}({string.Join(", ", Inputs.Select(i => "%" + i.Id))}) -> {string.Join(", ", Outputs)}";
}
