using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tessera.Devices;
using Tessera.Graph.Optimization;

namespace Tessera.Onnx;

/// <summary>Runs an ONNX model on a device, fed and read with plain arrays, spans or tensors:
/// <code>
/// using var session = new InferenceSession("model.onnx", device);
/// session.SetInput("x", pixels, 1, 3, 224, 224);
/// session.Run();
/// session.CopyOutput&lt;float&gt;("y", logits);
/// </code>
/// Each fed input is checked against its declaration (element type, rank, concrete dimensions); symbolic dimensions
/// take the fed sizes, and a plan is compiled per set of fed shapes and kept (<see cref="OnnxProgram.MaxCachedPlans"/>),
/// so a new batch size compiles once and never imports the file again. An input is copied once, straight into the plan's
/// input tensor; an output is read from the plan's tensor (<see cref="Output(string)"/>, no copy) or copied once into a
/// caller's span. A model that keeps its weights in external files is read with them from the model's folder.</summary>
public sealed class InferenceSession : IDisposable
{
    private readonly OnnxProgram _program;
    private readonly Dictionary<string, Feed> _feeds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _constantOutputs = new(StringComparer.Ordinal);
    private bool _ran;

    /// <summary>Reads the model at <paramref name="modelPath"/> (with its external data, from its folder only) for
    /// <paramref name="device"/>.</summary>
    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="device">The device the model runs on.</param>
    /// <param name="optimization">How much the graph optimizer rewrites the imported graph.</param>
    /// <param name="maxCachedPlans">How many compiled plans (one per set of input shapes) are kept.</param>
    public InferenceSession(string modelPath, IDevice device, OptimizationLevel optimization = OptimizationLevel.All, int maxCachedPlans = 4)
        : this(OnnxReader.ReadModel(modelPath ?? throw new ArgumentNullException(nameof(modelPath))), device, optimization, maxCachedPlans) { }

    /// <summary>A session over a model already read.</summary>
    /// <param name="model">The model.</param>
    /// <param name="device">The device the model runs on.</param>
    /// <param name="optimization">How much the graph optimizer rewrites the imported graph.</param>
    /// <param name="maxCachedPlans">How many compiled plans (one per set of input shapes) are kept.</param>
    public InferenceSession(OnnxModel model, IDevice device, OptimizationLevel optimization = OptimizationLevel.All, int maxCachedPlans = 4)
    {
        _program = new OnnxProgram(model, device, optimization, maxCachedPlans);
    }

    /// <summary>The inputs to feed (graph inputs that are not initializers), in model order, with their declared
    /// element types and dimensions (−1 for a symbolic one).</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs => _program.Inputs;

    /// <summary>The outputs, in model order, as declared.</summary>
    public IReadOnlyList<OnnxValueInfo> Outputs => _program.Model.Graph.Outputs;

    /// <summary>The program underneath (the plan of the last run, the optimizer's report, the compile count).</summary>
    public OnnxProgram Program => _program;

    /// <summary>Feeds <paramref name="value"/> (any device tensor of the input's element type) to input
    /// <paramref name="name"/>; it is read at the next <see cref="Run()"/>.</summary>
    public void SetInput(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        SetFeed(name, new TensorFeed(value));
    }

    /// <summary>Feeds <paramref name="data"/> (row-major) of shape <paramref name="shape"/> to input
    /// <paramref name="name"/>. The array is kept, not copied, and read at the next <see cref="Run()"/>.</summary>
    public void SetInput<T>(string name, T[] data, params ReadOnlySpan<int> shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        SetInput(name, (ReadOnlyMemory<T>)data, shape);
    }

    /// <summary>Feeds <paramref name="data"/> (row-major) of shape <paramref name="shape"/> to input
    /// <paramref name="name"/>. The memory is kept, not copied, and read at the next <see cref="Run()"/>.</summary>
    public void SetInput<T>(string name, ReadOnlyMemory<T> data, params ReadOnlySpan<int> shape) where T : unmanaged =>
        SetFeed(name, new MemoryFeed<T>(data, CheckShape(name, DTypeInfo.Of<T>(), data.Length, shape)));

