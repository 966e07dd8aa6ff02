using System.Buffers.Binary;
using System.Text;
using Tessera.Graph.Training;

namespace Tessera.Tests.Graph;

public class CheckpointTests
{
    private static string TempFile() => Path.Combine(Path.GetTempPath(), $"tessera-ckpt-{Guid.NewGuid():N}.safetensors");

    [Fact]
    public void RoundTripsTensorsAndMetadata()
    {
        var path = TempFile();
        try
        {
            var a = new Checkpoint.Entry("w", new[] { 2, 3 }, new float[] { 1, 2, 3, 4, 5, -6.5f });
            var b = new Checkpoint.Entry("b", new[] { 3 }, new float[] { 0.25f, float.NaN, 1e-30f });
            var empty = new Checkpoint.Entry("e", new[] { 0, 4 }, Array.Empty<float>());
            Checkpoint.Save(path, new[] { a, b, empty }, new Dictionary<string, string> { ["epoch"] = "3" });
            var (t, meta) = Checkpoint.Load(path);
            Assert.Equal(a.Data, t["w"].Data);
            Assert.Equal(new[] { 2, 3 }, t["w"].Shape);
            Assert.Equal(BitConverter.SingleToInt32Bits(float.NaN), BitConverter.SingleToInt32Bits(t["b"].Data[1]));
            Assert.Empty(t["e"].Data);
            Assert.Equal("3", meta["epoch"]);
            Assert.Equal(Checkpoint.Format, meta["format"]);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void HeaderIsSafetensorsLayout()
    {
        var path = TempFile();
        try
        {
            Checkpoint.Save(path, new[] { new Checkpoint.Entry("x", new[] { 2 }, new float[] { 1, 2 }) });
            var bytes = File.ReadAllBytes(path);
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            Assert.Equal(0UL, n % 8);
            var json = Encoding.UTF8.GetString(bytes, 8, (int)n);
            Assert.Contains("\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", json);
            Assert.Equal(8 + (int)n + 8, bytes.Length);
            Assert.Equal(1f, BitConverter.ToSingle(bytes, 8 + (int)n));
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("truncate")]
    [InlineData("flip-data")]
    [InlineData("flip-header")]
    [InlineData("huge-header")]
    [InlineData("empty")]
    public void CorruptFilesAreRejectedWithAClearError(string damage)
    {
        var path = TempFile();
        try
        {
            Checkpoint.Save(path, new[] { new Checkpoint.Entry("w", new[] { 64 }, Enumerable.Range(0, 64).Select(i => (float)i).ToArray()) });
            var bytes = File.ReadAllBytes(path);
            switch (damage)
            {
                case "truncate": bytes = bytes[..^10]; break;
                case "flip-data": bytes[^5] ^= 0x40; break;
                case "flip-header": bytes[12] = (byte)'}'; break;
                case "huge-header": BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue / 2); break;
                case "empty": bytes = Array.Empty<byte>(); break;
            }
            File.WriteAllBytes(path, bytes);
            var ex = Assert.ThrowsAny<TesseraException>(() => Checkpoint.Load(path));
            Assert.Contains("Checkpoint.Load", ex.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void SaveReplacesAtomicallyAndLeavesNoTemporaryFiles()
    {
        var dir = Directory.CreateTempSubdirectory("tessera-ckpt").FullName;
        try
        {
            var path = Path.Combine(dir, "model.safetensors");
            Checkpoint.Save(path, new[] { new Checkpoint.Entry("w", new[] { 1 }, new float[] { 1 }) });
            Checkpoint.Save(path, new[] { new Checkpoint.Entry("w", new[] { 1 }, new float[] { 2 }) });
            Assert.Equal(2f, Checkpoint.Load(path).Tensors["w"].Data[0]);
            Assert.Single(Directory.GetFiles(dir));
        }
        finally { Directory.Delete(dir, true); }
    }
}
