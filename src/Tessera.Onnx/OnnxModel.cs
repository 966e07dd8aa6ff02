namespace Tessera.Onnx;

/// <summary>ONNX TensorProto.DataType values (field numbers are facts of the format).</summary>
public enum OnnxDataType
{
    /// <summary>No type (not set).</summary>
    Undefined = 0,
    /// <summary>32-bit float.</summary>
    Float = 1,
    /// <summary>8-bit unsigned integer.</summary>
    Uint8 = 2,
    /// <summary>8-bit signed integer.</summary>
    Int8 = 3,
    /// <summary>16-bit unsigned integer.</summary>
    Uint16 = 4,
    /// <summary>16-bit signed integer.</summary>
    Int16 = 5,
    /// <summary>32-bit signed integer.</summary>
    Int32 = 6,
    /// <summary>64-bit signed integer.</summary>
    Int64 = 7,
    /// <summary>A string (bytes).</summary>
    String = 8,
    /// <summary>Boolean.</summary>
    Bool = 9,
    /// <summary>16-bit IEEE half float.</summary>
    Float16 = 10,
    /// <summary>64-bit float.</summary>
    Double = 11,
    /// <summary>32-bit unsigned integer.</summary>
    Uint32 = 12,
    /// <summary>64-bit unsigned integer.</summary>
    Uint64 = 13,
    /// <summary>A complex number of two 32-bit floats.</summary>
    Complex64 = 14,
    /// <summary>A complex number of two 64-bit floats.</summary>
    Complex128 = 15,
    /// <summary>bfloat16 (the upper half of a 32-bit float).</summary>
    BFloat16 = 16,
}

/// <summary>AttributeProto.AttributeType values.</summary>
public enum OnnxAttributeType
{
    /// <summary>No type (not set).</summary>
    Undefined = 0,
    /// <summary>One float.</summary>
    Float = 1,
    /// <summary>One 64-bit integer.</summary>
    Int = 2,
    /// <summary>One string.</summary>
    String = 3,
    /// <summary>One tensor.</summary>
    Tensor = 4,
    /// <summary>One graph (a subgraph of a control-flow operator).</summary>
    Graph = 5,
    /// <summary>A list of floats.</summary>
    Floats = 6,
    /// <summary>A list of 64-bit integers.</summary>
    Ints = 7,
    /// <summary>A list of strings.</summary>
    Strings = 8,
    /// <summary>A list of tensors.</summary>
    Tensors = 9,
    /// <summary>A list of graphs.</summary>
    Graphs = 10,
    /// <summary>One sparse tensor.</summary>
    SparseTensor = 11,
    /// <summary>A list of sparse tensors.</summary>
    SparseTensors = 12,
    /// <summary>One type description.</summary>
    TypeProto = 13,
    /// <summary>A list of type descriptions.</summary>
    TypeProtos = 14,
}

/// <summary>A parsed .onnx ModelProto (the parts Tessera reads).</summary>
/// <param name="OpsetImports">Opset version per domain ("" is the default ai.onnx domain).</param>
public sealed record OnnxModel(long IrVersion, string ProducerName, IReadOnlyDictionary<string, long> OpsetImports, OnnxGraph Graph)
{
    /// <summary>The opset of <paramref name="domain"/> ("" and "ai.onnx" are the same domain), or 0 when not imported.</summary>
    public long Opset(string domain = "") =>
        OpsetImports.TryGetValue(domain is "ai.onnx" ? "" : domain, out var v) ? v : 0;
}

/// <summary>A GraphProto: nodes in file order, initializers, declared inputs and outputs.</summary>
public sealed record OnnxGraph(
    string Name, IReadOnlyList<OnnxNode> Nodes, IReadOnlyList<OnnxTensor> Initializers,
    IReadOnlyList<OnnxValueInfo> Inputs, IReadOnlyList<OnnxValueInfo> Outputs)
{
    /// <summary>GraphProto.value_info: declared types of intermediate values (optional in the format).</summary>
    public IReadOnlyList<OnnxValueInfo> ValueInfo { get; init; } = [];
}

/// <summary>A NodeProto. Empty input names mark absent optional inputs.</summary>
public sealed record OnnxNode(
    string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes);

/// <summary>An AttributeProto; the field that matters is the one of <see cref="Type"/>.</summary>
public sealed record OnnxAttribute(
    string Name, OnnxAttributeType Type, float F = 0, long I = 0, string? S = null, OnnxTensor? T = null, OnnxGraph? G = null,
    IReadOnlyList<float>? Floats = null, IReadOnlyList<long>? Ints = null, IReadOnlyList<string>? Strings = null)
{
    /// <summary>The value of a <see cref="OnnxAttributeType.Tensors"/> attribute.</summary>
    public IReadOnlyList<OnnxTensor>? Tensors { get; init; }

    /// <summary>The value of a <see cref="OnnxAttributeType.Graphs"/> attribute (sub-graphs are parsed, not run).</summary>
    public IReadOnlyList<OnnxGraph>? Graphs { get; init; }
}

/// <summary>A ValueInfoProto of a tensor type: element type and dimensions (−1 where a dimension is symbolic or
/// unknown; null when the rank itself is unknown).</summary>
public sealed record OnnxValueInfo(string Name, OnnxDataType ElemType, long[]? Dims)
{
    /// <summary>False when the declared type is not a dense tensor (sequence, map, optional, sparse tensor); then
    /// <see cref="ElemType"/> is Undefined and <see cref="Dims"/> null, and a test_data_set file for this value is not a
    /// TensorProto.</summary>
    public bool IsTensor { get; init; } = true;

    /// <summary>The name (dim_param) of each symbolic dimension, by axis: null where the dimension is a number or
    /// unnamed; null when the shape is absent.</summary>
    public IReadOnlyList<string?>? DimParams { get; init; }
}

/// <summary>A TensorProto with its data normalised to little-endian bytes in <see cref="RawData"/>, whether the file used
/// raw_data or the typed fields (float_data, int32_data, int64_data, double_data, uint64_data). Booleans are one byte
/// each, float16/bfloat16 two bytes.</summary>
public sealed record OnnxTensor(string Name, OnnxDataType DataType, long[] Dims, byte[] RawData)
{
    /// <summary>The number of elements.</summary>
    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>The elements of a <see cref="OnnxDataType.String"/> tensor (then <see cref="RawData"/> is empty);
    /// null for every other type.</summary>
    public IReadOnlyList<string>? Strings { get; init; }

    /// <summary>Where the data lies when the file keeps it outside the model (data_location = EXTERNAL) and it has not
    /// been read yet (then <see cref="RawData"/> is empty); null otherwise. <see cref="OnnxReader.ReadModel(string)"/>
    /// reads it, so the tensors of a model read from its path never have one.</summary>
    public OnnxExternalData? External { get; init; }
}

/// <summary>TensorProto.external_data: the data of a tensor in the file <paramref name="Location"/>, relative to the
/// model's folder, <paramref name="Length"/> bytes from <paramref name="Offset"/>.</summary>
public sealed record OnnxExternalData(string Location, long Offset, long Length);
