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

    public int Id { get; }
    public string Name { get; }
    public GraphOp Op { get; }
    public IReadOnlyList<Value> Inputs { get; }
    public IReadOnlyList<Value> Outputs { get; internal set; }

    public override string ToString() =>
        $"{Name} = {Op.Describe()}({string.Join(", ", Inputs.Select(i => "%" + i.Id))}) -> {string.Join(", ", Outputs)}";
}
