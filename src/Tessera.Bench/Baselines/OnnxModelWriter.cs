using Tessera.Onnx;
using Tessera.Onnx.Protobuf;

namespace Tessera.Bench.Baselines;

/// <summary>Single-node float32 ONNX models for the ONNX Runtime baselines: the graph's inputs and outputs are value
/// infos with fixed shapes, the node carries int, float, ints and string attributes. The bytes are written by the ONNX
/// project's <see cref="OnnxWriter"/> (the one protobuf writer).</summary>
public static class OnnxModelWriter
{
    /// <summary>A node attribute: exactly one of <see cref="I"/>, <see cref="F"/>, <see cref="Ints"/>, <see cref="S"/> is set.</summary>
    public sealed record AttributeSpec(string Name, long? I = null, float? F = null, long[]? Ints = null, string? S = null);

    /// <summary>The bytes of a model with one node of <paramref name="opType"/> (default domain, opset
    /// <paramref name="opset"/>).</summary>
    public static byte[] SingleNode(string opType, IReadOnlyList<(string Name, int[] Shape)> inputs,
        IReadOnlyList<(string Name, int[] Shape)> outputs, IReadOnlyList<AttributeSpec>? attributes = null, int opset = 17)
    {
        var attrs = new Dictionary<string, OnnxAttribute>();
        foreach (var a in attributes ?? Array.Empty<AttributeSpec>())
            if (!attrs.TryAdd(a.Name, Convert(a)))
                throw new TesseraArgumentException(nameof(OnnxModelWriter), nameof(attributes), $"attribute '{a.Name}' is given twice");
        var node = new OnnxNode(opType.ToLowerInvariant() + "0", opType, "", inputs.Select(i => i.Name).ToArray(),
            outputs.Select(o => o.Name).ToArray(), attrs);
        var graph = new OnnxGraph("tessera_bench", [node], [], inputs.Select(ValueInfo).ToArray(), outputs.Select(ValueInfo).ToArray());
        return OnnxWriter.WriteModel(new OnnxModel(8, "tessera-bench", new Dictionary<string, long> { [""] = opset }, graph));
    }

    private static OnnxAttribute Convert(AttributeSpec a) =>
        a.F is float f ? new OnnxAttribute(a.Name, OnnxAttributeType.Float, F: f)
        : a.I is long i ? new OnnxAttribute(a.Name, OnnxAttributeType.Int, I: i)
        : a.Ints is long[] ints ? new OnnxAttribute(a.Name, OnnxAttributeType.Ints, Ints: ints)
        : a.S is string str ? new OnnxAttribute(a.Name, OnnxAttributeType.String, S: str)
        : throw new TesseraArgumentException(nameof(OnnxModelWriter), nameof(a), $"attribute '{a.Name}' has no value");

    private static OnnxValueInfo ValueInfo((string Name, int[] Shape) v) =>
        new(v.Name, OnnxDataType.Float, Array.ConvertAll(v.Shape, d => (long)d));
}
