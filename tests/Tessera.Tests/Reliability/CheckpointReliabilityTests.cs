using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Cli.Training;
using Tessera.Graph.Training;
using Tessera.Tests.Support;

namespace Tessera.Tests.Reliability;

/// <summary>Checkpoints: the hash covers the header, the tensors tile the data, metadata is validated by type before a
/// resumed run uses it (issue 13, D5 and D10); checkpoints of the first format still load.</summary>
public class CheckpointReliabilityTests
{
    private static string TempFile() => Path.Combine(Path.GetTempPath(), $"tessera-ckpt-{Guid.NewGuid():N}.safetensors");

    private static readonly Checkpoint.Entry A = new("a", [4], [1, 2, 3, 4]);
    private static readonly Checkpoint.Entry B = new("b", [2], [5, 6]);

    /// <summary>Writes a checkpoint of the first format (sha256 of the data only) with the header given as JSON.</summary>
    private static void WriteV1(string path, JsonObject header, byte[] data, bool withHash = true)
    {
        var meta = header["__metadata__"] as JsonObject ?? new JsonObject();
        header["__metadata__"] = meta;
        meta["format"] = Checkpoint.FormatV1;
        if (withHash) meta["sha256"] = Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        File.WriteAllBytes(path, bytes);
    }

    private static JsonObject Tensor(long begin, long end, params int[] shape) => new()
    {
        ["dtype"] = "F32",
        ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()),
        ["data_offsets"] = new JsonArray(begin, end),
    };

    private static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void D10_overlapping_tensors_are_refused()
    {
        var path = TempFile();
        WriteV1(path, new JsonObject { ["a"] = Tensor(0, 16, 4), ["b"] = Tensor(8, 16, 2) }, Floats(1, 2, 3, 4));
        var e = Assert.Throws<TesseraArgumentException>(() => Checkpoint.Load(path));
        Assert.Contains("contiguous", e.Message);
        File.Delete(path);
    }

    [Fact]
    public void D10_a_gap_or_trailing_data_is_refused()
    {
        var path = TempFile();
        WriteV1(path, new JsonObject { ["a"] = Tensor(0, 8, 2), ["b"] = Tensor(12, 20, 2) }, Floats(1, 2, 3, 4, 5));
        Assert.Contains("contiguous", Assert.Throws<TesseraArgumentException>(() => Checkpoint.Load(path)).Message);
        WriteV1(path, new JsonObject { ["a"] = Tensor(0, 8, 2) }, Floats(1, 2, 3));
        Assert.Contains("cover 8 of the 12", Assert.Throws<TesseraArgumentException>(() => Checkpoint.Load(path)).Message);
        File.Delete(path);
    }

    [Fact]
    public void D10_a_removed_hash_with_changed_data_is_refused()
    {
        var path = TempFile();
        WriteV1(path, new JsonObject { ["a"] = Tensor(0, 16, 4) }, Floats(9, 9, 9, 9), withHash: false);
        Assert.Contains("no sha256", Assert.Throws<TesseraArgumentException>(() => Checkpoint.Load(path)).Message);
        File.Delete(path);
    }

    [Theory]
    [InlineData("\"epochs_done\":\"1\"", "\"epochs_done\":\"7\"")]
    [InlineData("\"shape\":[4]", "\"shape\":[2]")]
    [InlineData("\"model\":\"mlp\"", "\"model\":\"cnn\"")]
    public void D10_the_hash_covers_the_header(string from, string to)
    {
        var path = TempFile();
        Checkpoint.Save(path, [A], new Dictionary<string, string> { ["epochs_done"] = "1", ["model"] = "mlp" });
        var bytes = File.ReadAllBytes(path);
        string text = Encoding.Latin1.GetString(bytes);
        Assert.Contains(from, text);
        text = text.Replace(from, to, StringComparison.Ordinal);
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes(text));
        Assert.Contains("checksum mismatch", Assert.Throws<TesseraArgumentException>(() => Checkpoint.Load(path)).Message);
        File.Delete(path);
    }

    [Fact]
    public void Checkpoints_of_the_first_format_still_load()
    {
        var path = TempFile();
        var data = Floats(1, 2, 3, 4, 5, 6);
        WriteV1(path, new JsonObject { ["b"] = Tensor(16, 24, 2), ["a"] = Tensor(0, 16, 4), ["__metadata__"] = new JsonObject { ["epochs_done"] = "2" } }, data);
        var (t, meta) = Checkpoint.Load(path);
        Assert.Equal(A.Data, t["a"].Data);
        Assert.Equal(B.Data, t["b"].Data);
        Assert.Equal("2", meta["epochs_done"]);
        Assert.Equal(Checkpoint.FormatV1, meta["format"]);
        File.Delete(path);
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"__metadata__\":{\"x\":\"1\"}}", "appears twice")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"__metadata__\":{\"epochs_done\":\"1\",\"epochs_done\":\"2\"}}", "appears twice")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"__metadata__\":{\"epochs_done\":3}}", "not a string")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4.5],\"data_offsets\":[0,16]},\"__metadata__\":{}}", "malformed")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]},\"__metadata__\":{}}", "negative")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"__metadata__\":[\"x\"]}", "not an object")]
    public void D5_structurally_bad_headers_are_tessera_errors(string json, string expected)
    {
        var path = TempFile();
        // Written raw (a JsonObject cannot hold a key twice): the first format's hash over the data.
        var data = Floats(1, 2, 3, 4);
        string hash = Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();
        string text = json.Replace("\"__metadata__\":{", $"\"__metadata__\":{{\"format\":\"{Checkpoint.FormatV1}\",\"sha256\":\"{hash}\",", StringComparison.Ordinal)
            .Replace("{\"format\":\"" + Checkpoint.FormatV1 + "\",\"sha256\":\"" + hash + "\",}", "{\"format\":\"" + Checkpoint.FormatV1 + "\",\"sha256\":\"" + hash + "\"}", StringComparison.Ordinal);
        var headerBytes = Encoding.UTF8.GetBytes(text);
        var bytes = new byte[8 + headerBytes.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)headerBytes.Length);
        headerBytes.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + headerBytes.Length);
        File.WriteAllBytes(path, bytes);
        var e = Assert.ThrowsAny<TesseraException>(() => Checkpoint.Load(path));
        Assert.Contains(expected, e.Message);
        File.Delete(path);
    }

    [Fact]
    public void D5_typed_metadata_readers_name_the_key()
    {
        var meta = new CheckpointMetadata(new Dictionary<string, string>
        {
            ["epochs_done"] = "-3", ["steps"] = "many", ["seed"] = "-1", ["history"] = "[{\"Epoch\": \"x\"}]", ["big"] = "99999999999",
        }, "train --resume");
        Assert.Contains("epochs_done", Assert.Throws<TesseraArgumentException>(() => meta.Whole("epochs_done", 0, int.MaxValue)).Message);
        Assert.Contains("not an integer", Assert.Throws<TesseraArgumentException>(() => meta.Whole("steps", 0, long.MaxValue)).Message);
        Assert.Contains("outside", Assert.Throws<TesseraArgumentException>(() => meta.Whole("big", 0, int.MaxValue)).Message);
        Assert.Contains("seed", Assert.Throws<TesseraArgumentException>(() => meta.Natural("seed")).Message);
        Assert.Contains("missing", Assert.Throws<TesseraArgumentException>(() => meta.Required("optimizer_steps")).Message);
        Assert.Contains("not valid JSON", Assert.Throws<TesseraArgumentException>(() => meta.Json("history", TrainingJson.Default.ListEpochMetrics)).Message);
    }

    private static FashionMnist Data()
    {
        Requirement.Require(Directory.Exists(FashionMnist.DefaultDirectory),
            $"Fashion-MNIST not installed at {FashionMnist.DefaultDirectory} (apt-get install dataset-fashion-mnist)");
        return LazyData.Value;
    }

    private static readonly Lazy<FashionMnist> LazyData = new(() => FashionMnist.Load(FashionMnist.DefaultDirectory));

    [Theory]
    [InlineData("epochs_done", "-3", "epochs_done")]
    [InlineData("epochs_done", "two", "epochs_done")]
    [InlineData("optimizer_steps", null, "optimizer_steps")]
    [InlineData("epochs_done", null, "epochs_done")]
    [InlineData("history", "[{\"Epoch\":", "history")]
    [InlineData("history", "[]", "history")]
    [InlineData("seed", "minus one", "seed")]
    public void D5_resume_refuses_bad_metadata_naming_the_key(string key, string? value, string expected)
    {
        var data = Data();
        using var dev = new Tessera.Cpu.CpuDevice();
        string dir = Directory.CreateTempSubdirectory("tessera-resume").FullName;
        var o = new TrainOptions("mlp", Epochs: 2, Batch: 32, LimitTrain: 64, LimitTest: 32, OutDir: dir);
        new TrainingRun(o with { Epochs = 1 }, dev).Run(data);
        string path = Path.Combine(dir, TrainingRun.CheckpointName);
        var (tensors, meta) = Checkpoint.Load(path);
        var changed = meta.Where(kv => kv.Key is not ("format" or "sha256") && kv.Key != key).ToDictionary(kv => kv.Key, kv => kv.Value);
        if (value is not null) changed[key] = value;
        Checkpoint.Save(path, tensors.Values, changed);
        var e = Assert.Throws<TesseraArgumentException>(() =>
            new TrainingRun(o with { OutDir = Directory.CreateTempSubdirectory("tessera-resume").FullName, Resume = path }, dev).Run(data));
        Assert.Contains(expected, e.Message);
    }
}
