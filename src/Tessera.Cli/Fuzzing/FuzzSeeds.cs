using System.Buffers.Binary;
using System.Text.Json;
using Tessera.Cli.Training;
using Tessera.Graph.Training;
using Tessera.Onnx;
using Tessera.Onnx.Protobuf;

namespace Tessera.Cli.Fuzzing;

/// <summary>The valid inputs the fuzz targets start from: small models, tensors, arrays and checkpoints written here
/// (so that every target has seeds without test data), plus, for the ONNX targets, the files of a seed folder such as
/// the ONNX backend test data (<see cref="DefaultSeedFolder"/>): every model.onnx (each a real exporter's model of one
/// operator) and every TensorProto .pb, up to <see cref="MaxSeedFileBytes"/> each.</summary>
internal static class FuzzSeeds
{
    /// <summary>The ONNX backend test data as Debian's libonnx-testdata installs it.</summary>
    public const string DefaultSeedFolder = "/usr/share/libonnx-testdata/data/node";

    /// <summary>Seed files larger than this are skipped (mutants of large files cost time, not coverage).</summary>
    public const long MaxSeedFileBytes = 64 << 10;

    /// <summary>Built-in models and <paramref name="folder"/>'s model.onnx files, in a fixed order.</summary>
    public static IReadOnlyList<byte[]> Models(string? folder) =>
        [.. BuiltInModels().Select(OnnxWriter.WriteModel), .. Files(folder, "model.onnx")];

    /// <summary>Built-in tensors and <paramref name="folder"/>'s .pb files, in a fixed order.</summary>
    public static IReadOnlyList<byte[]> Tensors(string? folder) =>
        [.. BuiltInTensors().Select(OnnxWriter.WriteTensor), .. Files(folder, "*.pb")];

    /// <summary>Arrays of every .npy element type Tessera reads, of ranks 0 to 3, one empty.</summary>
    public static IReadOnlyList<byte[]> Arrays() =>
    [
        NpyFile.ToBytes(new NpyArray(DType.Float32, [2, 3], Floats(1, 2, 3, 4, 5, 6))),
        NpyFile.ToBytes(new NpyArray(DType.Int64, [3], Longs(7, -1, 1L << 40))),
        NpyFile.ToBytes(new NpyArray(DType.Int32, [2, 1, 2], Ints(1, 2, 3, 4))),
        NpyFile.ToBytes(new NpyArray(DType.Bool, [4], [1, 0, 1, 1])),
        NpyFile.ToBytes(new NpyArray(DType.UInt8, [], [42])),
        NpyFile.ToBytes(new NpyArray(DType.Float32, [0, 5], [])),
    ];

