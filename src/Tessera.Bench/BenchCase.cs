using Tessera.Devices;
using Tessera.Kernels;

namespace Tessera.Bench;

/// <summary>One row of the catalog: an op at one shape and pass, its work, how to set it up on a device, and the
/// baselines that compute the same thing.</summary>
/// <param name="Op">Op name (the --op filter matches it by prefix).</param>
/// <param name="Kind">The kernel the case times (every kind has a case or a reason in <see cref="BenchCatalog.NotBenched"/>).</param>
/// <param name="Shape">Human-readable shape.</param>
/// <param name="Pass">"fwd" or "bwd".</param>
/// <param name="Setup">Builds inputs (seeded), outputs, the timed call and its verification on a device.</param>
public sealed record BenchCase(
    string Op, OpKind Kind, string Shape, string Pass, Work.Amount Work,
    Func<BenchContext, BenchInstance> Setup, IReadOnlyList<BaselineSpec> Baselines, string DType = "f32")
{
    /// <summary>In a sweep: the dimension that varies ("M=N=K", "sequence length", ...), else null.</summary>
    public string? SweepAxis { get; init; }

    /// <summary>In a sweep: that dimension's value for this case.</summary>
    public double? SweepValue { get; init; }
}

/// <summary>A set-up case: the timed call, a verification against the reference (run once, before timing) and the
/// host copies of the inputs that baselines consume.</summary>
public sealed class BenchInstance(Action run, Func<Verification> verify, BenchContext context, Tensor? primary = null) : IDisposable
{
    /// <summary>The timed call.</summary>
    public Action Run { get; } = run;

    /// <summary>The output baselines also produce (compared with theirs after verification), or null.</summary>
    public Tensor? Primary { get; } = primary;
    /// <summary>Checks the output against the reference (run once, before timing).</summary>
    public Func<Verification> Verify { get; } = verify;
    /// <summary>The case's tensors and the host copies of its inputs.</summary>
    public BenchContext Context { get; } = context;
    /// <summary>Disposes the case's tensors.</summary>
    public void Dispose() => Context.Dispose();
}

/// <summary>Result of checking a kernel's output against <c>Tessera.Reference</c>: the worst normalised error
/// max |a − r| / (|r| + rms(r)) over every output compared, against the case's tolerance.</summary>
public sealed record Verification(bool Ok, double WorstError, string Note)
{
    /// <summary>One verification of several outputs: ok when all are, the worst error of all, the notes joined.</summary>
    public static Verification Combine(params Verification[] parts) =>
        new(parts.All(p => p.Ok), parts.Max(p => p.WorstError), string.Join("; ", parts.Select(p => p.Note)));
}

/// <summary>A named host array with its shape (what a baseline is fed).</summary>
public sealed record HostArray(string Name, float[] Data, int[] Shape);

/// <summary>A baseline for a case: <see cref="Create"/> binds it to a set-up instance (its host inputs, or its device
/// tensors for a device library) and may throw <see cref="BaselineUnavailableException"/> (or any load error) to mark it
/// missing with the reason. It runs on the kind of device it is for: host libraries beside the CPU backend (the
/// default), device libraries on the device our kernels ran on.</summary>
public sealed record BaselineSpec(string Name, Func<BenchInstance, int, BaselineRun> Create, DeviceKind Device = DeviceKind.Cpu);

/// <summary>A bound baseline: the call to time and what to release afterwards.</summary>
/// <param name="output">The host array the baseline writes its (first) output into.</param>
/// <param name="readOutput">For a device baseline: reads its (first) output back to the host.</param>
/// <param name="measure">For a baseline that times itself (in another process): its measurement under the given
/// options; <paramref name="run"/> is then not timed.</param>
public sealed class BaselineRun(Action run, IDisposable? owner = null, float[]? output = null, Func<float[]>? readOutput = null,
    Func<BenchOptions, Measurement>? measure = null) : IDisposable
{
    /// <summary>The baseline's call, timed unless it times itself.</summary>
    public Action Run { get; } = run;

    /// <summary>Non-null for a baseline that times itself.</summary>
    public Func<BenchOptions, Measurement>? Measure { get; } = measure;

    /// <summary>The baseline's (first) output after a run, for the agreement check; null when it has none to compare.</summary>
    public float[]? Output => readOutput is not null ? readOutput() : output;
    /// <summary>Disposes what the baseline holds (sessions, native buffers).</summary>
    public void Dispose() => owner?.Dispose();
}

