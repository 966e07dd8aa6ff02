using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.IO;

namespace Tessera.Graph.Training;

/// <summary>Checkpoints in the safetensors layout: an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to {dtype, shape, data_offsets} plus "__metadata__" (string to string), then the raw little-endian data.
/// Tessera adds metadata "format" = <see cref="Format"/> and "sha256", the SHA-256 of the whole file with the 64 hex
/// digits of that value read as '0' — so the hash covers the header (names, shapes, offsets, metadata) as well as the
/// data. <see cref="Load(byte[], string)"/> verifies it, requires the tensors to tile the data section exactly (contiguous, in bounds,
/// no overlap), and rejects duplicate JSON keys and non-string metadata; <see cref="CheckpointMetadata"/> reads the
/// metadata typed. Checkpoints of the previous format (<see cref="FormatV1"/>, whose sha256 covers
/// the data only) still load. Files are written atomically: to a temporary file in the same folder, flushed to disk,
/// then renamed over the target, so a crash leaves either the old or the new checkpoint, never a torn one.</summary>
public static class Checkpoint
{
    /// <summary>The format written: sha256 over the whole file.</summary>
    public const string Format = "tessera-checkpoint/2";

    /// <summary>The first format: sha256 over the data section only (read, not written).</summary>
    public const string FormatV1 = "tessera-checkpoint/1";

    private const long MaxHeaderBytes = 100L << 20;
    private const int HashChars = 64;

    /// <summary>One named float32 array of a checkpoint.</summary>
    public sealed record Entry(string Name, int[] Shape, float[] Data);

    /// <summary>Writes <paramref name="tensors"/> and <paramref name="metadata"/> to <paramref name="path"/> in the safetensors layout with the whole file's sha256, through a temporary file renamed into place.</summary>
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
        var meta = new JsonObject { ["format"] = Format, ["sha256"] = new string('0', HashChars) };
        if (metadata is not null)
            foreach (var (k, v) in metadata)
                if (k is not ("format" or "sha256")) meta[k] = v;
        header["__metadata__"] = meta;
        // Pad the header with spaces to 8 bytes, as safetensors writers do.
        var json = header.ToJsonString();
        var headerBytes = Encoding.UTF8.GetBytes(json + new string(' ', (8 - Encoding.UTF8.GetByteCount(json) % 8) % 8));
        int padded = headerBytes.Length;
        // The hash covers the whole file with its own digits read as '0'; written into the placeholder afterwards.
        int hashAt = IndexOf(headerBytes, Encoding.UTF8.GetBytes($"\"sha256\":\"{new string('0', HashChars)}\"")) + "\"sha256\":\"".Length;
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            sha.AppendData(len);
            sha.AppendData(headerBytes);
            sha.AppendData(data);
            Encoding.ASCII.GetBytes(Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant(), headerBytes.AsSpan(hashAt, HashChars));
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            f.Write(len);
            f.Write(headerBytes);
            f.Write(data);
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads and verifies a checkpoint (see the class summary); every problem is a Tessera error naming the
    /// path.</summary>
    public static (IReadOnlyDictionary<string, Entry> Tensors, IReadOnlyDictionary<string, string> Metadata) Load(string path)
    {
        const string op = "Checkpoint.Load";
        return Load(InputFile.ReadAll(path, op, Array.MaxLength), path);
    }

    /// <summary>Reads and verifies the checkpoint file image <paramref name="bytes"/>; errors name <paramref name="path"/>
    /// (where the bytes came from).</summary>
    public static (IReadOnlyDictionary<string, Entry> Tensors, IReadOnlyDictionary<string, string> Metadata) Load(byte[] bytes, string path)
    {
        const string op = "Checkpoint.Load";
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(path);
        string where = $"{op} ({path})";
        if (bytes.Length < 8) throw new TesseraArgumentException(op, nameof(path), $"{path} is truncated ({bytes.Length} bytes)");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLen > MaxHeaderBytes || (long)headerLen > bytes.Length - 8)
            throw new TesseraArgumentException(op, nameof(path), $"{path}: header length {headerLen} is impossible for a {bytes.Length}-byte file");
        int dataStart = 8 + (int)headerLen;
        var (header, hashAt) = CheckpointHeader.Parse(bytes.AsSpan(8, (int)headerLen), where);
        var meta = CheckpointHeader.Metadata(header, where);
        VerifyHash(bytes, dataStart, hashAt, meta, path, op);
        var result = CheckpointHeader.Entries(header, bytes.AsSpan(dataStart), where);
        return (result, meta);
    }

    /// <summary>The sha256 of the format the file declares: over the whole file (its digits read as '0') for
    /// <see cref="Format"/>, over the data for <see cref="FormatV1"/>.</summary>
    private static void VerifyHash(byte[] bytes, int dataStart, int hashAt, Dictionary<string, string> meta, string path, string op)
    {
        string format = meta.GetValueOrDefault("format", "");
        if (format is not (Format or FormatV1))
            throw new TesseraArgumentException(op, nameof(path), $"{path}: metadata format '{format}' is not a Tessera checkpoint ({Format} or {FormatV1})");
        if (!meta.TryGetValue("sha256", out var expected) || hashAt < 0)
            throw new TesseraArgumentException(op, nameof(path), $"{path}: the metadata has no sha256 (a Tessera checkpoint always carries one)");
        string actual;
        if (format == FormatV1)
            actual = Convert.ToHexString(SHA256.HashData(bytes.AsSpan(dataStart))).ToLowerInvariant();
        else
            actual = WholeFileHash(bytes, 8 + hashAt);
        if (actual != expected)
            throw new TesseraArgumentException(op, nameof(path), $"{path}: checksum mismatch (corrupt, torn or edited file; format {format})");
    }

    /// <summary>Rewrites the sha256 digits of the <see cref="Format"/> checkpoint image <paramref name="bytes"/> so that
    /// they match its contents again (for tools that edit a checkpoint on purpose, such as the fuzzer, which must get past
    /// the hash to reach the checks behind it). Returns false, changing nothing, when the header has no sha256 value of 64
    /// characters where <see cref="Load(byte[], string)"/> looks for one.</summary>
    public static bool Reseal(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 8) return false;
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLen > MaxHeaderBytes || (long)headerLen > bytes.Length - 8) return false;
        int hashAt;
        try
        {
            hashAt = CheckpointHeader.Parse(bytes.AsSpan(8, (int)headerLen), nameof(Reseal)).HashAt;
        }
        catch (TesseraException)
        {
            return false;
        }
        if (hashAt < 0) return false;
        Encoding.ASCII.GetBytes(WholeFileHash(bytes, 8 + hashAt), bytes.AsSpan(8 + hashAt, HashChars));
        return true;
    }

    /// <summary>The SHA-256 of <paramref name="bytes"/> with the <see cref="HashChars"/> characters at
    /// <paramref name="at"/> read as '0', in lower-case hex.</summary>
    private static string WholeFileHash(byte[] bytes, int at)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(bytes, 0, at);
        sha.AppendData(Encoding.ASCII.GetBytes(new string('0', HashChars)));
        sha.AppendData(bytes, at + HashChars, bytes.Length - at - HashChars);
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
