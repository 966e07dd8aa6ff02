using Tessera.IO;
using Tessera.Onnx.Protobuf;

namespace Tessera.Onnx;

/// <summary>Reads .onnx ModelProto files and TensorProto (.pb) files into the <see cref="OnnxModel"/> types. The
/// protobuf is decoded by a hand-written, bounds-checked wire reader (<see cref="ProtoReader"/>): malformed, truncated
/// or hostile input raises <see cref="OnnxFormatException"/>, never another exception, and allocations are bounded by
/// the input's size. Unknown fields are skipped; a known field with the wrong wire type is an error. Files are read
/// through <see cref="InputFile"/>: regular files only, at most their size and <see cref="MaxFileBytes"/>.</summary>
public static class OnnxReader
{
    /// <summary>Largest file read (2 GiB − 1: protobuf's own limit for one message).</summary>
    public const long MaxFileBytes = int.MaxValue;

    /// <summary>Reads the ModelProto in the file at <paramref name="path"/>, and the data of tensors it keeps in external
    /// files (onnx's save_as_external_data) from the model's folder: a location outside that folder is refused.</summary>
    public static OnnxModel ReadModel(string path)
    {
        var model = Parse(ReadFile(path, "OnnxReader.ReadModel"));
        if (ExternalData.FirstExternal(model.Graph) is null) return model;
        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        return model with { Graph = ExternalData.Resolve(model.Graph, folder) };
    }

    /// <summary>Reads a ModelProto from its serialized bytes. A model that keeps tensor data in external files is refused
    /// here (there is no folder to read them from): read it with <see cref="ReadModel(string)"/>.</summary>
    public static OnnxModel ReadModel(ReadOnlySpan<byte> bytes)
    {
        var model = Parse(bytes);
        if (ExternalData.FirstExternal(model.Graph) is { } t)
            throw new OnnxFormatException("OnnxReader.ReadModel",
                $"tensor '{t.Name}' keeps its data in the external file '{t.External!.Location}': read the model from its path (OnnxReader.ReadModel(path)) so the file is found next to it");
        return model;
    }

