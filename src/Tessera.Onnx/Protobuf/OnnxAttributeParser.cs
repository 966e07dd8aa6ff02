namespace Tessera.Onnx.Protobuf;

/// <summary>Parses an AttributeProto with every value kind (sub-graphs included). When the type discriminator is
/// missing (IR version 1 files) the type is inferred from the value field that is present.</summary>
internal static class OnnxAttributeParser
{
    public static OnnxAttribute Parse(ref ProtoReader r)
    {
        string name = "";
        var type = OnnxAttributeType.Undefined;
        var seen = OnnxAttributeType.Undefined;
        float f = 0;
        long i = 0;
        string? s = null;
        OnnxTensor? t = null;
        OnnxGraph? g = null;
        List<float>? floats = null;
        List<long>? ints = null;
        List<string>? strings = null;
        List<OnnxTensor>? tensors = null;
        List<OnnxGraph>? graphs = null;
        while (r.TryReadTag(out int field, out var wt))
        {
            switch (field)
            {
                case 1: name = r.ReadString(wt, "AttributeProto.name"); break;
                case 20: type = (OnnxAttributeType)r.ReadInt32(wt, "AttributeProto.type"); break;
                case 2: f = r.ReadFloat(wt, "AttributeProto.f"); seen = OnnxAttributeType.Float; break;
                case 3: i = r.ReadInt64(wt, "AttributeProto.i"); seen = OnnxAttributeType.Int; break;
                case 4: s = r.ReadString(wt, "AttributeProto.s"); seen = OnnxAttributeType.String; break;
                case 5:
                    {
                        var m = r.ReadMessage(wt, "AttributeProto.t");
                        t = TensorProtoParser.Parse(ref m);
                        seen = OnnxAttributeType.Tensor;
                        break;
                    }
                case 6:
                    {
                        var m = r.ReadMessage(wt, "AttributeProto.g");
                        g = OnnxReader.ParseGraph(ref m);
                        seen = OnnxAttributeType.Graph;
                        break;
                    }
                case 7: r.ReadRepeatedFloat(wt, "AttributeProto.floats", floats ??= []); seen = OnnxAttributeType.Floats; break;
                case 8: r.ReadRepeatedVarint(wt, "AttributeProto.ints", ints ??= []); seen = OnnxAttributeType.Ints; break;
                case 9: (strings ??= []).Add(r.ReadString(wt, "AttributeProto.strings")); seen = OnnxAttributeType.Strings; break;
                case 10:
                    {
                        var m = r.ReadMessage(wt, "AttributeProto.tensors");
                        (tensors ??= []).Add(TensorProtoParser.Parse(ref m));
                        seen = OnnxAttributeType.Tensors;
                        break;
                    }
                case 11:
                    {
                        var m = r.ReadMessage(wt, "AttributeProto.graphs");
                        (graphs ??= []).Add(OnnxReader.ParseGraph(ref m));
                        seen = OnnxAttributeType.Graphs;
                        break;
                    }
                default: r.Skip(wt); break;
            }
        }
        if (type == OnnxAttributeType.Undefined) type = seen;
        // An empty list attribute writes no value field at all: give it an empty list of its declared kind.
        return new OnnxAttribute(name, type, f, i, s, t, g,
            floats ?? (type == OnnxAttributeType.Floats ? [] : null),
            ints ?? (type == OnnxAttributeType.Ints ? [] : null),
            strings ?? (type == OnnxAttributeType.Strings ? [] : null))
        {
            Tensors = tensors ?? (type == OnnxAttributeType.Tensors ? [] : null),
            Graphs = graphs ?? (type == OnnxAttributeType.Graphs ? [] : null),
        };
    }
}