    /// <summary>Checkpoints as <c>train</c> writes them (parameters, optimizer state, the resume metadata).</summary>
    public static IReadOnlyList<byte[]> Checkpoints()
    {
        var history = new List<EpochMetrics> { new(1, 0.5, 0.4, 0.9, 1000, 2), new(2, 0.3, 0.35, 0.92, 1100, 1.9) };
        var metadata = new Dictionary<string, string>
        {
            ["model"] = "mlp", ["epochs_done"] = "2", ["optimizer_steps"] = "120", ["seed"] = "42", ["batch"] = "64",
            ["history"] = JsonSerializer.Serialize(history),
        };
        Checkpoint.Entry[] entries =
        [
            new("param/fc1.weight", [3, 2], [1, 2, 3, 4, 5, 6]), new("param/fc1.bias", [3], [0.5f, -0.5f, 0]),
            new("adam/m/fc1.weight", [3, 2], new float[6]), new("state/bn.mean", [], [0.25f]),
        ];
        string dir = Path.Combine(Path.GetTempPath(), $"tessera-fuzz-seeds-{Environment.ProcessId}");
        try
        {
            string path = Path.Combine(dir, "seed.ckpt");
            Checkpoint.Save(path, entries, metadata);
            byte[] full = File.ReadAllBytes(path);
            Checkpoint.Save(path, entries[..1], new Dictionary<string, string>(metadata) { ["epochs_done"] = "0", ["history"] = "[]" });
            return [full, File.ReadAllBytes(path)];
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private static IEnumerable<byte[]> Files(string? folder, string pattern) =>
        folder is null || !Directory.Exists(folder)
            ? []
            : Directory.EnumerateFiles(folder, pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Where(f => new FileInfo(f).Length <= MaxSeedFileBytes).Select(File.ReadAllBytes);

    private static IEnumerable<OnnxModel> BuiltInModels()
    {
        var opsets = new Dictionary<string, long> { [""] = 13 };
        OnnxAttribute IntsAttr(string name, params long[] v) => new(name, OnnxAttributeType.Ints, Ints: v);
        OnnxNode Node(string op, string[] inputs, string output, params OnnxAttribute[] attrs) =>
            new($"{op}_{output}", op, "", inputs, [output], attrs.ToDictionary(a => a.Name));
        OnnxGraph Graph(OnnxNode[] nodes, OnnxTensor[] inits, OnnxValueInfo[] inputs, string output) =>
            new("fuzz", nodes, inits, inputs, [new OnnxValueInfo(output, OnnxDataType.Float, null)]);
        yield return new OnnxModel(8, "tessera-fuzz", opsets, Graph(
            [Node("MatMul", ["x", "w"], "h"), Node("Add", ["h", "b"], "a"), Node("Relu", ["a"], "y")],
            [FloatTensor("w", [4, 3]), FloatTensor("b", [3])],
            [new OnnxValueInfo("x", OnnxDataType.Float, [2, 4])], "y"));
        yield return new OnnxModel(8, "tessera-fuzz", opsets, Graph(
            [
                Node("Conv", ["x", "w"], "c", IntsAttr("pads", 1, 1, 1, 1), IntsAttr("strides", 1, 1), IntsAttr("kernel_shape", 3, 3)),
                Node("MaxPool", ["c"], "p", IntsAttr("kernel_shape", 2, 2), IntsAttr("strides", 2, 2)),
                Node("Reshape", ["p", "shape"], "r"), Node("Softmax", ["r"], "y"),
            ],
            [FloatTensor("w", [3, 2, 3, 3]), LongTensor("shape", 1, -1)],
            [new OnnxValueInfo("x", OnnxDataType.Float, [1, 2, 5, 5])], "y"));
        yield return new OnnxModel(8, "tessera-fuzz", opsets, Graph(
            [
                Node("Pad", ["x", "pads"], "p"), Node("Concat", ["p", "p"], "c", new OnnxAttribute("axis", OnnxAttributeType.Int, I: 0)),
                Node("Slice", ["c", "starts", "ends"], "s"), Node("Transpose", ["s"], "t", IntsAttr("perm", 1, 0)),
                Node("Expand", ["t", "shape"], "e"), Node("Gather", ["e", "idx"], "g"),
                Node("ReduceMean", ["g"], "y", IntsAttr("axes", 1)),
            ],
            [LongTensor("pads", 0, 1, 0, 1), LongTensor("starts", 0, 1), LongTensor("ends", 3, 4), LongTensor("shape", 2, 4, 3), LongTensor("idx", 1, 0)],
            [new OnnxValueInfo("x", OnnxDataType.Float, [-1, 3]) { DimParams = ["N", null] }], "y"));
    }

    private static IEnumerable<OnnxTensor> BuiltInTensors() =>
    [
        FloatTensor("f", [2, 3]),
        LongTensor("i", 5, -7, 1L << 40),
        new OnnxTensor("h", OnnxDataType.Float16, [2], [0x00, 0x3C, 0x00, 0xC0]),
        new OnnxTensor("d", OnnxDataType.Double, [1], BitConverter.GetBytes(2.5)),
        new OnnxTensor("b", OnnxDataType.Bool, [3], [1, 0, 1]),
        new OnnxTensor("s", OnnxDataType.String, [2], []) { Strings = ["a", "bc"] },
    ];

    private static OnnxTensor FloatTensor(string name, long[] dims)
    {
        long n = dims.Aggregate(1L, (a, d) => a * d);
        return new OnnxTensor(name, OnnxDataType.Float, dims, Floats([.. Enumerable.Range(0, (int)n).Select(i => (i % 7 - 3) * 0.25f)]));
    }

    private static OnnxTensor LongTensor(string name, params long[] values) =>
        new(name, OnnxDataType.Int64, [values.Length], Longs(values));

    private static byte[] Floats(params float[] v)
    {
        var b = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), v[i]);
        return b;
    }

    private static byte[] Longs(params long[] v)
    {
        var b = new byte[v.Length * 8];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(i * 8), v[i]);
        return b;
    }

    private static byte[] Ints(params int[] v)
    {
        var b = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(i * 4), v[i]);
        return b;
    }
}
