using Tessera.Graph.Operators;
using Tessera.Memory;

namespace Tessera.Graph;

/// <summary>Builds a <see cref="ComputeGraph"/>: each call infers its outputs' shapes and dtypes at once, so a mistake
/// is reported at the line that makes it, naming the node. Op methods live in partial files by family.</summary>
public sealed partial class GraphBuilder
{
    private readonly Dictionary<string, int> _nameCounts = new();

    /// <summary>A builder of a new, empty graph.</summary>
    public GraphBuilder() : this(new ComputeGraph()) { }

    /// <summary>A builder that adds to <paramref name="graph"/>.</summary>
    public GraphBuilder(ComputeGraph graph) => Graph = graph;

    /// <summary>The graph being built.</summary>
    public ComputeGraph Graph { get; }

    /// <summary>A value fed at every run.</summary>
    public Value Input(string name, DType dtype, params int[] shape)
    {
        string op = $"Input '{name}'";
        var s = Shape.Create(op, shape);
        MemoryLimits.Current.CheckTensor(op, nameof(shape), s, dtype);
        return Graph.AddValue(name, s, dtype, ValueKind.Input);
    }

    /// <summary>A trainable tensor, bound now and kept across runs (the graph does not own it).</summary>
    public Value Parameter(string name, Tensor value) => Bind(name, value, ValueKind.Parameter);

    /// <summary>Persistent state the graph updates in place (BatchNorm running statistics).</summary>
    public Value State(string name, Tensor value) => Bind(name, value, ValueKind.State);

    /// <summary>A fixed tensor: its contents must not change once the graph is built (the optimizer may fold it, and a
    /// plan's kernels may keep it packed in their own layout, <see cref="Execution.ExecutionPlan.PackConstants"/>). Bind a
    /// tensor that changes between runs as a <see cref="Parameter"/>.</summary>
    public Value Constant(string name, Tensor value) => Bind(name, value, ValueKind.Constant);

    private readonly Dictionary<Tensor, Value> _bound = new(ReferenceEqualityComparer.Instance);

    /// <summary>Binds a tensor once: binding the same tensor again returns the same value (modules used twice share
    /// their parameters).</summary>
    private Value Bind(string name, Tensor t, ValueKind kind)
    {
        Check.Alive($"{kind} '{name}'", nameof(t), t);
        if (_bound.TryGetValue(t, out var existing))
        {
            if (existing.Kind != kind) throw new TesseraArgumentException($"{kind} '{name}'", nameof(t), $"tensor already bound as {existing.Kind} {existing}");
            return existing;
        }
        var v = Graph.AddValue(name, t.Shape, t.DType, kind);
        v.Bound = t;
        _bound[t] = v;
        return v;
    }

    /// <summary>The value a tensor was bound to in this builder, or null.</summary>
    public Value? ValueOf(Tensor t) => _bound.GetValueOrDefault(t);

    /// <summary>Adds a node running <paramref name="op"/> on <paramref name="inputs"/> (null for absent optional
    /// inputs is not allowed here: ops with optional inputs take fewer inputs) and returns its outputs. The node keeps
    /// the op resolved for its inputs (<see cref="GraphOp.Resolve"/>); a mistake, or an output beyond
    /// <see cref="MemoryLimits.Current"/>, is reported here, naming the node.</summary>
    public Value[] Apply(GraphOp op, string? name, params Value[] inputs)
    {
        string nodeName = UniqueName(name ?? op.Kind);
        CheckInputs(nodeName, inputs);
        op = op.Resolve(nodeName, inputs);
        var specs = op.Infer(nodeName, inputs);
        var limits = MemoryLimits.Current;
        for (int i = 0; i < specs.Length; i++) limits.CheckTensor(nodeName, specs.Length == 1 ? "output" : $"output {i}", specs[i].Shape, specs[i].DType);
        var node = Graph.AddNode(nodeName, op, inputs);
        node.Outputs = specs.Select((s, i) => Graph.AddValue(specs.Length == 1 ? nodeName : $"{nodeName}:{i}", s.Shape, s.DType, ValueKind.Intermediate, node, i)).ToArray();
        return node.Outputs.ToArray();
    }

    /// <summary>Each input is a value of this graph (op methods that inspect their inputs before they add a node check
    /// them first).</summary>
    private void CheckInputs(string node, params Value[] inputs)
    {
        foreach (var (v, i) in inputs.Select((v, i) => (v, i)))
        {
            if (v is null) throw new TesseraArgumentException(node, $"input {i}", "is null");
            if (v.Id >= Graph.Values.Count || !ReferenceEquals(Graph.Values[v.Id], v))
                throw new TesseraArgumentException(node, $"input {i}", $"{v} belongs to another graph");
        }
    }

    /// <summary>Single-output form of <see cref="Apply"/>.</summary>
    public Value Apply1(GraphOp op, string? name, params Value[] inputs) => Apply(op, name, inputs)[0];

    /// <summary>Marks values as outputs of the graph.</summary>
    public void Output(params Value[] values)
    {
        CheckInputs("GraphBuilder.Output", values);
        foreach (var v in values) v.IsOutput = true;
    }

    /// <summary>Marks the scalar loss (also an output).</summary>
    public Value Loss(Value loss)
    {
        CheckInputs("GraphBuilder.Loss", loss);
        if (loss.Shape.ElementCount != 1 || loss.DType != DType.Float32)
            throw new TesseraShapeException("GraphBuilder.Loss", nameof(loss), $"the loss must be a float32 scalar, got {loss}");
        loss.IsLoss = true;
        loss.IsOutput = true;
        return loss;
    }

    /// <summary>During <see cref="Autodiff.AppendBackward"/>: the values whose gradient is wanted (those that
    /// depend on a differentiated target). Gradient rules use it to skip work (no dx for a data input).</summary>
    internal HashSet<Value>? GradientScope { get; set; }

    /// <summary>True when a gradient for <paramref name="v"/> is needed by the backward pass being built.</summary>
    public bool RequiresGrad(Value v) => GradientScope is null || (GradientScope.Contains(v) && !v.StopsGradient);

    private string UniqueName(string baseName)
    {
        _nameCounts.TryGetValue(baseName, out int n);
        _nameCounts[baseName] = n + 1;
        return n == 0 ? baseName : $"{baseName}_{n}";
    }
}
