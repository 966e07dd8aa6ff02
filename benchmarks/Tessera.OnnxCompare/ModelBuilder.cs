using System.Runtime.InteropServices;
using Tessera.Onnx;

namespace Tessera.OnnxCompare;

/// <summary>Builds an <see cref="OnnxModel"/> node by node, with seeded random float initializers.</summary>
public sealed class ModelBuilder(int seed, long opset = 17)
{
    private readonly Random _rng = new(seed);
    private readonly List<OnnxNode> _nodes = [];
    private readonly List<OnnxTensor> _inits = [];
    private readonly List<OnnxValueInfo> _inputs = [];
    private readonly List<OnnxValueInfo> _outputs = [];
    private int _next;

    /// <summary>Declares a float graph input.</summary>
    public string Input(string name, params long[] dims)
    {
        _inputs.Add(new OnnxValueInfo(name, OnnxDataType.Float, dims));
        return name;
    }

    /// <summary>Declares a float graph output.</summary>
    public void Output(string name, params long[] dims) => _outputs.Add(new OnnxValueInfo(name, OnnxDataType.Float, dims));

    /// <summary>A float initializer with values uniform in [−scale, scale].</summary>
    public string Weight(string name, float scale, params long[] dims)
    {
        long n = dims.Aggregate(1L, (a, d) => a * d);
        var v = new float[n];
        for (long i = 0; i < n; i++) v[i] = (float)((_rng.NextDouble() * 2 - 1) * scale);
        _inits.Add(new OnnxTensor(name, OnnxDataType.Float, dims, MemoryMarshal.AsBytes(v.AsSpan()).ToArray()));
        return name;
    }

    /// <summary>A float initializer filled with <paramref name="value"/>.</summary>
    public string Fill(string name, float value, params long[] dims)
    {
        var v = new float[dims.Aggregate(1L, (a, d) => a * d)];
        Array.Fill(v, value);
        _inits.Add(new OnnxTensor(name, OnnxDataType.Float, dims, MemoryMarshal.AsBytes(v.AsSpan()).ToArray()));
        return name;
    }

    /// <summary>A 1-D int64 initializer (shapes for Reshape).</summary>
    public string Int64s(string name, params long[] values)
    {
        _inits.Add(new OnnxTensor(name, OnnxDataType.Int64, [values.Length], MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
        return name;
    }

    /// <summary>Appends a node and returns its (single) output's name.</summary>
    public string Node(string opType, string[] inputs, params OnnxAttribute[] attributes) =>
        NodeNamed(opType, inputs, $"{opType.ToLowerInvariant()}_{_next}", attributes);

    /// <summary>Appends a node whose output is called <paramref name="output"/>.</summary>
    public string NodeNamed(string opType, string[] inputs, string output, params OnnxAttribute[] attributes)
    {
        _nodes.Add(new OnnxNode($"n{_next++}", opType, "", inputs, [output], attributes.ToDictionary(a => a.Name)));
        return output;
    }

    public static OnnxAttribute Int(string name, long v) => new(name, OnnxAttributeType.Int, I: v);
    public static OnnxAttribute Float(string name, float v) => new(name, OnnxAttributeType.Float, F: v);
    public static OnnxAttribute Ints(string name, params long[] v) => new(name, OnnxAttributeType.Ints, Ints: v);

    public OnnxModel Build(string graphName) =>
        new(8, "Tessera.OnnxCompare", new Dictionary<string, long> { [""] = opset },
            new OnnxGraph(graphName, _nodes, _inits, _inputs, _outputs));
}
