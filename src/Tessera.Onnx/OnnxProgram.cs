using Tessera.Devices;
using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Optimization;
using Tessera.Onnx.Import;

namespace Tessera.Onnx;

/// <summary>An ONNX model imported and compiled into an <see cref="ExecutionPlan"/> for one device. Inputs are fed by
/// name, each of the element type the model declares and of its declared rank and concrete dimensions (symbolic
/// dimensions take any size); outputs come back in the order of the model's graph outputs. A plan is compiled for the
/// shapes of the fed inputs (symbolic dimensions take the fed sizes) and for the values of inputs the importer needs as
/// constants (shape arguments, learning rates fed as inputs); the last <see cref="MaxCachedPlans"/> plans are kept, so
/// feeding shapes seen before (a last partial batch, alternating sequence lengths) does not import again. Between import
/// and planning the graph goes through the <see cref="GraphOptimizer"/> at <see cref="Optimization"/> (All by default,
/// as ONNX Runtime does).</summary>
public sealed class OnnxProgram : IDisposable
{
    private readonly IDevice _device;
    private readonly HashSet<string> _valueInputs = new();
    private readonly List<Compiled> _plans = new();   // most recently used first
    private Compiled? _compiled;

    private sealed record Compiled(string Key, OnnxImportResult Import, OptimizationResult Optimized, ExecutionPlan Plan);

