using System.Buffers.Binary;
using Tessera.Onnx;
using Tessera.Onnx.Import;
using Tessera.Tests.Support;

namespace Tessera.Tests.Onnx;

/// <summary>Builds small ONNX models in memory (the record types of <see cref="OnnxModel"/>) and runs them through
/// <see cref="OnnxProgram"/> on the CPU.</summary>
internal sealed class ImportModels
{
    private readonly List<OnnxNode> _nodes = new();
    private readonly List<OnnxTensor> _inits = new();
    private readonly List<OnnxValueInfo> _inputs = new();
    private readonly List<OnnxValueInfo> _outputs = new();
    private readonly long _opset;
    private readonly Dictionary<string, long> _opsets;

    public ImportModels(long opset = 13, long trainingOpset = 0)
    {
        _opset = opset;
        _opsets = new Dictionary<string, long> { [""] = opset };
        if (trainingOpset > 0) _opsets[OnnxImporter.TrainingDomain] = trainingOpset;
    }

    public ImportModels Input(string name, params long[] dims) => Input(name, OnnxDataType.Float, dims);

    public ImportModels Input(string name, OnnxDataType type, params long[] dims)
    {
        _inputs.Add(new OnnxValueInfo(name, type, dims));
        return this;
    }

    public ImportModels Output(string name, OnnxDataType type = OnnxDataType.Float)
    {
        _outputs.Add(new OnnxValueInfo(name, type, null));
        return this;
    }

    public ImportModels Init(string name, float[] data, params long[] dims)
    {
        _inits.Add(Floats(name, data, dims));
        return this;
    }

    public ImportModels InitTensor(OnnxTensor tensor)
    {
        _inits.Add(tensor);
        return this;
    }

    public ImportModels InitInts(string name, long[] data, params long[] dims)
    {
        _inits.Add(Int64s(name, data, dims));
        return this;
    }

    public ImportModels Node(string op, string[] inputs, string[] outputs, params OnnxAttribute[] attrs) =>
        NodeIn("", op, inputs, outputs, attrs);

    public ImportModels NodeIn(string domain, string op, string[] inputs, string[] outputs, params OnnxAttribute[] attrs)
    {
        _nodes.Add(new OnnxNode($"n{_nodes.Count}_{op}", op, domain, inputs, outputs, attrs.ToDictionary(a => a.Name)));
        return this;
    }

    public OnnxModel Build() =>
        new(8, "tessera-tests", _opsets, new OnnxGraph("g", _nodes.ToArray(), _inits.ToArray(), _inputs.ToArray(), _outputs.ToArray()));

    public static OnnxAttribute I(string name, long v) => new(name, OnnxAttributeType.Int, I: v);
    public static OnnxAttribute F(string name, float v) => new(name, OnnxAttributeType.Float, F: v);
    public static OnnxAttribute S(string name, string v) => new(name, OnnxAttributeType.String, S: v);
    public static OnnxAttribute Is(string name, params long[] v) => new(name, OnnxAttributeType.Ints, Ints: v);
    public static OnnxAttribute Ss(string name, params string[] v) => new(name, OnnxAttributeType.Strings, Strings: v);
    public static OnnxAttribute T(string name, OnnxTensor t) => new(name, OnnxAttributeType.Tensor, T: t);

    public static OnnxTensor Floats(string name, float[] data, params long[] dims)
    {
        var raw = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), data[i]);
        return new OnnxTensor(name, OnnxDataType.Float, dims, raw);
    }

    public static OnnxTensor Int64s(string name, long[] data, params long[] dims)
    {
        var raw = new byte[data.Length * 8];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), data[i]);
        return new OnnxTensor(name, OnnxDataType.Int64, dims, raw);
    }

    public static float[] ToFloats(OnnxTensor t)
    {
        Assert.Equal(OnnxDataType.Float, t.DataType);
        var f = new float[t.ElementCount];
        for (int i = 0; i < f.Length; i++) f[i] = BinaryPrimitives.ReadSingleLittleEndian(t.RawData.AsSpan(i * 4));
        return f;
    }

    public static long[] ToLongs(OnnxTensor t) => HostTensor.FromOnnx(t, "test").AsLongs();

    /// <summary>Deterministic float data in [-1, 1).</summary>
    public static float[] Data(int seed, int n, float lo = -1, float hi = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * (float)r.NextDouble()).ToArray();
    }

    /// <summary>Runs the model on the CPU and returns its outputs.</summary>
    public IReadOnlyList<OnnxTensor> Run(params (string Name, OnnxTensor Value)[] inputs)
    {
        using var p = new OnnxProgram(Build(), TestDevices.Cpu);
        return p.Run(inputs.ToDictionary(x => x.Name, x => x.Value with { Name = x.Name }));
    }

    public static void Close(double[] expected, float[] actual, double tol = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol + tol * Math.Abs(expected[i]), $"index {i}: expected {expected[i]}, got {actual[i]}");
    }
}
