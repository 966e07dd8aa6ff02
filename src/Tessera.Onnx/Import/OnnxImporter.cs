using Tessera.Devices;
using Tessera.Graph;
using Tessera.Memory;

namespace Tessera.Onnx.Import;

/// <summary>Maps an <see cref="OnnxModel"/> (opsets 7–17 of the default domain, opset 1 of ai.onnx.preview.training)
/// onto a <see cref="GraphBuilder"/>. Initializers become constants; shape-computing subgraphs on values known at import
/// time are folded on the host, so that Reshape, Expand, Slice, Pad, Split... receive their parameters as constants.
/// Unsupported operators or attribute values raise <see cref="OnnxUnsupportedException"/>; malformed graphs (undefined
/// inputs, cycles, bad axes) raise Tessera exceptions naming the node; a size beyond <see cref="MemoryLimits.Current"/>
/// is refused before it is computed or allocated, and a failed import disposes the device tensors it created.
/// Float64: Tessera's kernels compute float32, but element-wise arithmetic, Cast and Identity are also computed on the
/// host (<see cref="HostElementwiseOp"/>), in double. A model whose float64 values meet only those operators (or are
/// folded at import) keeps them as <see cref="DType.Float64"/> end to end; when any other operator would receive a
/// float64 value, the model is imported again with float64 narrowed to float32 (<see cref="OnnxImportOptions.KeepFloat64"/>).</summary>
public sealed partial class OnnxImporter
{
    /// <summary>The training-operator domain.</summary>
    public const string TrainingDomain = "ai.onnx.preview.training";

    private readonly OnnxModel _model;
    private readonly IDevice _device;
    private readonly OnnxImportOptions _options;
    private readonly GraphBuilder _g = new();
    private readonly Dictionary<string, Value> _values = new();
    private readonly Dictionary<string, HostTensor> _consts = new();
    private readonly HashSet<string> _graphInputs = new();
    private readonly HashSet<string> _initializers = new();
    private readonly long _opset;
    private readonly bool _keepF64;
    private OnnxNode _node = null!;

    private OnnxImporter(OnnxModel model, IDevice device, OnnxImportOptions options)
    {
        _model = model;
        _device = device;
        _options = options;
        _opset = model.Opset("");
        _keepF64 = options.KeepFloat64;
    }

    /// <summary>Imports <paramref name="model"/> for <paramref name="device"/> (constants are placed there).</summary>
    public static OnnxImportResult Import(OnnxModel model, IDevice device, OnnxImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(device);
        options ??= new OnnxImportOptions();
        if (options.KeepFloat64)
        {
            try
            {
                return new OnnxImporter(model, device, options).RunOrDispose();
            }
            catch (Float64NotCoveredException)
            {
                options = options with { KeepFloat64 = false };
            }
        }
        return new OnnxImporter(model, device, options).RunOrDispose();
    }

    /// <summary>Runs the import; when it fails, the device tensors it created for constants are disposed before the
    /// exception goes on (a failed import leaves nothing leased).</summary>
    private OnnxImportResult RunOrDispose()
    {
        try
        {
            return Run();
        }
        catch
        {
            foreach (var t in _owned) t.Dispose();
            _owned.Clear();
            throw;
        }
    }

    private bool CoversFloat64 => Find(_node)?.KeepsFloat64 == true;

    /// <summary>Raised (and caught by <see cref="Import"/>) when a float64 value reaches an operator that is not computed
    /// on the host: the model is imported again with float64 narrowed to float32.</summary>
    private sealed class Float64NotCoveredException : Exception;

    /// <summary>In float64-keeping mode, refuses a float64 graph value as input of an operator that does not keep float64
    /// (<see cref="OnnxOperator.KeepsFloat64"/>).</summary>
    private void CheckFloat64Inputs()
    {
        if (!_keepF64 || CoversFloat64) return;
        for (int i = 0; i < InputCount; i++)
            if (Has(i) && _values.TryGetValue(InName(i), out var v) && v.DType == DType.Float64) throw new Float64NotCoveredException();
    }

