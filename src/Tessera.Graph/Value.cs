namespace Tessera.Graph;

/// <summary>What a value is to the executor.</summary>
public enum ValueKind
{
    /// <summary>Fed by the caller for each run (a batch of data, labels).</summary>
    Input,
    /// <summary>A trainable tensor bound once and kept across runs.</summary>
    Parameter,
    /// <summary>Persistent non-trainable state updated by the graph (BatchNorm running statistics).</summary>
    State,
    /// <summary>A tensor fixed at build time.</summary>
    Constant,
    /// <summary>Produced by a node; lives in the plan's arena.</summary>
    Intermediate,
}

/// <summary>A tensor-valued edge of the graph: its shape and dtype are known when it is built.</summary>
public sealed class Value
{
    internal Value(int id, string name, Shape shape, DType dtype, ValueKind kind, Node? producer, int producerOutput)
    {
        Id = id;
        Name = name;
        Shape = shape;
        DType = dtype;
        Kind = kind;
        Producer = producer;
        ProducerOutput = producerOutput;
    }

    /// <summary>The value's index in <see cref="ComputeGraph.Values"/>.</summary>
    public int Id { get; }
    /// <summary>The value's unique name.</summary>
    public string Name { get; }
    /// <summary>The value's dimensions.</summary>
    public Shape Shape { get; }
    /// <summary>The value's element type.</summary>
    public DType DType { get; }

    /// <summary>Shape and dtype, as the argument rules (<see cref="Kernels.ShapeRules"/>) take them.</summary>
    public TensorSpec Spec => new(Shape, DType);

    /// <summary>What the value is: an input, parameter, state, constant or an intermediate.</summary>
    public ValueKind Kind { get; }

    /// <summary>The node that computes this value (null for inputs, parameters, state and constants).</summary>
    public Node? Producer { get; }

    /// <summary>Which output of <see cref="Producer"/> this is.</summary>
    public int ProducerOutput { get; }

    /// <summary>Marked as a graph output: kept alive to the end of a run and readable afterwards.</summary>
    public bool IsOutput { get; internal set; }

    /// <summary>Marked as the scalar loss.</summary>
    public bool IsLoss { get; internal set; }

    /// <summary>Gradients do not flow through this value (StopGradient).</summary>
    public bool StopsGradient { get; internal set; }

    /// <summary>Tensor bound to a constant, parameter or state value.</summary>
    internal Tensor? Bound { get; set; }

    /// <inheritdoc/>
    public override string ToString() => $"%{Id} {Name} {DType.ShortName()}{Shape}";
}