    private static OnnxModel Parse(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes, "OnnxReader.ReadModel", "ModelProto");
        return ParseModel(ref r);
    }

    /// <summary>Reads the TensorProto in the file at <paramref name="path"/> (the test_data_set_N/*.pb files).</summary>
    public static OnnxTensor ReadTensor(string path) => ReadTensor(ReadFile(path, "OnnxReader.ReadTensor"));

    /// <summary>Reads a TensorProto from its serialized bytes (its data must be inside it, not in an external file).</summary>
    public static OnnxTensor ReadTensor(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes, "OnnxReader.ReadTensor", "TensorProto");
        var t = TensorProtoParser.Parse(ref r);
        if (t.External is { } e)
            throw new OnnxFormatException("OnnxReader.ReadTensor", $"tensor '{t.Name}' keeps its data in the external file '{e.Location}'; a lone tensor file must hold its data");
        return t;
    }

    private static byte[] ReadFile(string path, string op) => InputFile.ReadAll(path, op, MaxFileBytes);

    private static OnnxModel ParseModel(ref ProtoReader r)
    {
        long irVersion = 0;
        string producer = "";
        var opsets = new Dictionary<string, long>();
        OnnxGraph? graph = null;
        while (r.TryReadTag(out int field, out var wt))
        {
            switch (field)
            {
                case 1: irVersion = r.ReadInt64(wt, "ModelProto.ir_version"); break;
                case 2: producer = r.ReadString(wt, "ModelProto.producer_name"); break;
                case 7:
                    {
                        var g = r.ReadMessage(wt, "ModelProto.graph");
                        graph = ParseGraph(ref g);
                        break;
                    }
                case 8:
                    {
                        var o = r.ReadMessage(wt, "ModelProto.opset_import");
                        var (domain, version) = ParseOpset(ref o);
                        if (domain == "ai.onnx") domain = "";
                        opsets[domain] = opsets.TryGetValue(domain, out long v) ? Math.Max(v, version) : version;
                        break;
                    }
                default: r.Skip(wt); break;
            }
        }
        if (graph is null) throw r.Error("the model has no graph (ModelProto.graph is missing)");
        return new OnnxModel(irVersion, producer, opsets, graph);
    }

    private static (string Domain, long Version) ParseOpset(ref ProtoReader r)
    {
        string domain = "";
        long version = 0;
        while (r.TryReadTag(out int field, out var wt))
        {
            switch (field)
            {
                case 1: domain = r.ReadString(wt, "OperatorSetIdProto.domain"); break;
                case 2: version = r.ReadInt64(wt, "OperatorSetIdProto.version"); break;
                default: r.Skip(wt); break;
            }
        }
        return (domain, version);
    }

    internal static OnnxGraph ParseGraph(ref ProtoReader r)
    {
        string name = "";
        var nodes = new List<OnnxNode>();
        var inits = new List<OnnxTensor>();
        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();
        var valueInfo = new List<OnnxValueInfo>();
        while (r.TryReadTag(out int field, out var wt))
        {
            switch (field)
            {
                case 1: { var m = r.ReadMessage(wt, "NodeProto"); nodes.Add(ParseNode(ref m)); break; }
                case 2: name = r.ReadString(wt, "GraphProto.name"); break;
                case 5: { var m = r.ReadMessage(wt, "GraphProto.initializer"); inits.Add(TensorProtoParser.Parse(ref m)); break; }
                case 11: { var m = r.ReadMessage(wt, "GraphProto.input"); inputs.Add(ParseValueInfo(ref m)); break; }
                case 12: { var m = r.ReadMessage(wt, "GraphProto.output"); outputs.Add(ParseValueInfo(ref m)); break; }
                case 13: { var m = r.ReadMessage(wt, "GraphProto.value_info"); valueInfo.Add(ParseValueInfo(ref m)); break; }
                default: r.Skip(wt); break;
            }
        }
        return new OnnxGraph(name, nodes, inits, inputs, outputs) { ValueInfo = valueInfo };
    }

    private static OnnxNode ParseNode(ref ProtoReader r)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        string name = "", opType = "", domain = "";
        var attrs = new Dictionary<string, OnnxAttribute>();
        while (r.TryReadTag(out int field, out var wt))
        {
            switch (field)
            {
                case 1: inputs.Add(r.ReadString(wt, "NodeProto.input")); break;
                case 2: outputs.Add(r.ReadString(wt, "NodeProto.output")); break;
                case 3: name = r.ReadString(wt, "NodeProto.name"); break;
                case 4: opType = r.ReadString(wt, "NodeProto.op_type"); break;
                case 7: domain = r.ReadString(wt, "NodeProto.domain"); break;
                case 5:
                    {
                        var m = r.ReadMessage(wt, "AttributeProto");
                        var a = OnnxAttributeParser.Parse(ref m);
                        if (!attrs.TryAdd(a.Name, a)) throw r.Error($"node '{name}' ({opType}) has attribute '{a.Name}' twice");
                        break;
                    }
                default: r.Skip(wt); break;
            }
        }
        return new OnnxNode(name, opType, domain, inputs, outputs, attrs);
    }

    /// <summary>ValueInfoProto → name, tensor element type and dims (−1 for symbolic/unknown or negative dimensions;
    /// null dims when the shape is absent or the type is not a tensor).</summary>
    private static OnnxValueInfo ParseValueInfo(ref ProtoReader r)
    {
        string name = "";
        var elem = OnnxDataType.Undefined;
        long[]? dims = null;
        string?[]? dimParams = null;
        bool isTensor = true;
        while (r.TryReadTag(out int field, out var wt))
        {
            switch (field)
            {
                case 1: name = r.ReadString(wt, "ValueInfoProto.name"); break;
                case 2: { var m = r.ReadMessage(wt, "TypeProto"); (elem, dims, dimParams, isTensor) = ParseType(ref m); break; }
                default: r.Skip(wt); break;
            }
        }
        return new OnnxValueInfo(name, elem, dims) { IsTensor = isTensor, DimParams = dimParams };
    }

    private static (OnnxDataType, long[]?, string?[]?, bool) ParseType(ref ProtoReader r)
    {
        var elem = OnnxDataType.Undefined;
        long[]? dims = null;
        string?[]? dimParams = null;
        bool isTensor = false;
        while (r.TryReadTag(out int field, out var wt))
        {
            if (field != 1) { r.Skip(wt); continue; }   // sequence/map/optional/sparse types: not a dense tensor
            isTensor = true;
            var t = r.ReadMessage(wt, "TypeProto.tensor_type");
            while (t.TryReadTag(out int tf, out var twt))
            {
                switch (tf)
                {
                    case 1: elem = (OnnxDataType)t.ReadInt32(twt, "TypeProto.Tensor.elem_type"); break;
                    case 2: { var s = t.ReadMessage(twt, "TensorShapeProto"); (dims, dimParams) = ParseShape(ref s); break; }
                    default: t.Skip(twt); break;
                }
            }
        }
        return (elem, dims, dimParams, isTensor);
    }

    private static (long[] Dims, string?[] Params) ParseShape(ref ProtoReader r)
    {
        var dims = new List<long>();
        var names = new List<string?>();
        while (r.TryReadTag(out int field, out var wt))
        {
            if (field != 1) { r.Skip(wt); continue; }
            var d = r.ReadMessage(wt, "TensorShapeProto.Dimension");
            long value = -1;
            string? param = null;
            while (d.TryReadTag(out int df, out var dwt))
            {
                switch (df)
                {
                    case 1: { long v = d.ReadInt64(dwt, "Dimension.dim_value"); value = v >= 0 ? v : -1; param = null; break; }
                    case 2: { string p = d.ReadString(dwt, "Dimension.dim_param"); value = -1; param = p.Length > 0 ? p : null; break; }
                    default: d.Skip(dwt); break;
                }
            }
            dims.Add(value);
            names.Add(param);
        }
        return ([.. dims], [.. names]);
    }
}
