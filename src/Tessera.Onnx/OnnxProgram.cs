using Tessera.Devices;
using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Optimization;
using Tessera.Onnx.Import;

namespace Tessera.Onnx;

/// <summary>An ONNX model imported and compiled into an <see cref="ExecutionPlan"/> for one device. Inputs are fed by
/// name, each of the element type the model declares and of its declared rank and concrete dimensions (symbolic
/// dimensions take any size); outputs come back in the order of the model's graph outputs. The plan is compiled for the shapes of the fed
/// inputs (symbolic dimensions take the fed sizes) and for the values of inputs the importer needs as constants (shape
/// arguments, learning rates fed as inputs); feeding other shapes or values compiles again. Between import and planning
/// the graph goes through the <see cref="GraphOptimizer"/> at <see cref="Optimization"/> (All by default, as ONNX Runtime
/// does).</summary>
public sealed class OnnxProgram : IDisposable
{
    private readonly IDevice _device;
    private readonly HashSet<string> _valueInputs = new();
    private Compiled? _compiled;

    private sealed record Compiled(string Key, OnnxImportResult Import, OptimizationResult Optimized, ExecutionPlan Plan);

    /// <param name="model">The model.</param>
    /// <param name="device">The device the plan runs on (constants are placed there).</param>
    /// <param name="optimization">How much the graph optimizer rewrites the imported graph before planning.</param>
    public OnnxProgram(OnnxModel model, IDevice device, OptimizationLevel optimization = OptimizationLevel.All)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(device);
        Model = model;
        _device = device;
        Optimization = optimization;
        var initializers = model.Graph.Initializers.Select(i => i.Name).ToHashSet();
        Inputs = model.Graph.Inputs.Where(i => !initializers.Contains(i.Name)).ToArray();
    }

    public OnnxModel Model { get; }

    /// <summary>The level the graph optimizer runs at on each compile.</summary>
    public OptimizationLevel Optimization { get; }

    /// <summary>What the optimizer did at the last compile (null before the first <see cref="Prepare"/> or <see cref="Run"/>).</summary>
    public OptimizationReport? OptimizationReport => _compiled?.Optimized.Report;

    /// <summary>The graph as imported at the last compile, before optimization (the plan runs <see cref="Plan"/>'s graph).</summary>
    public ComputeGraph? ImportedGraph => _compiled?.Import.Graph;

    /// <summary>The inputs a caller feeds (graph inputs that are not initializers), in model order.</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }

    /// <summary>Names of the outputs, in model order.</summary>
    public IReadOnlyList<string> OutputNames => Model.Graph.Outputs.Select(o => o.Name).ToArray();

    /// <summary>The plan of the last compile (null before the first <see cref="Prepare"/> or <see cref="Run"/>).</summary>
    public ExecutionPlan? Plan => _compiled?.Plan;

    /// <summary>Inputs whose values were bound as constants at import time.</summary>
    public IReadOnlyCollection<string> ValueInputs => _valueInputs;

    /// <summary>Imports and compiles (when the shapes or constant inputs changed) and writes the fed inputs into the plan.</summary>
    public void Prepare(IReadOnlyDictionary<string, OnnxTensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var vi in Inputs)
            if (!inputs.ContainsKey(vi.Name))
                throw new TesseraArgumentException("OnnxProgram", vi.Name, "input was not fed");
        foreach (var (name, value) in inputs)
        {
            var declared = Model.Graph.Inputs.FirstOrDefault(i => i.Name == name)
                ?? throw new TesseraArgumentException("OnnxProgram", name, "is not an input of the model");
            CheckDeclared(declared, value);
        }
        string key = Key(inputs);
        if (_compiled?.Key != key) Compile(inputs);
        var c = _compiled!;
        foreach (var v in c.Import.Inputs)
        {
            var host = HostTensor.FromOnnx(inputs[v.Name], $"input '{v.Name}'");
            if (!host.Dims.SequenceEqual(v.Shape.ToArray()))
                throw new TesseraShapeException("OnnxProgram", v.Name, $"fed [{string.Join(", ", host.Dims)}], compiled for {v.Shape}");
            var t = c.Plan[c.Optimized.Map(v)];
            using var src = host.ToTensor(_device, "OnnxProgram", v.Name, keepFloat64: t.DType == DType.Float64);
            if (src.DType != t.DType) throw new TesseraDTypeException("OnnxProgram", v.Name, $"fed {src.DType}, the model declares {t.DType}");
            _device.Kernels.Copy(src, t);
        }
    }

    /// <summary>A fed value must have the element type the model declares for the input, and its rank and every
    /// concrete dimension (symbolic ones take any size).</summary>
    private static void CheckDeclared(OnnxValueInfo declared, OnnxTensor fed)
    {
        ArgumentNullException.ThrowIfNull(fed);
        string fedShape = $"[{string.Join(", ", fed.Dims)}]";
        if (declared.ElemType != OnnxDataType.Undefined && fed.DataType != declared.ElemType)
            throw new TesseraDTypeException("OnnxProgram", declared.Name, $"fed {fed.DataType} {fedShape}, the model declares {declared.ElemType}");
        if (declared.Dims is not { } dims) return;
        string want = "[" + string.Join(", ", dims.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
        if (fed.Dims.Length != dims.Length)
            throw new TesseraShapeException("OnnxProgram", declared.Name, $"fed {fedShape} (rank {fed.Dims.Length}), the model declares {want} (rank {dims.Length})");
        for (int i = 0; i < dims.Length; i++)
            if (dims[i] >= 0 && fed.Dims[i] != dims[i])
                throw new TesseraShapeException("OnnxProgram", declared.Name, $"fed {fedShape}, the model declares {want} (dimension {i}: {fed.Dims[i]} vs {dims[i]})");
    }

    /// <summary>Runs the prepared plan once (the inputs written by <see cref="Prepare"/> stay in place).</summary>
    public void RunPrepared()
    {
        var c = _compiled ?? throw new TesseraException("OnnxProgram", "call Prepare before RunPrepared");
        c.Plan.Run();
        _device.DefaultStream.Synchronize();
    }

    /// <summary>The outputs of the last run, in model order.</summary>
    public IReadOnlyList<OnnxTensor> Outputs()
    {
        var c = _compiled ?? throw new TesseraException("OnnxProgram", "nothing has run");
        return c.Import.Outputs.Select(o =>
        {
            var host = o.Constant ?? HostTensor.FromTensor(c.Plan[c.Optimized.Map(o.Value!)]);
            var declared = Model.Graph.Outputs.First(x => x.Name == o.Name).ElemType;
            if (declared != OnnxDataType.Undefined && declared != host.Type) host = host.CastTo(declared);
            return host.ToOnnx(o.Name);
        }).ToArray();
    }

    /// <summary>Feeds <paramref name="inputs"/>, runs once and returns the outputs in model order.</summary>
    public IReadOnlyList<OnnxTensor> Run(IReadOnlyDictionary<string, OnnxTensor> inputs)
    {
        Prepare(inputs);
        RunPrepared();
        return Outputs();
    }

    private string Key(IReadOnlyDictionary<string, OnnxTensor> inputs) =>
        string.Join(";", inputs.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv =>
            $"{kv.Key}:{kv.Value.DataType}[{string.Join(",", kv.Value.Dims)}]" + (_valueInputs.Contains(kv.Key) ? "=" + Convert.ToBase64String(kv.Value.RawData) : "")));

    private void Compile(IReadOnlyDictionary<string, OnnxTensor> inputs)
    {
        Release();
        var shapes = inputs.ToDictionary(kv => kv.Key, kv => kv.Value.Dims);
        for (int attempt = 0; ; attempt++)
        {
            var options = new OnnxImportOptions
            {
                InputShapes = shapes,
                InputValues = inputs.Where(kv => _valueInputs.Contains(kv.Key) || !Inputs.Any(i => i.Name == kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value),
            };
            OnnxImportResult import;
            try
            {
                import = OnnxImporter.Import(Model, _device, options);
            }
            catch (OnnxInputValueRequiredException e) when (inputs.ContainsKey(e.Input) && !_valueInputs.Contains(e.Input) && attempt <= inputs.Count)
            {
                _valueInputs.Add(e.Input);
                continue;
            }
            OptimizationResult? optimized = null;
            ExecutionPlan plan;
            try
            {
                optimized = GraphOptimizer.Optimize(import.Graph, Optimization);
                plan = ExecutionPlan.Compile(optimized.Graph, _device);
            }
            catch
            {
                optimized?.Dispose();
                foreach (var t in import.OwnedTensors) t.Dispose();
                throw;
            }
            _compiled = new Compiled(Key(inputs), import, optimized, plan);
            return;
        }
    }

    private void Release()
    {
        if (_compiled is null) return;
        _compiled.Plan.Dispose();
        _compiled.Optimized.Dispose();
        foreach (var t in _compiled.Import.OwnedTensors) t.Dispose();
        _compiled = null;
    }

    public void Dispose() => Release();
}
