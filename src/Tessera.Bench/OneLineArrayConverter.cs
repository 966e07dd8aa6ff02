using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Bench;

/// <summary>Writes a list of numbers on one line (an indented report stays readable with thousands of samples) and reads
/// any JSON array of numbers back.</summary>
public sealed class OneLineArrayConverter : JsonConverter<IReadOnlyList<double>>
{
    /// <inheritdoc/>
    public override IReadOnlyList<double> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return Array.Empty<double>();
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected an array of numbers");
        var values = new List<double>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) values.Add(reader.GetDouble());
        return values;
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, IReadOnlyList<double> value, JsonSerializerOptions options)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < value.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(value[i].ToString("R", CultureInfo.InvariantCulture));
        }
        writer.WriteRawValue(sb.Append(']').ToString(), skipInputValidation: true);
    }
}
