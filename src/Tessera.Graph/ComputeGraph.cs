using System.Text;
using Tessera.Graph.Operators;

namespace Tessera.Graph;

/// <summary>A computation: values (inputs, parameters, state, constants, intermediates) and the nodes that produce them,
/// in the order they were added (which is a topological order).</summary>
public sealed class ComputeGraph
{
    private readonly List<Value> _values = new();
    private readonly List<Node> _nodes = new();

    /// <summary>Every value of the graph, in the order it was added.</summary>
    public IReadOnlyList<Value> Values => _values;
    /// <summary>Every node of the graph, in the order it was added (a topological order).</summary>
    public IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>The values fed at run time.</summary>
    public IEnumerable<Value> Inputs => _values.Where(v => v.Kind == ValueKind.Input);
    /// <summary>The trainable values bound to parameter tensors.</summary>
    public IEnumerable<Value> Parameters => _values.Where(v => v.Kind == ValueKind.Parameter);
    /// <summary>The values marked as outputs.</summary>
    public IEnumerable<Value> Outputs => _values.Where(v => v.IsOutput);
    /// <summary>The value marked as the loss, if any.</summary>
    public Value? Loss => _values.FirstOrDefault(v => v.IsLoss);

    /// <summary>True once <see cref="Autodiff.AppendBackward"/> has appended a backward pass.</summary>
    public bool HasBackward { get; internal set; }

    internal Value AddValue(string name, Shape shape, DType dtype, ValueKind kind, Node? producer = null, int output = 0)
    {
        var v = new Value(_values.Count, name, shape, dtype, kind, producer, output);
        _values.Add(v);
        return v;
    }

    internal Node AddNode(string name, GraphOp op, Value[] inputs)
    {
        var n = new Node(_nodes.Count, name, op, inputs);
        _nodes.Add(n);
        return n;
    }

    /// <summary>A readable listing: one line per value source and per node.</summary>
    public string Dump()
    {
        var sb = new StringBuilder();
        foreach (var v in _values.Where(v => v.Producer is null))
            sb.AppendLine($"{v.Kind.ToString().ToLowerInvariant(),-9} {v}");
        foreach (var n in _nodes)
            sb.AppendLine(n.ToString());
        foreach (var v in _values.Where(v => v.IsOutput || v.IsLoss))
            sb.AppendLine($"{(v.IsLoss ? "loss" : "output"),-9} {v}");
        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => $"ComputeGraph({_nodes.Count} nodes, {_values.Count} values)";
}