    private OnnxImportResult Run()
    {
        var graph = _model.Graph;
        // Opsets 7–17 are the target; older models import where their operators read the same (an attribute an old
        // version has and a newer one dropped is rejected by name, e.g. BatchNormalization-1 'consumed_inputs').
        if (_opset > 17)
            throw new OnnxUnsupportedException("model", "opset", $"default-domain opset {_opset} (supported: up to 17)");
        foreach (var (domain, version) in _model.OpsetImports)
            if (domain is not ("" or "ai.onnx" or TrainingDomain) && graph.Nodes.Any(n => n.Domain == domain))
                throw new OnnxUnsupportedException("model", "opset", $"domain '{domain}' (version {version})");
        foreach (var init in graph.Initializers)
        {
            _consts[init.Name] = HostTensor.FromOnnx(init, $"initializer '{init.Name}'");
            _initializers.Add(init.Name);
        }
        var inputs = new List<Value>();
        foreach (var vi in graph.Inputs)
        {
            if (_options.InputValues.TryGetValue(vi.Name, out var known))
            {
                _consts[vi.Name] = HostTensor.FromOnnx(known, $"input '{vi.Name}'");
                _initializers.Remove(vi.Name);
                continue;
            }
            if (_initializers.Contains(vi.Name) && !_options.InitializersAsInputs) continue;
            _consts.Remove(vi.Name);
            var dtype = HostTensor.ComputeDType(vi.ElemType, _keepF64)
                ?? throw new OnnxUnsupportedException($"input '{vi.Name}'", "graph input", $"element type {vi.ElemType}");
            long[] dims = _options.InputShapes.TryGetValue(vi.Name, out var given) ? given
                : vi.Dims ?? throw new OnnxUnsupportedException($"input '{vi.Name}'", "graph input", "unknown rank (give the input's shape)");
            if (dims.Any(d => d < 0))
                throw new OnnxUnsupportedException($"input '{vi.Name}'", "graph input", $"symbolic dimension in [{string.Join(", ", dims)}] (give the input's shape)");
            if (dims.Any(d => d > int.MaxValue))
                throw new TesseraShapeException($"input '{vi.Name}'", "dims", $"dimension out of range in [{string.Join(", ", dims)}]");
            var v = _g.Input(vi.Name, dtype, dims.Select(d => (int)d).ToArray());
            _values[vi.Name] = v;
            _graphInputs.Add(vi.Name);
            inputs.Add(v);
        }
        foreach (var node in Schedule(graph))
        {
            _node = node;
            CheckFloat64Inputs();
            ImportNode(node);
        }
        var outputs = new List<OnnxImportedOutput>();
        foreach (var o in graph.Outputs)
        {
            if (_consts.TryGetValue(o.Name, out var c) && !_values.ContainsKey(o.Name)) outputs.Add(new OnnxImportedOutput(o.Name, null, c));
            else if (_values.TryGetValue(o.Name, out var v)) { _g.Output(v); outputs.Add(new OnnxImportedOutput(o.Name, v, null)); }
            else throw new TesseraArgumentException("ONNX import (graph outputs)", o.Name, "is produced by no node, initializer or input");
        }
        return new OnnxImportResult(_g, inputs, outputs, _owned);
    }

