using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Tessera.Graph.Training;

/// <summary>Typed readers over the "__metadata__" of a checkpoint (string to string, as safetensors defines it): each
/// reader refuses a missing key, a value that does not parse as its type, or one outside its range, with a
/// <see cref="TesseraArgumentException"/> naming the op and the key.</summary>
public sealed class CheckpointMetadata
{
    private readonly IReadOnlyDictionary<string, string> _values;
    private readonly string _op;

    /// <param name="values">The metadata as <see cref="Checkpoint.Load(string)"/> returns it.</param>
    /// <param name="op">The name errors begin with ("train --resume").</param>
    public CheckpointMetadata(IReadOnlyDictionary<string, string> values, string op)
    {
        _values = values ?? throw new TesseraArgumentException(nameof(CheckpointMetadata), nameof(values), "is null");
        _op = op;
    }

    /// <summary>The value of <paramref name="key"/>, which must be present.</summary>
    public string Required(string key) =>
        _values.TryGetValue(key, out var v) ? v : throw new TesseraArgumentException(_op, key, "is missing from the checkpoint's metadata");

    /// <summary>A whole number (an integer) in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public long Whole(string key, long min, long max)
    {
        string v = Required(key);
        if (!long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
            throw new TesseraArgumentException(_op, key, $"'{Shorten(v)}' is not an integer");
        if (n < min || n > max) throw new TesseraArgumentException(_op, key, $"{n} is outside [{min}, {max}]");
        return n;
    }

    /// <summary>A natural number (an unsigned 64-bit integer).</summary>
    public ulong Natural(string key)
    {
        string v = Required(key);
        if (!ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n))
            throw new TesseraArgumentException(_op, key, $"'{Shorten(v)}' is not an unsigned integer");
        return n;
    }

    /// <summary>A JSON document of type <typeparamref name="T"/> (null JSON is refused), read with source-generated
    /// metadata (<paramref name="type"/>, from a <see cref="System.Text.Json.Serialization.JsonSerializerContext"/>) so
    /// that trimmed and Native AOT applications read it too.</summary>
    public T Json<T>(string key, JsonTypeInfo<T> type) where T : class
    {
        string v = Required(key);
        try
        {
            return JsonSerializer.Deserialize(v, type) ?? throw new TesseraArgumentException(_op, key, "is null");
        }
        catch (JsonException e)
        {
            throw new TesseraArgumentException(_op, key, $"is not valid JSON for {typeof(T).Name} ({e.Message})");
        }
        catch (NotSupportedException e)
        {
            throw new TesseraArgumentException(_op, key, $"is not valid JSON for {typeof(T).Name} ({e.Message})");
        }
    }

    private static string Shorten(string v) => v.Length <= 40 ? v : v[..40] + "…";

    /// <summary>True when the metadata has <paramref name="key"/>.</summary>
    public bool Has(string key) => _values.ContainsKey(key);
}
