using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.Graph.Training;

/// <summary>Checkpoints in the safetensors layout: an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to {dtype, shape, data_offsets} plus "__metadata__" (string to string), then the raw little-endian data.
/// Tessera adds metadata "format" = "tessera-checkpoint/1" and "sha256" of the data section, which <see cref="Load"/>
/// verifies. Files are written atomically: to a temporary file in the same folder, flushed to disk, then renamed over
/// the target, so a crash leaves either the old or the new checkpoint, never a torn one.</summary>
public static class Checkpoint
{
    public const string Format = "tessera-checkpoint/1";
    private const long MaxHeaderBytes = 100L << 20;

    /// <summary>One named float32 array of a checkpoint.</summary>
    public sealed record Entry(string Name, int[] Shape, float[] Data);

    public static void Save(string path, IEnumerable<Entry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        const string op = "Checkpoint.Save";
        var list = tensors.ToList();
        var names = new HashSet<string>();
        long offset = 0;
        var header = new JsonObject();
        foreach (var e in list)
        {
            if (!names.Add(e.Name)) throw new TesseraArgumentException(op, nameof(tensors), $"duplicate tensor name '{e.Name}'");
            if (e.Name == "__metadata__") throw new TesseraArgumentException(op, nameof(tensors), "'__metadata__' is reserved");
            long count = e.Shape.Aggregate(1L, (a, d) => a * d);
            if (count != e.Data.Length) throw new TesseraShapeException(op, e.Name, $"{e.Data.Length} values for shape [{string.Join(", ", e.Shape)}]");
            long bytes = count * 4;
            header[e.Name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(e.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var data = new byte[offset];
        long pos = 0;
        foreach (var e in list)
        {
            var span = System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Data.AsSpan());
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts");
            span.CopyTo(data.AsSpan((int)pos));
            pos += span.Length;
        }
        var meta = new JsonObject { ["format"] = Format, ["sha256"] = Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant() };
        if (metadata is not null)
            foreach (var (k, v) in metadata)
                if (k is not ("format" or "sha256")) meta[k] = v;
        header["__metadata__"] = meta;
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces to 8 bytes, as safetensors writers do.
        int padded = (headerBytes.Length + 7) / 8 * 8;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            f.Write(len);
            f.Write(headerBytes);
            for (int i = headerBytes.Length; i < padded; i++) f.WriteByte((byte)' ');
            f.Write(data);
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads and verifies a checkpoint: header structure, offsets inside the file and contiguous, dtype F32,
    /// shapes matching sizes, and the sha256 of the data.</summary>
    public static (IReadOnlyDictionary<string, Entry> Tensors, IReadOnlyDictionary<string, string> Metadata) Load(string path)
    {
        const string op = "Checkpoint.Load";
        if (!File.Exists(path)) throw new TesseraArgumentException(op, nameof(path), $"file not found: {path}");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new TesseraArgumentException(op, nameof(path), $"{path} is truncated ({bytes.Length} bytes)");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLen > MaxHeaderBytes || (long)headerLen > bytes.Length - 8)
            throw new TesseraArgumentException(op, nameof(path), $"{path}: header length {headerLen} is impossible for a {bytes.Length}-byte file");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLen))?.AsObject()
                ?? throw new TesseraArgumentException(op, nameof(path), $"{path}: empty header");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new TesseraArgumentException(op, nameof(path), $"{path}: header is not valid JSON ({e.Message})");
        }
        int dataStart = 8 + (int)headerLen;
        long dataLen = bytes.Length - dataStart;
        var meta = new Dictionary<string, string>();
        if (header["__metadata__"] is JsonObject m)
            foreach (var (k, v) in m) meta[k] = v?.GetValue<string>() ?? "";
        if (meta.TryGetValue("sha256", out var sha))
        {
            var actual = Convert.ToHexString(SHA256.HashData(bytes.AsSpan(dataStart))).ToLowerInvariant();
            if (actual != sha) throw new TesseraArgumentException(op, nameof(path), $"{path}: data checksum mismatch (corrupt or torn file)");
        }
        var result = new Dictionary<string, Entry>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            try
            {
                var o = node as JsonObject ?? throw new TesseraArgumentException(op, name, "entry is not an object");
                JsonNode Field(string key) => o[key] ?? throw new TesseraArgumentException(op, name, $"entry lacks '{key}'");
                if (Field("dtype").GetValue<string>() != "F32")
                    throw new TesseraDTypeException(op, name, $"dtype {o["dtype"]} is not supported (F32 only)");
                var shape = Field("shape").AsArray().Select(d => d?.GetValue<int>() ?? -1).ToArray();
                var offs = Field("data_offsets").AsArray().Select(d => d?.GetValue<long>() ?? -1).ToArray();
                long count = shape.Aggregate(1L, (a, d) => d < 0 ? -1 : a * d);
                if (count < 0 || offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0] || offs[1] > dataLen || offs[1] - offs[0] != count * 4)
                    throw new TesseraArgumentException(op, name, $"offsets [{string.Join(", ", offs)}] do not fit shape [{string.Join(", ", shape)}] in {dataLen} data bytes");
                var data = new float[count];
                Buffer.BlockCopy(bytes, dataStart + (int)offs[0], data, 0, (int)(count * 4));
                result[name] = new Entry(name, shape, data);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new TesseraArgumentException(op, name, $"malformed header entry ({e.Message})");
            }
        }
        return (result, meta);
    }
}