    /// <summary>Nodes in an order where every input is defined before use (the file order when it already is one).
    /// Reports undefined inputs and cycles by node name.</summary>
    private List<OnnxNode> Schedule(OnnxGraph graph)
    {
        var producer = new Dictionary<string, int>();
        for (int i = 0; i < graph.Nodes.Count; i++)
            foreach (var o in graph.Nodes[i].Outputs)
                if (o.Length > 0)
                {
                    if (producer.ContainsKey(o) || _consts.ContainsKey(o) || _values.ContainsKey(o))
                        throw new TesseraArgumentException($"ONNX node '{NodeName(graph.Nodes[i], i)}'", o, "is defined twice (ONNX graphs are single-assignment)");
                    producer[o] = i;
                }
        var deps = new List<int>[graph.Nodes.Count];
        var pending = new int[graph.Nodes.Count];
        var users = Enumerable.Range(0, graph.Nodes.Count).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var n = graph.Nodes[i];
            deps[i] = new List<int>();
            foreach (var name in n.Inputs.Where(s => s.Length > 0).Distinct())
            {
                if (producer.TryGetValue(name, out int p)) { deps[i].Add(p); users[p].Add(i); pending[i]++; }
                else if (!_consts.ContainsKey(name) && !_values.ContainsKey(name))
                    throw new TesseraArgumentException($"ONNX node '{NodeName(n, i)}' ({n.OpType})", name, "is an undefined input: no node, initializer or graph input produces it");
            }
        }
        var order = new List<OnnxNode>();
        var ready = new SortedSet<int>(Enumerable.Range(0, graph.Nodes.Count).Where(i => pending[i] == 0));
        while (ready.Count > 0)
        {
            int i = ready.Min;
            ready.Remove(i);
            order.Add(graph.Nodes[i]);
            foreach (var u in users[i])
                if (--pending[u] == 0) ready.Add(u);
        }
        if (order.Count != graph.Nodes.Count)
        {
            var stuck = Enumerable.Range(0, graph.Nodes.Count).Where(i => pending[i] > 0).Select(i => $"'{NodeName(graph.Nodes[i], i)}'");
            throw new TesseraException("ONNX import", $"the graph has a cycle through nodes {string.Join(", ", stuck.Take(8))}");
        }
        return order;
    }

    /// <summary>Refuses a tensor of <paramref name="dims"/> beyond <see cref="MemoryLimits.Current"/> before anything is
    /// computed or allocated for it, naming the node.</summary>
    private void CheckSize(int[] dims, DType dtype, string what) =>
        MemoryLimits.Current.CheckTensor(Here, what, Shape.Create(Here, dims), dtype);

    /// <summary>The dtype input <paramref name="i"/> is computed in.</summary>
    private DType DTypeOf(int i) =>
        ConstIn(i) is { } c ? HostTensor.ComputeDType(c.Type, _keepF64) ?? throw Unsupported($"element type {c.Type} of '{InName(i)}'") : In(i).DType;

    private static string NodeName(OnnxNode n, int index) => n.Name.Length > 0 ? n.Name : $"#{index} {n.OpType}";

    private string NodeLabel => _node.Name.Length > 0 ? _node.Name : $"{_node.OpType} → {string.Join(",", _node.Outputs)}";

    /// <summary>The name used for errors about the current node.</summary>
    private string Here => $"ONNX node '{NodeLabel}' ({_node.OpType})";

    private OnnxUnsupportedException Unsupported(string what) =>
        new(NodeLabel, _node.Domain is "" or "ai.onnx" ? _node.OpType : $"{_node.Domain}:{_node.OpType}", what);

    // ---- inputs and outputs of the current node -------------------------------------------------------------------

    private int InputCount => _node.Inputs.Count;

    private bool Has(int i) => i < _node.Inputs.Count && _node.Inputs[i].Length > 0;

    private string InName(int i) => _node.Inputs[i];

    /// <summary>Input <paramref name="i"/> as a graph value (constants are bound on the device once).</summary>
    private Value In(int i)
    {
        if (!Has(i)) throw new TesseraArgumentException(Here, $"input {i}", "is required");
        return ValueOf(InName(i));
    }

    private Value ValueOf(string name)
    {
        if (_values.TryGetValue(name, out var v)) return v;
        if (_consts.TryGetValue(name, out var c))
        {
            if (_keepF64 && c.Type == OnnxDataType.Double && !CoversFloat64) throw new Float64NotCoveredException();
            var t = c.ToTensor(_device, Here, name, _keepF64);
            _owned.Add(t);
            // Only initializers train: a Constant operator's value or a value folded at import stays a constant.
            bool trainable = _initializers.Contains(name) && (_options.TrainableInitializers || _model.Opset(TrainingDomain) > 0);
            v = trainable ? _g.Parameter(name, t) : _g.Constant(name, t);
            _values[name] = v;
            return v;
        }
        throw new TesseraArgumentException(Here, name, "is an undefined input");
    }

    private readonly List<Tensor> _owned = new();

    /// <summary>Input <paramref name="i"/> when it is known at import time, else null.</summary>
    private HostTensor? ConstIn(int i) => Has(i) && _consts.TryGetValue(InName(i), out var c) ? c : null;

    /// <summary>Input <paramref name="i"/>, which must be known at import time (a shape, axes, pads...).</summary>
    private HostTensor RequireConst(int i, string what)
    {
        if (!Has(i)) throw new TesseraArgumentException(Here, what, "is required");
        var c = ConstIn(i);
        if (c is not null) return c;
        if (_graphInputs.Contains(InName(i))) throw new OnnxInputValueRequiredException(NodeLabel, _node.OpType, InName(i));
        throw Unsupported($"input '{what}' ({InName(i)}) is computed from data at run time (data-dependent shapes are not supported)");
    }

    /// <summary>Input <paramref name="i"/>, known at import time and holding exactly one element (a scalar operand such
    /// as Clip's bounds or Dropout's ratio; a one-element tensor of any rank is taken too).</summary>
    private HostTensor RequireScalar(int i, string what)
    {
        var c = RequireConst(i, what);
        if (c.Count != 1) throw new TesseraShapeException(Here, what, $"must be a scalar, got [{string.Join(", ", c.Dims)}] ({c.Count} elements)");
        return c;
    }

    /// <summary>Shape of input <paramref name="i"/> (graph value or constant).</summary>
    private int[] ShapeOf(int i) => ConstIn(i)?.Dims ?? In(i).Shape.ToArray();

    private void Set(int output, Value v)
    {
        if (output >= _node.Outputs.Count || _node.Outputs[output].Length == 0) return;
        _values[_node.Outputs[output]] = v;
    }

    private void SetConst(int output, HostTensor c)
    {
        if (output >= _node.Outputs.Count || _node.Outputs[output].Length == 0) return;
        _consts[_node.Outputs[output]] = c;
    }

    private bool Wants(int output) => output < _node.Outputs.Count && _node.Outputs[output].Length > 0;

    private string OutName(int i = 0) => _node.Outputs.Count > i && _node.Outputs[i].Length > 0 ? _node.Outputs[i] : $"{NodeLabel}:{i}";
}

