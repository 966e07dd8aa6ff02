namespace Tessera.Onnx.Protobuf;

/// <summary>Serialises the <see cref="OnnxModel"/> types as ONNX protobuf: a ModelProto (.onnx) or a TensorProto
/// (.pb). Field numbers are those of onnx.proto, the ones <see cref="OnnxReader"/> reads. Tensor data is written as
/// raw_data (strings as string_data), or as a reference to an external file where <see cref="OnnxTensor.External"/> says so
/// (the file itself is the caller's to write); unknown dimensions (−1) are written with their dim_param when
/// <see cref="OnnxValueInfo.DimParams"/> names them, otherwise with neither dim_value nor dim_param; a value whose <see cref="OnnxValueInfo.IsTensor"/> is false is written with an empty TypeProto (its sequence/map/optional
/// structure is not kept by the reader, so it cannot be written back).</summary>
public static class OnnxWriter
{
    /// <summary>The ModelProto bytes of <paramref name="model"/>.</summary>
    public static byte[] WriteModel(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var w = new ProtoWriter();
        w.Varint(1, model.IrVersion);
        if (model.ProducerName.Length > 0) w.String(2, model.ProducerName);
        w.Message(7, g => Graph(g, model.Graph));
        foreach (var (domain, version) in model.OpsetImports.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            w.Message(8, o => { if (domain.Length > 0) o.String(1, domain); o.Varint(2, version); });
        return w.ToArray();
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/>.</summary>
    public static void WriteModel(string path, OnnxModel model) => File.WriteAllBytes(path, WriteModel(model));

    /// <summary>The TensorProto bytes of <paramref name="tensor"/>.</summary>
    public static byte[] WriteTensor(OnnxTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var w = new ProtoWriter();
        Tensor(w, tensor);
        return w.ToArray();
    }

    /// <summary>Writes <paramref name="tensor"/> to <paramref name="path"/>.</summary>
    public static void WriteTensor(string path, OnnxTensor tensor) => File.WriteAllBytes(path, WriteTensor(tensor));

    private static void Graph(ProtoWriter w, OnnxGraph g)
    {
        foreach (var n in g.Nodes) w.Message(1, m => Node(m, n));
        if (g.Name.Length > 0) w.String(2, g.Name);
        foreach (var t in g.Initializers) w.Message(5, m => Tensor(m, t));
        foreach (var v in g.Inputs) w.Message(11, m => ValueInfo(m, v));
        foreach (var v in g.Outputs) w.Message(12, m => ValueInfo(m, v));
        foreach (var v in g.ValueInfo) w.Message(13, m => ValueInfo(m, v));
    }

    private static void Node(ProtoWriter w, OnnxNode n)
    {
        foreach (string i in n.Inputs) w.String(1, i);
        foreach (string o in n.Outputs) w.String(2, o);
        if (n.Name.Length > 0) w.String(3, n.Name);
        w.String(4, n.OpType);
        foreach (var a in n.Attributes.Values) w.Message(5, m => Attribute(m, a));
        if (n.Domain.Length > 0) w.String(7, n.Domain);
    }

    private static void Attribute(ProtoWriter w, OnnxAttribute a)
    {
        const string op = "OnnxWriter.WriteModel";
        w.String(1, a.Name);
        w.Varint(20, (long)a.Type);
        switch (a.Type)
        {
            case OnnxAttributeType.Float: w.Float(2, a.F); break;
            case OnnxAttributeType.Int: w.Varint(3, a.I); break;
            case OnnxAttributeType.String: w.String(4, a.S ?? ""); break;
            case OnnxAttributeType.Tensor:
                {
                    var t = a.T ?? throw new TesseraArgumentException(op, a.Name, "tensor attribute without a tensor");
                    w.Message(5, m => Tensor(m, t));
                    break;
                }
            case OnnxAttributeType.Graph:
                {
                    var g = a.G ?? throw new TesseraArgumentException(op, a.Name, "graph attribute without a graph");
                    w.Message(6, m => Graph(m, g));
                    break;
                }
            case OnnxAttributeType.Floats: w.PackedFloats(7, a.Floats ?? []); break;
            case OnnxAttributeType.Ints: w.PackedVarints(8, a.Ints ?? []); break;
            case OnnxAttributeType.Strings: foreach (string s in a.Strings ?? []) w.String(9, s); break;
            case OnnxAttributeType.Tensors: foreach (var t in a.Tensors ?? []) w.Message(10, m => Tensor(m, t)); break;
            case OnnxAttributeType.Graphs: foreach (var g in a.Graphs ?? []) w.Message(11, m => Graph(m, g)); break;
            // TypeProto and sparse-tensor attributes: the reader keeps their kind but not their value.
            default: throw new TesseraArgumentException(op, a.Name, $"attribute type {a.Type} cannot be written (its value is not kept by OnnxReader)");
        }
    }

    private static void ValueInfo(ProtoWriter w, OnnxValueInfo v)
    {
        w.String(1, v.Name);
        if (!v.IsTensor) { w.Message(2, _ => { }); return; }   // a type, but not a tensor type
        w.Message(2, type => type.Message(1, tt =>
        {
            tt.Varint(1, (long)v.ElemType);
            if (v.Dims is { } dims)
                tt.Message(2, shape =>
                {
                    for (int i = 0; i < dims.Length; i++)
                    {
                        long d = dims[i];
                        string? param = v.DimParams is { } ps && i < ps.Count ? ps[i] : null;
                        shape.Message(1, dim =>
                        {
                            if (d >= 0) dim.Varint(1, d);
                            else if (param is not null) dim.String(2, param);
                        });
                    }
                });
        }));
    }

    private static void Tensor(ProtoWriter w, OnnxTensor t)
    {
        const string op = "OnnxWriter.WriteTensor";
        foreach (long d in t.Dims)
            if (d < 0) throw new TesseraShapeException(op, t.Name, $"negative dimension {d}");
        w.PackedVarints(1, t.Dims);
        w.Varint(2, (long)t.DataType);
        if (t.Name.Length > 0) w.String(8, t.Name);
        if (t.DataType == OnnxDataType.String)
        {
            foreach (string s in t.Strings ?? []) w.String(6, s);
            return;
        }
        long size = TensorProtoParser.ElementSize(t.DataType);
        if (size == 0) throw new TesseraDTypeException(op, t.Name, $"data type {t.DataType} cannot be written");
        if (t.External is { } e)
        {
            Entry(w, "location", e.Location);
            Entry(w, "offset", e.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Entry(w, "length", e.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.Varint(14, 1);   // data_location = EXTERNAL
            return;
        }
        if (t.RawData.LongLength != t.ElementCount * size)
            throw new TesseraShapeException(op, t.Name, $"{t.RawData.LongLength} bytes for dims [{string.Join(", ", t.Dims)}] of {t.DataType} ({t.ElementCount * size} needed)");
        w.Bytes(9, t.RawData);
    }

    private static void Entry(ProtoWriter w, string key, string value) => w.Message(13, m => { m.String(1, key); m.String(2, value); });
}
