using System.Buffers.Binary;
using System.Text;

namespace Tessera.Tests.Onnx;

/// <summary>A tiny test-side protobuf encoder, independent of the product code, for building ONNX messages (valid and
/// deliberately broken) byte by byte.</summary>
internal sealed class Pb
{
    private readonly List<byte> _b = [];

    public byte[] ToArray() => [.. _b];

    public Pb Raw(params byte[] bytes) { _b.AddRange(bytes); return this; }

    public Pb Tag(int field, int wireType) => VarintRaw((ulong)((uint)field << 3 | (uint)wireType));

    public Pb VarintRaw(ulong v)
    {
        while (v >= 0x80) { _b.Add((byte)(v | 0x80)); v >>= 7; }
        _b.Add((byte)v);
        return this;
    }

    public Pb Varint(int field, long v) => Tag(field, 0).VarintRaw((ulong)v);

    public Pb Fixed32(int field, float v)
    {
        Tag(field, 5);
        Span<byte> s = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(s, v);
        _b.AddRange(s);
        return this;
    }

    public Pb Fixed64(int field, double v)
    {
        Tag(field, 1);
        Span<byte> s = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(s, v);
        _b.AddRange(s);
        return this;
    }

    public Pb Bytes(int field, byte[] v) { Tag(field, 2).VarintRaw((ulong)v.Length); _b.AddRange(v); return this; }

    public Pb Str(int field, string v) => Bytes(field, Encoding.UTF8.GetBytes(v));

    public Pb Msg(int field, Pb m) => Bytes(field, m.ToArray());

    public Pb PackedVarints(int field, params long[] v)
    {
        var inner = new Pb();
        foreach (long x in v) inner.VarintRaw((ulong)x);
        return Msg(field, inner);
    }

    public Pb PackedFloats(int field, params float[] v)
    {
        var bytes = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), v[i]);
        return Bytes(field, bytes);
    }

    public Pb PackedDoubles(int field, params double[] v)
    {
        var bytes = new byte[v.Length * 8];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), v[i]);
        return Bytes(field, bytes);
    }

    // ONNX helpers (field numbers from onnx.proto).

    /// <summary>TensorProto with dims, data_type, name and optional raw_data.</summary>
    public static Pb Tensor(string name, int dataType, long[] dims, byte[]? raw = null)
    {
        var t = new Pb();
        if (dims.Length > 0) t.PackedVarints(1, dims);
        t.Varint(2, dataType).Str(8, name);
        if (raw is not null) t.Bytes(9, raw);
        return t;
    }

    /// <summary>ValueInfoProto of a float tensor; a null entry in dims is a symbolic dim_param.</summary>
    public static Pb ValueInfo(string name, int elemType, params object?[] dims)
    {
        var shape = new Pb();
        foreach (var d in dims)
            shape.Msg(1, d is long l ? new Pb().Varint(1, l) : d is int i ? new Pb().Varint(1, i) : new Pb().Str(2, (string?)d ?? "N"));
        var tensorType = new Pb().Varint(1, elemType).Msg(2, shape);
        return new Pb().Str(1, name).Msg(2, new Pb().Msg(1, tensorType));
    }

    public static Pb Node(string op, string[] inputs, string[] outputs, params Pb[] attributes)
    {
        var n = new Pb();
        foreach (var i in inputs) n.Str(1, i);
        foreach (var o in outputs) n.Str(2, o);
        n.Str(3, op + "_node").Str(4, op);
        foreach (var a in attributes) n.Msg(5, a);
        return n;
    }

    public static Pb Model(Pb graph, long opset = 13)
    {
        return new Pb().Varint(1, 8).Str(2, "tessera-test").Msg(7, graph)
            .Msg(8, new Pb().Str(1, "").Varint(2, opset));
    }
}