    /// <param name="model">The model.</param>
    /// <param name="device">The device the plan runs on (constants are placed there).</param>
    /// <param name="optimization">How much the graph optimizer rewrites the imported graph before planning.</param>
    /// <param name="maxCachedPlans">How many compiled plans (one per set of fed shapes) are kept; at least 1.</param>
    public OnnxProgram(OnnxModel model, IDevice device, OptimizationLevel optimization = OptimizationLevel.All, int maxCachedPlans = 4)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(device);
        if (maxCachedPlans < 1) throw new TesseraArgumentException("OnnxProgram", nameof(maxCachedPlans), $"must be at least 1, got {maxCachedPlans}");
        Model = model;
        _device = device;
        Optimization = optimization;
        MaxCachedPlans = maxCachedPlans;
        var initializers = model.Graph.Initializers.Select(i => i.Name).ToHashSet();
        Inputs = model.Graph.Inputs.Where(i => !initializers.Contains(i.Name)).ToArray();
    }

    /// <summary>The model the program runs.</summary>
    public OnnxModel Model { get; }

    /// <summary>The device the plans run on.</summary>
    public IDevice Device => _device;

    /// <summary>The level the graph optimizer runs at on each compile.</summary>
    public OptimizationLevel Optimization { get; }

    /// <summary>How many compiled plans are kept (the least recently used is released first).</summary>
    public int MaxCachedPlans { get; }

    /// <summary>How many times the model has been imported and compiled (once per new set of fed shapes or constant
    /// input values that no kept plan matches).</summary>
    public int CompileCount { get; private set; }

    /// <summary>What the optimizer did at the last compile (null before the first <see cref="Prepare"/> or <see cref="Run"/>).</summary>
    public OptimizationReport? OptimizationReport => _compiled?.Optimized.Report;

    /// <summary>The graph as imported at the last compile, before optimization (the plan runs <see cref="Plan"/>'s graph).</summary>
    public ComputeGraph? ImportedGraph => _compiled?.Import.Graph;

    /// <summary>The inputs a caller feeds (graph inputs that are not initializers), in model order.</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }

    /// <summary>Names of the outputs, in model order.</summary>
    public IReadOnlyList<string> OutputNames => Model.Graph.Outputs.Select(o => o.Name).ToArray();

    /// <summary>The plan of the last <see cref="Prepare"/> (null before the first <see cref="Prepare"/> or <see cref="Run"/>).</summary>
    public ExecutionPlan? Plan => _compiled?.Plan;

    /// <summary>Inputs whose values were bound as constants at import time.</summary>
    public IReadOnlyCollection<string> ValueInputs => _valueInputs;

    /// <summary>Imports and compiles (when no kept plan was compiled for these shapes and constant inputs) and writes the
    /// fed inputs into the plan.</summary>
    public void Prepare(IReadOnlyDictionary<string, OnnxTensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var value in inputs.Values) ArgumentNullException.ThrowIfNull(value);
        PrepareFed(inputs.Select(kv => new FedInput(kv.Key, kv.Value.DataType, kv.Value.Dims, () => kv.Value, (t, name) =>
        {
            var host = HostTensor.FromOnnx(kv.Value, $"input '{name}'");
            using var src = host.ToTensor(_device, "OnnxProgram", name, keepFloat64: t.DType == DType.Float64);
            if (src.DType != t.DType) throw new TesseraDTypeException("OnnxProgram", name, $"fed {src.DType}, the model declares {t.DType}");
            _device.Kernels.Copy(src, t);
        })).ToArray());
    }

    /// <summary>One fed input: its element type and dimensions, its value as an ONNX tensor (asked for only where the
    /// importer binds the input as a constant) and how to write it into the plan's input tensor.</summary>
    internal sealed record FedInput(string Name, OnnxDataType Type, long[] Dims, Func<OnnxTensor> Value, Action<Tensor, string> Write);

    /// <summary><see cref="Prepare(IReadOnlyDictionary{string, OnnxTensor})"/> over fed inputs of any source.</summary>
    internal void PrepareFed(IReadOnlyList<FedInput> inputs)
    {
        foreach (var vi in Inputs)
            if (!inputs.Any(i => i.Name == vi.Name))
                throw new TesseraArgumentException("OnnxProgram", vi.Name, "input was not fed");
        foreach (var fed in inputs)
        {
            var declared = Model.Graph.Inputs.FirstOrDefault(i => i.Name == fed.Name)
                ?? throw new TesseraArgumentException("OnnxProgram", fed.Name, "is not an input of the model");
            CheckDeclared(declared, fed.Type, fed.Dims);
        }
        string key = Key(inputs);
        var c = _plans.FirstOrDefault(p => p.Key == key) ?? Compile(inputs);
        _plans.Remove(c);
        _plans.Insert(0, c);
        _compiled = c;
        foreach (var v in c.Import.Inputs)
        {
            var fed = inputs.First(i => i.Name == v.Name);
            if (!fed.Dims.SequenceEqual(v.Shape.ToArray().Select(d => (long)d)))
                throw new TesseraShapeException("OnnxProgram", v.Name, $"fed [{string.Join(", ", fed.Dims)}], compiled for {v.Shape}");
            fed.Write(c.Plan[c.Optimized.Map(v)], v.Name);
        }
    }

    /// <summary>The plan tensor the graph output <paramref name="name"/> is read from after a run, or null where the output
    /// is a constant of the model (then <see cref="Outputs"/> has it).</summary>
    internal Tensor? OutputTensor(string name)
    {
        var c = _compiled ?? throw new TesseraException("OnnxProgram", "nothing has run");
        var o = c.Import.Outputs.FirstOrDefault(x => x.Name == name)
            ?? throw new TesseraArgumentException("OnnxProgram", name, "is not an output of the model");
        return o.Constant is null ? c.Plan[c.Optimized.Map(o.Value!)] : null;
    }

    /// <summary>A fed value must have the element type the model declares for the input, and its rank and every
    /// concrete dimension (symbolic ones take any size).</summary>
    private static void CheckDeclared(OnnxValueInfo declared, OnnxDataType type, long[] fedDims)
    {
        string fedShape = $"[{string.Join(", ", fedDims)}]";
        if (declared.ElemType != OnnxDataType.Undefined && type != declared.ElemType)
            throw new TesseraDTypeException("OnnxProgram", declared.Name, $"fed {type} {fedShape}, the model declares {declared.ElemType}");
        if (declared.Dims is not { } dims) return;
        string want = "[" + string.Join(", ", dims.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : declared.DimParams?[i] ?? "?")) + "]";
        if (fedDims.Length != dims.Length)
            throw new TesseraShapeException("OnnxProgram", declared.Name, $"fed {fedShape} (rank {fedDims.Length}), the model declares {want} (rank {dims.Length})");
        for (int i = 0; i < dims.Length; i++)
            if (dims[i] >= 0 && fedDims[i] != dims[i])
                throw new TesseraShapeException("OnnxProgram", declared.Name, $"fed {fedShape}, the model declares {want} (dimension {i}: {fedDims[i]} vs {dims[i]})");
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

    private string Key(IReadOnlyList<FedInput> inputs) =>
        string.Join(";", inputs.OrderBy(i => i.Name, StringComparer.Ordinal).Select(i =>
            $"{i.Name}:{i.Type}[{string.Join(",", i.Dims)}]" + (_valueInputs.Contains(i.Name) ? "=" + Convert.ToBase64String(i.Value().RawData) : "")));

    private Compiled Compile(IReadOnlyList<FedInput> inputs)
    {
        var shapes = inputs.ToDictionary(i => i.Name, i => i.Dims);
        for (int attempt = 0; ; attempt++)
        {
            var options = new OnnxImportOptions
            {
                InputShapes = shapes,
                InputValues = inputs.Where(i => _valueInputs.Contains(i.Name) || !Inputs.Any(x => x.Name == i.Name)).ToDictionary(i => i.Name, i => i.Value()),
            };
            OnnxImportResult import;
            try
            {
                import = OnnxImporter.Import(Model, _device, options);
            }
            catch (OnnxInputValueRequiredException e) when (shapes.ContainsKey(e.Input) && !_valueInputs.Contains(e.Input) && attempt <= inputs.Count)
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
            CompileCount++;
            var c = new Compiled(Key(inputs), import, optimized, plan);
            while (_plans.Count >= MaxCachedPlans)
            {
                var old = _plans[^1];
                _plans.RemoveAt(_plans.Count - 1);
                if (ReferenceEquals(old, _compiled)) _compiled = null;
                Release(old);
            }
            return c;
        }
    }

    private static void Release(Compiled c)
    {
        c.Plan.Dispose();
        c.Optimized.Dispose();
        foreach (var t in c.Import.OwnedTensors) t.Dispose();
    }

    /// <summary>Releases every kept plan and the constants it placed on the device.</summary>
    public void Dispose()
    {
        foreach (var c in _plans) Release(c);
        _plans.Clear();
        _compiled = null;
    }
}