    /// <summary>Feeds <paramref name="data"/> (row-major) of shape <paramref name="shape"/> to input
    /// <paramref name="name"/>. A span cannot be kept: its elements are copied once into memory the session reuses
    /// (feed an array or <see cref="ReadOnlyMemory{T}"/> to avoid that copy).</summary>
    public void SetInput<T>(string name, ReadOnlySpan<T> data, params ReadOnlySpan<int> shape) where T : unmanaged
    {
        var dims = CheckShape(name, DTypeInfo.Of<T>(), data.Length, shape);
        var staging = _feeds.GetValueOrDefault(name) is MemoryFeed<T> { Staging: { } s } && s.Length == data.Length ? s : new T[data.Length];
        data.CopyTo(staging);
        SetFeed(name, new MemoryFeed<T>(staging, dims) { Staging = staging });
    }

    /// <summary>Feeds a <see cref="ReadOnlyTensorSpan{T}"/> (System.Numerics.Tensors) to input <paramref name="name"/>, its
    /// lengths the shape. Like a span, its elements are copied once into memory the session reuses (a strided one is
    /// gathered first).</summary>
    public void SetInput<T>(string name, in ReadOnlyTensorSpan<T> data) where T : unmanaged
    {
        var shape = Dims(name, data.Lengths);
        int count = checked((int)data.FlattenedLength);
        if (data.IsDense)
        {
            SetInput(name, MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in data.GetPinnableReference()), count), shape);
            return;
        }
        var dense = new T[count];
        data.FlattenTo(dense);
        SetInput(name, (ReadOnlyMemory<T>)dense, shape);
    }

    /// <summary>Feeds a <see cref="Tensor{T}"/> (System.Numerics.Tensors) to input <paramref name="name"/>, as
    /// <see cref="SetInput{T}(string, in ReadOnlyTensorSpan{T})"/>.</summary>
    public void SetInput<T>(string name, System.Numerics.Tensors.Tensor<T> data) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        SetInput(name, data.AsReadOnlyTensorSpan());
    }

    /// <summary>Runs the model on the inputs set (all of them must be), compiling a plan first when none was compiled for
    /// their shapes. The outputs stay readable until the next run.</summary>
    public void Run()
    {
        foreach (var t in _constantOutputs.Values) t.Dispose();
        _constantOutputs.Clear();
        _ran = false;
        _program.PrepareFed(_feeds.Select(kv => kv.Value.ToFed(kv.Key)).ToArray());
        _program.RunPrepared();
        _ran = true;
    }

    /// <summary>Sets every input of <paramref name="inputs"/>, runs and returns the outputs in model order (each valid
    /// until the next run, see <see cref="Output(string)"/>).</summary>
    public IReadOnlyList<Tensor> Run(params ReadOnlySpan<(string Name, Tensor Value)> inputs)
    {
        foreach (var (name, value) in inputs) SetInput(name, value);
        Run();
        return Outputs.Select(o => Output(o.Name)).ToArray();
    }

    /// <summary>Output <paramref name="name"/> of the last run: the plan's own tensor, no copy, valid until the next
    /// <see cref="Run()"/> or <see cref="Dispose"/>; its element type is the one Tessera computes it in.</summary>
    public Tensor Output(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_ran) throw new TesseraException("InferenceSession", "no run has completed: call Run before reading outputs");
        if (_program.OutputTensor(name) is { } t) return t;
        if (!_constantOutputs.TryGetValue(name, out var c))
        {
            int i = Outputs.Select(o => o.Name).ToList().IndexOf(name);
            c = OnnxTensors.ToTensor(_program.Outputs()[i], _program.Device, keepDouble: true);
            _constantOutputs[name] = c;
        }
        return c;
    }

    /// <summary>Output number <paramref name="index"/> (model order) of the last run, as <see cref="Output(string)"/>.</summary>
    public Tensor Output(int index)
    {
        if ((uint)index >= (uint)Outputs.Count)
            throw new TesseraArgumentException("InferenceSession", nameof(index), $"the model has {Outputs.Count} outputs, got index {index}");
        return Output(Outputs[index].Name);
    }

    /// <summary>Copies output <paramref name="name"/> of the last run (row-major) into <paramref name="destination"/>,
    /// which must hold exactly its elements.</summary>
    public void CopyOutput<T>(string name, Span<T> destination) where T : unmanaged => Output(name).CopyTo(destination);

    /// <summary>Copies output <paramref name="name"/> of the last run into <paramref name="destination"/>
    /// (System.Numerics.Tensors), whose lengths must be the output's shape: straight in when it is dense, through one
    /// gathered copy when it is strided.</summary>
    public void CopyOutput<T>(string name, in TensorSpan<T> destination) where T : unmanaged
    {
        var t = Output(name);
        var want = Dims(name, destination.Lengths);
        if (!want.SequenceEqual(t.Shape.ToArray()))
            throw new TesseraShapeException("InferenceSession", name, $"destination lengths [{string.Join(", ", want)}] differ from the output's shape {t.Shape}");
        int count = checked((int)destination.FlattenedLength);
        if (destination.IsDense)
        {
            t.CopyTo(MemoryMarshal.CreateSpan(ref destination.GetPinnableReference(), count));
            return;
        }
        var dense = t.ToArray<T>();
        new ReadOnlyTensorSpan<T>(dense, destination.Lengths).CopyTo(destination);
    }

    /// <summary>Output <paramref name="name"/> of the last run as a new array.</summary>
    public T[] GetOutput<T>(string name) where T : unmanaged => Output(name).ToArray<T>();

    /// <summary>Releases the compiled plans and the constants on the device.</summary>
    public void Dispose()
    {
        foreach (var t in _constantOutputs.Values) t.Dispose();
        _constantOutputs.Clear();
        _feeds.Clear();
        _program.Dispose();
    }

    private void SetFeed(string name, Feed feed)
    {
        ArgumentNullException.ThrowIfNull(name);
        // Graph inputs that are also initializers (overridable weights) may be fed too.
        if (!_program.Model.Graph.Inputs.Any(i => i.Name == name))
            throw new TesseraArgumentException("InferenceSession", name, $"is not an input of the model (inputs: {string.Join(", ", Inputs.Select(i => i.Name))})");
        _feeds[name] = feed;
    }

    private static int[] Dims(string name, ReadOnlySpan<nint> lengths)
    {
        var dims = new int[lengths.Length];
        for (int i = 0; i < dims.Length; i++)
            dims[i] = lengths[i] <= int.MaxValue ? (int)lengths[i] : throw new TesseraShapeException("InferenceSession", name, $"dimension {i} is {lengths[i]}, over {int.MaxValue}");
        return dims;
    }

    private static long[] CheckShape(string name, DType dtype, int length, ReadOnlySpan<int> shape)
    {
        var dims = new long[shape.Length];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0) throw new TesseraShapeException("InferenceSession", name, $"dimension {i} is {shape[i]}");
            dims[i] = shape[i];
            count = checked(count * shape[i]);
        }
        if (count != length)
            throw new TesseraShapeException("InferenceSession", name, $"{length} {dtype} elements for shape [{string.Join(", ", dims)}] ({count} elements)");
        return dims;
    }

    /// <summary>Where an input's elements come from.</summary>
    private abstract class Feed
    {
        public abstract OnnxProgram.FedInput ToFed(string name);
    }

    private sealed class TensorFeed(Tensor value) : Feed
    {
        public override OnnxProgram.FedInput ToFed(string name) =>
            new(name, OnnxTensors.ToOnnx(value.DType), value.Shape.ToArray().Select(d => (long)d).ToArray(),
                () => OnnxTensors.FromTensor(name, value), (t, n) =>
                {
                    if (t.DType != value.DType) throw new TesseraDTypeException("InferenceSession", n, $"fed {value.DType}, the model runs it as {t.DType}");
                    if (!ReferenceEquals(t.Device, value.Device)) throw new TesseraArgumentException("InferenceSession", n, $"the tensor is on {value.Device}, the session runs on {t.Device}");
                    t.Device.Kernels.Copy(value, t);
                });
    }

    private sealed class MemoryFeed<T>(ReadOnlyMemory<T> data, long[] dims) : Feed where T : unmanaged
    {
        /// <summary>The session's copy of a span, reused by the next span of the same length for this input.</summary>
        public T[]? Staging { get; init; }

        public override OnnxProgram.FedInput ToFed(string name) =>
            new(name, OnnxTensors.ToOnnx(DTypeInfo.Of<T>()), dims,
                () => new OnnxTensor(name, OnnxTensors.ToOnnx(DTypeInfo.Of<T>()), dims, MemoryMarshal.AsBytes(data.Span).ToArray()), (t, n) =>
                {
                    if (t.DType != DTypeInfo.Of<T>()) throw new TesseraDTypeException("InferenceSession", n, $"fed {DTypeInfo.Of<T>()}, the model runs it as {t.DType}");
                    t.CopyFrom(data.Span);
                });
    }
}
