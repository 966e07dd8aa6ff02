namespace Tessera.Graph.Optimization;

/// <summary>What a replacement's build callback (<see cref="GraphRewriter.Replace"/>) works with: the builder of the new
/// graph, the new value standing for any source value computed so far, and the node the replacement takes the place of.</summary>
public sealed class GraphEmitter
{
    private readonly Func<Value, Value> _map;
    private readonly GraphRewriter _rewriter;

    internal GraphEmitter(GraphBuilder builder, Func<Value, Value> map, Node anchor, GraphRewriter rewriter)
    {
        Builder = builder;
        _map = map;
        Anchor = anchor;
        _rewriter = rewriter;
    }

    /// <summary>The builder of the new graph.</summary>
    public GraphBuilder Builder { get; }

    /// <summary>The last source node of the replaced set: new nodes are named after it.</summary>
    public Node Anchor { get; }

    /// <summary>The new graph's value for the source value <paramref name="source"/>.</summary>
    public Value this[Value source] => _map(source);

    /// <summary>A constant of the new graph bound to <paramref name="tensor"/>, a tensor the pass created: the optimization
    /// result owns it (source values are reached through the indexer, never bound again here).</summary>
    public Value Constant(string name, Tensor tensor) => Builder.Constant(name, _rewriter.Own(tensor));

    /// <summary>A float32 constant of the given shape holding <paramref name="data"/>, created on <paramref name="device"/>.</summary>
    public Value Constant(string name, Devices.IDevice device, float[] data, params int[] shape) =>
        Constant(name, Tensor.FromArray(device, data, shape));
}