/// <summary>Options of <see cref="OnnxImporter.Import"/>.</summary>
public sealed record OnnxImportOptions
{
    /// <summary>Values of graph inputs to treat as constants (shapes, axes, learning rates fed as inputs).</summary>
    public IReadOnlyDictionary<string, OnnxTensor> InputValues { get; init; } = new Dictionary<string, OnnxTensor>();

    /// <summary>Concrete shapes for graph inputs (overriding declared, possibly symbolic, dimensions).</summary>
    public IReadOnlyDictionary<string, long[]> InputShapes { get; init; } = new Dictionary<string, long[]>();

    /// <summary>Initializers become trainable parameters instead of constants (always so in models that import the
    /// training domain). Values of Constant operators and values folded at import stay constants.</summary>
    public bool TrainableInitializers { get; init; }

    /// <summary>Initializers that are also listed as graph inputs are fed at run time (IR &lt; 4 defaults) instead of
    /// being constants.</summary>
    public bool InitializersAsInputs { get; init; }

    /// <summary>Largest tensor (elements) the importer computes on the host when all of a node's inputs are known.</summary>
    public long MaxFoldedElements { get; init; } = 1 << 16;

    /// <summary>Keep float64 values as <see cref="DType.Float64"/> when only host-computed operators (element-wise
    /// arithmetic, Cast, Identity, Constant) receive them; otherwise, or when false, float64 is computed in float32.</summary>
    public bool KeepFloat64 { get; init; } = true;
}

/// <summary>One graph output: a graph value, or a constant when the output was computed at import time.</summary>
public sealed record OnnxImportedOutput(string Name, Value? Value, HostTensor? Constant);

/// <summary>What <see cref="OnnxImporter.Import"/> built: the builder (its graph), the fed inputs in ONNX order, the outputs
/// in ONNX order.</summary>
/// <param name="OwnedTensors">Device tensors the import created for constants: the caller disposes them with the plan.</param>
public sealed record OnnxImportResult(GraphBuilder Builder, IReadOnlyList<Value> Inputs, IReadOnlyList<OnnxImportedOutput> Outputs, IReadOnlyList<Tensor> OwnedTensors)
{
    /// <summary>The imported graph.</summary>
    public ComputeGraph Graph => Builder.Graph;
}
