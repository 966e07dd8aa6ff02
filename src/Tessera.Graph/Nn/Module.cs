using Tessera.Devices;
using Tessera.Graph.Training;

namespace Tessera.Graph.Nn;

/// <summary>A building block of a network: it owns its parameters (and persistent state such as running statistics) as
/// tensors on a device, and adds its computation to a graph with <see cref="Forward"/>. Modules compose: a module's
/// parameters include its children's, named by path ("block0.attn.wq").</summary>
public abstract partial class Module : IDisposable
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = new();
    private readonly List<(string Name, Tensor Tensor)> _state = new();
    private readonly List<(string Name, Module Module)> _children = new();

    /// <summary>Adds this module's computation on <paramref name="x"/> to the graph.</summary>
    public abstract Value Forward(GraphBuilder g, Value x);

    /// <summary>Registers a trainable parameter <paramref name="name"/> of the given shape and values on <paramref name="device"/>.</summary>
    protected Tensor AddParameter(string name, IDevice device, float[] values, params int[] shape)
    {
        var t = Tensor.FromArray(device, values, shape);
        _parameters.Add((name, t));
        return t;
    }

    /// <summary>Registers a non-trainable state tensor (running statistics) filled with <paramref name="value"/>.</summary>
    protected Tensor AddState(string name, IDevice device, float value, params int[] shape)
    {
        var t = Tensor.Full(device, value, shape);
        _state.Add((name, t));
        return t;
    }

    /// <summary>Registers <paramref name="module"/> as a child: its parameters and state are this module's, under <paramref name="name"/>.</summary>
    protected T AddChild<T>(string name, T module) where T : Module
    {
        _children.Add((name, module));
        return module;
    }

    /// <summary>Every trainable tensor, children included, with its path.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> Parameters()
    {
        foreach (var p in _parameters) yield return p;
        foreach (var (cn, c) in _children)
            foreach (var (n, t) in c.Parameters()) yield return ($"{cn}.{n}", t);
    }

    /// <summary>Every persistent non-trainable tensor (running statistics), children included.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State()
    {
        foreach (var p in _state) yield return p;
        foreach (var (cn, c) in _children)
            foreach (var (n, t) in c.State()) yield return ($"{cn}.{n}", t);
    }

    /// <summary>The graph value of a parameter or state tensor (bound once per builder).</summary>
    protected static Value P(GraphBuilder g, Tensor t, string name) => g.Parameter(name, t);

    /// <summary>The graph value of state tensor <paramref name="t"/>, named <paramref name="name"/>.</summary>
    protected static Value S(GraphBuilder g, Tensor t, string name) => g.State(name, t);

    /// <summary>The number of trainable scalars.</summary>
    public long ParameterCount => Parameters().Sum(p => p.Tensor.ElementCount);

    /// <summary>Disposes the module's parameters, state and children.</summary>
    public virtual void Dispose()
    {
        foreach (var (_, t) in _parameters) t.Dispose();
        foreach (var (_, t) in _state) t.Dispose();
        foreach (var (_, c) in _children) c.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Modules applied one after another.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = new();

    /// <summary>The layers, applied in order.</summary>
    public Sequential(params Module[] layers)
    {
        for (int i = 0; i < layers.Length; i++) Add(layers[i]);
    }

    /// <summary>Appends <paramref name="m"/> and returns this module.</summary>
    public Sequential Add(Module m)
    {
        _layers.Add(AddChild(_layers.Count.ToString(), m));
        return this;
    }

    /// <inheritdoc/>
    public override Value Forward(GraphBuilder g, Value x)
    {
        foreach (var l in _layers) x = l.Forward(g, x);
        return x;
    }
}

/// <summary>A parameter-free function as a module (activations, flatten, reshape).</summary>
public sealed class Lambda(Func<GraphBuilder, Value, Value> f) : Module
{
    /// <inheritdoc/>
    public override Value Forward(GraphBuilder g, Value x) => f(g, x);

    /// <summary>ReLU as a module.</summary>
    public static Lambda Relu() => new((g, x) => g.Relu(x));
    /// <summary>GELU (exact) as a module.</summary>
    public static Lambda Gelu() => new((g, x) => g.Gelu(x));
    /// <summary>Flattens every axis but the first (the batch).</summary>
    public static Lambda Flatten() => new((g, x) => g.Reshape(x, x.Shape[0], -1));
}
