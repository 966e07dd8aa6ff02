using System.Collections;
using System.Globalization;
using System.Text;

namespace Tessera.Graph.Operators;

/// <summary>Builds <see cref="GraphOp.Signature"/>s: the kind and the parameters as text, sequences element by element
/// and floating-point numbers exactly (round-trip form), so that two signatures are equal exactly when the parameters are.</summary>
internal static class OpSignature
{
    public static string Of(string kind, params object?[] parts)
    {
        var sb = new StringBuilder(kind);
        foreach (var part in parts)
        {
            sb.Append('|');
            Append(sb, part);
        }
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, object? part)
    {
        switch (part)
        {
            case null:
                sb.Append("null");
                break;
            case float f:
                sb.Append(f.ToString("R", CultureInfo.InvariantCulture));
                break;
            case double d:
                sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
                break;
            case string s:
                sb.Append(s);
                break;
            case Shape shape:
                sb.Append(shape.ToString());
                break;
            case IEnumerable items:
                sb.Append('[');
                foreach (var item in items)
                {
                    Append(sb, item);
                    sb.Append(',');
                }
                sb.Append(']');
                break;
            default:
                sb.Append(Convert.ToString(part, CultureInfo.InvariantCulture));
                break;
        }
    }
}
