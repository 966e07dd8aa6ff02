namespace Tessera.Onnx.Import;

public sealed partial class OnnxImporter
{
    private OnnxAttribute? Attr(string name) => _node.Attributes.TryGetValue(name, out var a) ? a : null;

    private OnnxAttribute Typed(string name, OnnxAttributeType type)
    {
        var a = Attr(name)!;
        if (a.Type != type) throw new TesseraArgumentException(Here, name, $"attribute has type {a.Type}, expected {type}");
        return a;
    }

    private long Int(string name, long fallback) => Attr(name) is null ? fallback : Typed(name, OnnxAttributeType.Int).I;

    private long RequiredInt(string name) =>
        Attr(name) is null ? throw new TesseraArgumentException(Here, name, "required attribute is missing") : Typed(name, OnnxAttributeType.Int).I;

    private float Float(string name, float fallback) => Attr(name) is null ? fallback : Typed(name, OnnxAttributeType.Float).F;

    private float RequiredFloat(string name) =>
        Attr(name) is null ? throw new TesseraArgumentException(Here, name, "required attribute is missing") : Typed(name, OnnxAttributeType.Float).F;

    private string Str(string name, string fallback) => Attr(name) is null ? fallback : Typed(name, OnnxAttributeType.String).S ?? "";

    private long[]? Ints(string name) => Attr(name) is null ? null : (Typed(name, OnnxAttributeType.Ints).Ints ?? Array.Empty<long>()).ToArray();

    private string[]? Strings(string name) => Attr(name) is null ? null : (Typed(name, OnnxAttributeType.Strings).Strings ?? Array.Empty<string>()).ToArray();

    private int ToInt(long v, string what) =>
        v is < int.MinValue or > int.MaxValue ? throw new TesseraArgumentException(Here, what, $"value {v} is out of range") : (int)v;

    /// <summary>Normalises an ONNX axis against a rank, naming the node when it is out of range.</summary>
    private int Axis(long axis, int rank, string what = "axis")
    {
        if (axis < -rank || axis >= Math.Max(rank, 1) || (rank == 0 && axis != 0 && axis != -1))
            throw new TesseraAxisException(Here, what, $"axis {axis} is out of range for rank {rank}");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    /// <summary>Rejects attributes a node has but Tessera does not read (every attribute the spec defines is read).</summary>
    private void KnownAttributes(params ReadOnlySpan<string> names)
    {
        foreach (var a in _node.Attributes.Keys)
            if (!names.Contains(a)) throw Unsupported($"attribute '{a}'");
    }
}
