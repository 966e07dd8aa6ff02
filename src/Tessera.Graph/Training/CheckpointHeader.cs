using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.Graph.Training;

/// <summary>Reads and validates the JSON header of a checkpoint (<see cref="Checkpoint"/>): strict JSON without
/// duplicate keys, string-only metadata, and tensor entries that tile the data section exactly. Errors name
/// <c>where</c> (the load and its path) and the key or tensor.</summary>
internal static class CheckpointHeader
{
    /// <summary>The header as a JSON object, and where the metadata's sha256 digits start in it (−1 when absent). Any
    /// object with a key twice, a sha256 that is not 64 plain characters, invalid UTF-8 or invalid JSON is refused.</summary>
    public static (JsonObject Header, int HashAt) Parse(ReadOnlySpan<byte> json, string where)
    {
        // JSON text is UTF-8; the reader checks the structure as it goes but a string's bytes only when the string is
        // read, so an invalid sequence inside a value would surface later as a non-Tessera error.
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw new TesseraArgumentException(where, "header", "is not valid UTF-8");
        int hashAt = -1;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            var keys = new Stack<HashSet<string>>();
            var path = new Stack<string>();   // the key of each open object (the root's is "")
            string key = "";
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        keys.Push(new HashSet<string>(StringComparer.Ordinal));
                        path.Push(key);
                        break;
                    case JsonTokenType.EndObject:
                        keys.Pop();
                        path.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        key = reader.GetString()!;
                        if (!keys.Peek().Add(key))
                            throw new TesseraArgumentException(where, key, path.Count == 1 ? "appears twice in the header" : $"appears twice in '{path.Peek()}'");
                        break;
                    case JsonTokenType.String when key == "sha256" && path.Count == 2 && path.Peek() == "__metadata__":
                        if (reader.ValueIsEscaped || reader.ValueSpan.Length != 64)
                            throw new TesseraArgumentException(where, "sha256", "is not 64 hexadecimal digits");
                        hashAt = (int)reader.TokenStartIndex + 1;
                        break;
                }
            }
            var header = JsonNode.Parse(json)?.AsObject() ?? throw new TesseraArgumentException(where, "header", "is empty");
            return (header, hashAt);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new TesseraArgumentException(where, "header", $"is not a valid JSON object ({e.Message})");
        }
    }

    /// <summary>"__metadata__": an object whose every value is a string (absent: empty).</summary>
    public static Dictionary<string, string> Metadata(JsonObject header, string where)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!header.TryGetPropertyValue("__metadata__", out var node) || node is null) return meta;
        if (node is not JsonObject m) throw new TesseraArgumentException(where, "__metadata__", $"is a {node.GetValueKind()}, not an object of strings");
        foreach (var (k, v) in m)
        {
            if (v is null || v.GetValueKind() != JsonValueKind.String)
                throw new TesseraArgumentException(where, k, $"metadata value is {(v is null ? "null" : "a " + v.GetValueKind())}, not a string");
            meta[k] = v.GetValue<string>();
        }
        return meta;
    }

    /// <summary>The tensors: dtype F32, a shape of non-negative int32 dimensions, data_offsets [begin, end] of exactly
    /// the shape's bytes; together they must tile <paramref name="data"/> from its first byte to its last, in some order,
    /// without gaps or overlaps.</summary>
    public static Dictionary<string, Checkpoint.Entry> Entries(JsonObject header, ReadOnlySpan<byte> data, string where)
    {
        var spans = new List<(string Name, long Begin, long End, int[] Shape)>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            try
            {
                var o = node as JsonObject ?? throw new TesseraArgumentException(where, name, "entry is not an object");
                JsonNode Field(string key) => o[key] ?? throw new TesseraArgumentException(where, name, $"entry lacks '{key}'");
                if (Field("dtype").GetValue<string>() != "F32")
                    throw new TesseraDTypeException(where, name, $"dtype {o["dtype"]} is not supported (F32 only)");
                var shape = Field("shape").AsArray().Select(d => d?.GetValue<int>() ?? -1).ToArray();
                var offs = Field("data_offsets").AsArray().Select(d => d?.GetValue<long>() ?? -1).ToArray();
                long count = SizeMath.Product(where, name, shape);
                long bytes = SizeMath.Bytes(where, name, count, sizeof(float));
                if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0] || offs[1] > data.Length || offs[1] - offs[0] != bytes)
                    throw new TesseraArgumentException(where, name, $"offsets [{string.Join(", ", offs)}] do not fit shape [{string.Join(", ", shape)}] in {data.Length} data bytes");
                spans.Add((name, offs[0], offs[1], shape));
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new TesseraArgumentException(where, name, $"malformed header entry ({e.Message})");
            }
        }
        long next = 0;
        string previous = "the start of the data";
        foreach (var s in spans.OrderBy(s => s.Begin).ThenBy(s => s.End))
        {
            if (s.Begin != next)
                throw new TesseraArgumentException(where, s.Name, $"starts at data byte {s.Begin}, but {previous} ends at {next}: " +
                    "tensors must be contiguous, without gaps or overlaps");
            next = s.End;
            previous = $"'{s.Name}'";
        }
        if (next != data.Length)
            throw new TesseraArgumentException(where, "data_offsets", $"the tensors cover {next} of the {data.Length} data bytes");
        var result = new Dictionary<string, Checkpoint.Entry>(StringComparer.Ordinal);
        foreach (var (name, begin, end, shape) in spans)
        {
            var values = new float[(end - begin) / sizeof(float)];
            data.Slice((int)begin, (int)(end - begin)).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            result[name] = new Checkpoint.Entry(name, shape, values);
        }
        return result;
    }
}
