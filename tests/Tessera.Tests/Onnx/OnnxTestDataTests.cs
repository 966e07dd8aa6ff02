using System.Runtime.InteropServices;
using Tessera.Onnx;
using Tessera.Tests.Support;

namespace Tessera.Tests.Onnx;

/// <summary>The ONNX backend test data (Debian libonnx-testdata): every model and every TensorProto file parses, the
/// parsed contents agree with what the tests compute, and random corruption never escapes as a non-Tessera error.</summary>
public class OnnxTestDataTests
{
    private const string Root = "/usr/share/libonnx-testdata/data";

    private static void RequireData() =>
        Requirement.Require(Directory.Exists(Path.Combine(Root, "node")), $"Debian package libonnx-testdata ({Root}) is not installed");

    private static IEnumerable<string> Models() =>
        Directory.EnumerateFiles(Root, "model.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    [Fact]
    public void Every_model_parses()
    {
        RequireData();
        int count = 0;
        var failures = new List<string>();
        foreach (string path in Models())
        {
            count++;
            try
            {
                var m = OnnxReader.ReadModel(path);
                if (m.Graph.Nodes.Count == 0) failures.Add($"{path}: no nodes");
                if (m.Opset() == 0 && m.OpsetImports.Count == 0) failures.Add($"{path}: no opset import");
                foreach (var n in m.Graph.Nodes)
                    if (n.OpType.Length == 0) failures.Add($"{path}: node without op_type");
            }
            catch (TesseraException e) { failures.Add($"{path}: {e.Message}"); }
        }
        Assert.True(count > 1000, $"only {count} models found");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public void Every_tensor_file_parses_and_matches_its_declared_type()
    {
        RequireData();
        int tensors = 0, nonTensor = 0;
        var failures = new List<string>();
        foreach (string modelPath in Models())
        {
            string dir = Path.GetDirectoryName(modelPath)!;
            var g = OnnxReader.ReadModel(modelPath).Graph;
            foreach (string set in Directory.EnumerateDirectories(dir, "test_data_set_*"))
            {
                foreach (string pb in Directory.EnumerateFiles(set, "*.pb"))
                {
                    string file = Path.GetFileNameWithoutExtension(pb);
                    int us = file.LastIndexOf('_');
                    int index = int.Parse(file[(us + 1)..]);
                    var decl = file.StartsWith("input", StringComparison.Ordinal) ? g.Inputs : g.Outputs;
                    var info = index < decl.Count ? decl[index] : null;
                    // Sequence / optional / map values are stored as SequenceProto or OptionalProto, not TensorProto.
                    if (info is { IsTensor: false }) { nonTensor++; continue; }
                    try
                    {
                        var t = OnnxReader.ReadTensor(pb);
                        tensors++;
                        if (info is null) continue;
                        // ONNX 1.12's bfloat16 cast tests store their bfloat16 tensors with data_type UINT16 (numpy
                        // has no bfloat16): the same two bytes per element, a quirk of the data, not of the reader.
                        bool bf16Quirk = info.ElemType == OnnxDataType.BFloat16 && t.DataType == OnnxDataType.Uint16;
                        if (info.ElemType != t.DataType && !bf16Quirk) failures.Add($"{pb}: type {t.DataType}, declared {info.ElemType}");
                        if (info.Dims is { } dims && dims.Length == t.Dims.Length)
                            for (int i = 0; i < dims.Length; i++)
                                if (dims[i] >= 0 && dims[i] != t.Dims[i]) failures.Add($"{pb}: dims [{string.Join(",", t.Dims)}] vs declared [{string.Join(",", dims)}]");
                    }
                    catch (TesseraException e) { failures.Add($"{pb}: {e.Message}"); }
                }
            }
        }
        Assert.True(tensors > 2500, $"only {tensors} tensor files ({nonTensor} non-tensor)");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n" + string.Join("\n", failures.Take(20)));
    }

    private static float[] Floats(OnnxTensor t)
    {
        Assert.Equal(OnnxDataType.Float, t.DataType);
        return MemoryMarshal.Cast<byte, float>(t.RawData).ToArray();
    }

    [Fact]
    public void Abs_and_add_test_data_agree_with_the_computation()
    {
        RequireData();
        string abs = Path.Combine(Root, "node/test_abs");
        var m = OnnxReader.ReadModel(Path.Combine(abs, "model.onnx"));
        Assert.Equal("Abs", Assert.Single(m.Graph.Nodes).OpType);
        Assert.Equal([3L, 4L, 5L], m.Graph.Inputs[0].Dims!);
        var x = OnnxReader.ReadTensor(Path.Combine(abs, "test_data_set_0/input_0.pb"));
        var y = OnnxReader.ReadTensor(Path.Combine(abs, "test_data_set_0/output_0.pb"));
        Assert.Equal([3L, 4L, 5L], x.Dims);
        Assert.Equal(Floats(x).Select(MathF.Abs), Floats(y));
        Assert.Contains(Floats(x), v => v < 0);

        string add = Path.Combine(Root, "node/test_add");
        var a = Floats(OnnxReader.ReadTensor(Path.Combine(add, "test_data_set_0/input_0.pb")));
        var b = Floats(OnnxReader.ReadTensor(Path.Combine(add, "test_data_set_0/input_1.pb")));
        var c = Floats(OnnxReader.ReadTensor(Path.Combine(add, "test_data_set_0/output_0.pb")));
        Assert.Equal(a.Zip(b, (p, q) => p + q), c);
    }

    [Fact]
    public void Conv_attributes_and_initializer_models_read_as_written()
    {
        RequireData();
        var conv = OnnxReader.ReadModel(Path.Combine(Root, "node/test_conv_with_strides_padding/model.onnx"));
        var n = Assert.Single(conv.Graph.Nodes);
        Assert.Equal("Conv", n.OpType);
        Assert.Equal([2L, 2L], n.Attributes["strides"].Ints!);
        Assert.Equal([1L, 1L, 1L, 1L], n.Attributes["pads"].Ints!);
        Assert.Equal([3L, 3L], n.Attributes["kernel_shape"].Ints!);
        Assert.Equal(OnnxAttributeType.Ints, n.Attributes["strides"].Type);

        // pytorch-converted models carry their weights as initializers; each must be as big as its dims say.
        int inits = 0;
        foreach (string path in Directory.EnumerateFiles(Path.Combine(Root, "pytorch-converted"), "model.onnx", SearchOption.AllDirectories))
            foreach (var t in OnnxReader.ReadModel(path).Graph.Initializers)
            {
                int size = t.DataType switch
                {
                    OnnxDataType.Float or OnnxDataType.Int32 => 4,
                    OnnxDataType.Int64 or OnnxDataType.Double => 8,
                    OnnxDataType.Uint8 or OnnxDataType.Bool => 1,
                    _ => throw new InvalidOperationException($"{path}: unexpected initializer type {t.DataType}"),
                };
                inits++;
                Assert.Equal(t.ElementCount * size, t.RawData.Length);
            }
        Assert.True(inits > 50, $"{inits} initializers");
    }

    [Fact]
    public void Control_flow_models_carry_parsed_subgraphs()
    {
        RequireData();
        var m = OnnxReader.ReadModel(Path.Combine(Root, "node/test_if/model.onnx"));
        var node = m.Graph.Nodes.Single(n => n.OpType == "If");
        Assert.Equal(OnnxAttributeType.Graph, node.Attributes["then_branch"].Type);
        Assert.NotEmpty(node.Attributes["then_branch"].G!.Nodes);
        Assert.NotEmpty(node.Attributes["else_branch"].G!.Outputs);
    }

    [Theory]
    [InlineData("node/test_conv_with_strides_padding/model.onnx", 1)]
    [InlineData("node/test_if/model.onnx", 2)]
    [InlineData("node/test_loop11/model.onnx", 3)]
    [InlineData("pytorch-converted/test_Conv2d/model.onnx", 4)]
    [InlineData("pytorch-operator/test_operator_conv/test_data_set_0/input_0.pb", 5)]
    [InlineData("node/test_cast_FLOAT_to_STRING/test_data_set_0/output_0.pb", 6)]
    public void Random_corruption_never_escapes_as_a_non_Tessera_exception(string file, int seed)
    {
        RequireData();
        byte[] original = File.ReadAllBytes(Path.Combine(Root, file));
        bool isModel = file.EndsWith(".onnx", StringComparison.Ordinal);
        var rng = new Random(seed);
        int rejected = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            int flips = 1 + rng.Next(8);
            for (int k = 0; k < flips; k++)
            {
                int pos = rng.Next(bytes.Length);
                bytes[pos] = rng.Next(3) == 0 ? (byte)rng.Next(256) : (byte)(bytes[pos] ^ (1 << rng.Next(8)));
            }
            if (trial % 10 == 0) bytes = bytes[..rng.Next(bytes.Length)];   // and some truncations
            try
            {
                if (isModel) OnnxReader.ReadModel(bytes);
                else OnnxReader.ReadTensor(bytes);
            }
            catch (OnnxFormatException) { rejected++; }
            // Any other exception type fails the test by propagating.
        }
        Assert.True(rejected > 0, "no corruption was ever detected");
    }
}
