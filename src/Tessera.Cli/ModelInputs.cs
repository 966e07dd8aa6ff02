using Tessera.Memory;
using Tessera.Onnx;
using Tessera.Onnx.Import;
using Tessera.Onnx.Testing;

namespace Tessera.Cli;

/// <summary>The inputs <c>tessera run</c> and <c>tessera compare</c> feed a model: files named with
/// <c>--input NAME=FILE.npy|FILE.pb</c>, else the test case's own <c>test_data_set_0/input_K.pb</c> when the model is an
/// ONNX test case (its folder holds one), else deterministic values (uniform [0, 1) floats from a fixed seed, zeros for
/// other types) of the declared shape, whose symbolic dimensions take their size from <c>--dim NAME=SIZE</c>.</summary>
internal static class ModelInputs
{
    /// <summary>The feeds for <paramref name="inputs"/> (the inputs <paramref name="model"/> must be fed; a file may also
    /// replace an initializer that is a graph input); <paramref name="note"/> hears which inputs were filled rather than
    /// given. Errors are <see cref="TesseraArgumentException"/>s of <paramref name="command"/>.</summary>
    public static Dictionary<string, OnnxTensor> Resolve(string command, OnnxModel model, IReadOnlyList<OnnxValueInfo> inputs,
        IEnumerable<string> inputSpecs, IEnumerable<string> dimSpecs, string? testCase, Action<string> note)
    {
        var feeds = new Dictionary<string, OnnxTensor>();
        foreach (var spec in inputSpecs)
        {
            var (name, file) = Split(command, "--input", spec, "NAME=FILE");
            if (!inputs.Any(i => i.Name == name) && !model.Graph.Inputs.Any(i => i.Name == name))
                throw new TesseraArgumentException(command, "--input", $"the model has no input '{name}' (inputs: {string.Join(", ", inputs.Select(i => i.Name))})");
            feeds[name] = ReadFile(command, name, file);
        }
        var dims = ParseDims(command, dimSpecs);
        var unused = dims.Keys.Where(d => !inputs.Any(i => i.DimParams?.Contains(d) == true)).ToArray();
        if (unused.Length > 0)
            throw new TesseraArgumentException(command, "--dim", $"no input has a dimension named '{string.Join("', '", unused)}'");
        var fromCase = testCase is null ? [] : DataSetInputs(testCase, inputs);
        foreach (var vi in inputs.Where(i => !feeds.ContainsKey(i.Name)))
        {
            if (fromCase.TryGetValue(vi.Name, out var t)) { feeds[vi.Name] = t; continue; }
            feeds[vi.Name] = Fill(command, vi, dims);
            note($"input '{vi.Name}' {vi.ElemType}[{string.Join(", ", feeds[vi.Name].Dims)}] not given; filled deterministically");
        }
        return feeds;
    }

    /// <summary>The inputs of <paramref name="testCase"/>'s <c>test_data_set_0</c> (input_K.pb for the K-th input to feed),
    /// empty when it has none.</summary>
    public static Dictionary<string, OnnxTensor> DataSetInputs(string testCase, IReadOnlyList<OnnxValueInfo> inputs)
    {
        string set = Path.Combine(testCase, "test_data_set_0");
        return Directory.Exists(set) ? OnnxTestRunner.ReadInputs(set, inputs) : [];
    }

    /// <summary>An input read from a .npy or TensorProto .pb file, named <paramref name="name"/>.</summary>
    public static OnnxTensor ReadFile(string command, string name, string file)
    {
        if (!File.Exists(file)) throw new TesseraArgumentException(command, "--input", $"file '{file}' for input '{name}' does not exist");
        if (file.EndsWith(".pb", StringComparison.OrdinalIgnoreCase)) return OnnxReader.ReadTensor(file) with { Name = name };
        if (file.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var a = NpyFile.Read(file);
            return new OnnxTensor(name, HostTensor.ToOnnx(a.DType), a.Shape.Select(d => (long)d).ToArray(), a.Data);
        }
        throw new TesseraArgumentException(command, "--input", $"'{file}' is neither .npy nor .pb");
    }

    /// <summary>Deterministic values of <paramref name="vi"/>'s declared shape (symbolic dimensions from
    /// <paramref name="dims"/>): uniform [0, 1) floats from seed 1234, zeros for other element types.</summary>
    public static OnnxTensor Fill(string command, OnnxValueInfo vi, IReadOnlyDictionary<string, int> dims)
    {
        if (vi.Dims is null)
            throw new TesseraArgumentException(command, "--input", $"input '{vi.Name}' declares no shape; give it with --input {vi.Name}=FILE");
        var shape = new int[vi.Dims.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            long d = vi.Dims[i];
            string? param = vi.DimParams is { } ps && i < ps.Count ? ps[i] : null;
            if (d < 0 && param is not null && dims.TryGetValue(param, out int size)) d = size;
            if (d < 0)
                throw new TesseraArgumentException(command, "--input", param is null
                    ? $"input '{vi.Name}' has an unnamed dimension {i} of unknown size; give the input with --input {vi.Name}=FILE"
                    : $"input '{vi.Name}' has the symbolic dimension '{param}'; give its size with --dim {param}=SIZE or the input with --input {vi.Name}=FILE");
            shape[i] = SizeMath.Dim(command, vi.Name, d, "a declared dimension");
        }
        var dtype = HostTensor.ComputeDType(vi.ElemType) ?? throw new TesseraDTypeException(command, vi.Name, $"element type {vi.ElemType} cannot be filled");
        // Refused before anything is allocated: beyond the memory limits, or beyond what one host array holds.
        var checkedShape = Shape.Create(command, shape);
        MemoryLimits.Current.CheckTensor(command, vi.Name, checkedShape, dtype);
        int n = SizeMath.HostArrayLength(command, vi.Name, checkedShape.ElementCount,
            Math.Max(sizeof(double), HostTensor.ElementSize(vi.ElemType, command, vi.Name)));
        var rng = new Random(1234);
        var host = HostTensor.IsFloatType(vi.ElemType)
            ? HostTensor.Of(vi.ElemType, shape, Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray())
            : HostTensor.Of(vi.ElemType, shape, new long[n]);
        return host.ToOnnx(vi.Name);
    }

    private static Dictionary<string, int> ParseDims(string command, IEnumerable<string> specs)
    {
        var dims = new Dictionary<string, int>();
        foreach (var spec in specs)
        {
            var (name, value) = Split(command, "--dim", spec, "NAME=SIZE");
            if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int size) || size < 1)
                throw new TesseraArgumentException(command, "--dim", $"'{spec}': the size must be a whole number of at least 1");
            dims[name] = size;
        }
        return dims;
    }

    private static (string Name, string Value) Split(string command, string option, string spec, string form)
    {
        int eq = spec.IndexOf('=');
        if (eq <= 0 || eq == spec.Length - 1) throw new TesseraArgumentException(command, option, $"'{spec}' is not {form}");
        return (spec[..eq], spec[(eq + 1)..]);
    }
}
