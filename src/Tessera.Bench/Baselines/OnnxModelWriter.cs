using System.Text;

namespace Tessera.Bench.Baselines;

/// <summary>A minimal ONNX ModelProto encoder (protobuf wire format) for single-node float32 models: the graph's inputs
/// and outputs are value infos with fixed shapes, the node carries int, float and ints attributes. Field numbers follow
/// onnx.proto (ModelProto.ir_version = 1, graph = 7, opset_import = 8; GraphProto.node = 1, input = 11, output = 12;
/// NodeProto.input = 1, output = 2, op_type = 4, attribute = 5; AttributeProto.name = 1, f = 2, i = 3, ints = 8,
/// type = 20).</summary>
public static class OnnxModelWriter
{
    /// <summary>A node attribute: exactly one of <see cref="I"/>, <see cref="F"/>, <see cref="Ints"/> is set.</summary>
    public sealed record Attribute(string Name, long? I = null, float? F = null, long[]? Ints = null);

    private const int ElemFloat = 1;
    private const int AttrFloat = 1, AttrInt = 2, AttrInts = 7;

    /// <summary>The bytes of a model with one node of <paramref name="opType"/> (default domain, opset
    /// <paramref name="opset"/>).</summary>
    public static byte[] SingleNode(string opType, IReadOnlyList<(string Name, int[] Shape)> inputs,
        IReadOnlyList<(string Name, int[] Shape)> outputs, IReadOnlyList<Attribute>? attributes = null, int opset = 17)
    {
        var node = new Proto();
        foreach (var i in inputs) node.String(1, i.Name);
        foreach (var o in outputs) node.String(2, o.Name);
        node.String(3, opType.ToLowerInvariant() + "0");
        node.String(4, opType);
        foreach (var a in attributes ?? Array.Empty<Attribute>()) node.Message(5, EncodeAttribute(a));

        var graph = new Proto();
        graph.Message(1, node);
        graph.String(2, "tessera_bench");
        foreach (var i in inputs) graph.Message(11, ValueInfo(i.Name, i.Shape));
        foreach (var o in outputs) graph.Message(12, ValueInfo(o.Name, o.Shape));

        var opsetId = new Proto();
        opsetId.String(1, "");
        opsetId.Varint(2, (ulong)opset);

        var model = new Proto();
        model.Varint(1, 8);                 // ir_version 8
        model.String(2, "tessera-bench");   // producer_name
        model.Message(7, graph);
        model.Message(8, opsetId);
        return model.ToArray();
    }

    private static Proto EncodeAttribute(Attribute a)
    {
        var p = new Proto();
        p.String(1, a.Name);
        if (a.F is float f) { p.Fixed32(2, BitConverter.SingleToUInt32Bits(f)); p.Varint(20, AttrFloat); }
        else if (a.I is long i) { p.Varint(3, (ulong)i); p.Varint(20, AttrInt); }
        else if (a.Ints is long[] ints) { foreach (var v in ints) p.Varint(8, (ulong)v); p.Varint(20, AttrInts); }
        else throw new TesseraArgumentException(nameof(OnnxModelWriter), nameof(a), $"attribute '{a.Name}' has no value");
        return p;
    }

    private static Proto ValueInfo(string name, int[] shape)
    {
        var dims = new Proto();
        foreach (var d in shape)
        {
            var dim = new Proto();
            dim.Varint(1, (ulong)d);   // dim_value
            dims.Message(1, dim);
        }
        var tensor = new Proto();
        tensor.Varint(1, ElemFloat);   // elem_type
        tensor.Message(2, dims);       // shape
        var type = new Proto();
        type.Message(1, tensor);       // tensor_type
        var vi = new Proto();
        vi.String(1, name);
        vi.Message(2, type);
        return vi;
    }

    /// <summary>A protobuf message being written: tags and values in field order.</summary>
    private sealed class Proto
    {
        private readonly MemoryStream _s = new();

        public void Varint(int field, ulong value) { Key(field, 0); Raw(value); }

        public void Fixed32(int field, uint value)
        {
            Key(field, 5);
            for (int i = 0; i < 4; i++) _s.WriteByte((byte)(value >> (8 * i)));
        }

        public void Bytes(int field, ReadOnlySpan<byte> bytes) { Key(field, 2); Raw((ulong)bytes.Length); _s.Write(bytes); }

        public void String(int field, string s) => Bytes(field, Encoding.UTF8.GetBytes(s));

        public void Message(int field, Proto m) => Bytes(field, m.ToArray());

        public byte[] ToArray() => _s.ToArray();

        private void Key(int field, int wire) => Raw(((ulong)field << 3) | (uint)wire);

        private void Raw(ulong v)
        {
            while (v >= 0x80) { _s.WriteByte((byte)(v | 0x80)); v >>= 7; }
            _s.WriteByte((byte)v);
        }
    }
}