/// <summary>A baseline that cannot run here, with the reason.</summary>
public sealed class BaselineUnavailableException(string reason) : Exception(reason);

/// <summary>Where a case is set up: the device, a seeded generator, and ownership of everything allocated.</summary>
public sealed class BenchContext(IDevice device, int seed) : IDisposable
{
    private readonly List<IDisposable> _owned = new();
    private readonly Dictionary<string, HostArray> _host = new();
    private readonly Dictionary<string, Tensor> _tensors = new();
    private ulong _state = 0x9E3779B97F4A7C15UL ^ (ulong)(seed + 1) * 0xBF58476D1CE4E5B9UL;

    /// <summary>The device the case runs on.</summary>
    public IDevice Device { get; } = device;

    /// <summary>Host copies of the inputs, by name.</summary>
    public IReadOnlyDictionary<string, HostArray> Host => _host;

    /// <summary>The inputs on the device, by name (what device baselines read).</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>Takes ownership of a disposable (disposed with the context).</summary>
    public T Own<T>(T d) where T : IDisposable { _owned.Add(d); return d; }

    /// <summary>Uniform floats in [lo, hi) (never all zeros: "never time on zeros").</summary>
    public float[] Uniform(long n, float lo = -1f, float hi = 1f)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = lo + (hi - lo) * NextUnit();
        return a;
    }

    private float NextUnit()
    {
        _state ^= _state << 13; _state ^= _state >> 7; _state ^= _state << 17;
        return (_state >> 40) * (1f / (1 << 24));
    }

    /// <summary>A random float32 input on the device, remembered on the host under <paramref name="name"/>.</summary>
    public Tensor In(string name, int[] shape, float lo = -1f, float hi = 1f)
    {
        var data = Uniform(Tessera.Reference.RefTensor.Count(shape), lo, hi);
        _host[name] = new HostArray(name, data, shape);
        return _tensors[name] = Own(Tensor.FromArray(Device, data, shape));
    }

    /// <summary>Random int64 class indices in [0, classes).</summary>
    public Tensor Indices(string name, int n, int classes)
    {
        var data = new long[n];
        for (int i = 0; i < n; i++) data[i] = (long)(NextUnit() * classes) % classes;
        _host[name] = new HostArray(name, Array.ConvertAll(data, x => (float)x), new[] { n });
        return Own(Tensor.FromArray(Device, data, n));
    }

    /// <summary>An output poisoned with NaN (so an unwritten element fails verification).</summary>
    public Tensor Out(params int[] shape) => Out(DType.Float32, shape);

    /// <summary>An output of <paramref name="dtype"/> poisoned with NaN where the type has one (so an unwritten element fails verification).</summary>
    public Tensor Out(DType dtype, params int[] shape)
    {
        var t = Own(Tensor.Empty(Device, dtype, shape));
        if (dtype == DType.Float32) Device.Kernels.Fill(t, double.NaN);
        return t;
    }

    /// <summary>A reference tensor of a host input.</summary>
    public Tessera.Reference.RefTensor Ref(string name) =>
        Tessera.Reference.RefTensor.FromFloats(_host[name].Data, _host[name].Shape);

    /// <summary>The first prod(<paramref name="shape"/>) elements of a host input as a reference tensor of that shape: a
    /// leading sub-block (first rows, samples or heads) for verifying a sample of a large output.</summary>
    public Tessera.Reference.RefTensor RefPrefix(string name, params int[] shape)
    {
        long n = Tessera.Reference.RefTensor.Count(shape);
        return Tessera.Reference.RefTensor.FromFloats(_host[name].Data.AsSpan(0, (int)n).ToArray(), shape);
    }

    /// <summary>The first <paramref name="count"/> entries along axis 1 of a host input [N, C, ...].</summary>
    public Tessera.Reference.RefTensor RefChannels(string name, int count)
    {
        var h = _host[name];
        int n = h.Shape[0], c = h.Shape[1];
        int inner = (int)(h.Data.Length / ((long)n * c));
        var data = new float[(long)n * count * inner];
        for (int i = 0; i < n; i++)
            Array.Copy(h.Data, (long)i * c * inner, data, (long)i * count * inner, (long)count * inner);
        var shape = (int[])h.Shape.Clone();
        shape[1] = count;
        return Tessera.Reference.RefTensor.FromFloats(data, shape);
    }

    /// <summary>Disposes every tensor the context created.</summary>
    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
    }
}
