using System.Globalization;
using System.Text.RegularExpressions;

namespace Tessera.Cli.Fuzzing;

/// <summary>Structure-aware mutation of the text headers of .npy files (a Python dict literal) and checkpoints (JSON):
/// the header is split into numbers, quoted strings and the punctuation between them, and one to three tokens are
/// edited — a number set to a boundary value (shape dimensions, data offsets, metadata counts), a string replaced by
/// another from <see cref="Words"/> or the seeds (element types, keys, metadata values), a token deleted or repeated,
/// punctuation inserted.</summary>
internal static partial class TextHeaderMutator
{
    /// <summary>Strings worth trying in either header: element types of both formats (valid, unsupported, big-endian,
    /// object), keys, and metadata values that are not what their key promises.</summary>
    private static readonly string[] Words =
    [
        "<f4", "<f8", "<i4", "<i8", "|b1", "|u1", ">f4", ">i8", "<f2", "<c8", "|O", "<U8", "|S3", "<u8", "<i2",
        "F32", "F16", "BF16", "I64", "F64", "U8", "BOOL",
        "descr", "fortran_order", "shape", "dtype", "data_offsets", "__metadata__", "format", "sha256",
        "model", "epochs_done", "optimizer_steps", "seed", "batch", "history",
        "-3", "1e400", "NaN", "", "null", "[", "[{\"Epoch\":2}]", "[null]", "{}", "18446744073709551616", "0x10", "tessera-checkpoint/1",
    ];

    private static readonly string[] Punctuation = ["(", ")", ",", ":", "[", "]", "{", "}", "\"", "'", " ", "True", "False", "-", "."];

    [GeneratedRegex("""-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|"(?:[^"\\]|\\.)*"|'[^']*'""")]
    private static partial Regex TokenPattern();

    /// <summary>A mutant of <paramref name="header"/>.</summary>
    public static string Mutate(string header, Random rng)
    {
        var tokens = Tokens(header);
        int edits = 1 + rng.Next(3);
        for (int i = 0; i < edits && tokens.Count > 0; i++)
        {
            int at = rng.Next(tokens.Count);
            string t = tokens[at];
            switch (rng.Next(8))
            {
                case 0 or 1 or 2 when IsNumber(t):
                    tokens[at] = ByteMutations.Number(rng, long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n : 1)
                        .ToString(CultureInfo.InvariantCulture);
                    break;
                case 0 or 1 or 2 or 3 when IsQuoted(t):
                    char q = t[0];
                    tokens[at] = q + Words[rng.Next(Words.Length)].Replace(q.ToString(), q == '"' ? "\\\"" : "") + q;
                    break;
                case 4:
                    tokens.RemoveAt(at);
                    break;
                case 5:
                    tokens.Insert(at, t);
                    break;
                case 6:
                    tokens.Insert(at, Punctuation[rng.Next(Punctuation.Length)]);
                    break;
                default:
                    if (IsNumber(t)) tokens[at] = t + (rng.Next(2) == 0 ? ".5" : "0000000000000000000000");
                    else tokens[at] = Words[rng.Next(Words.Length)];
                    break;
            }
        }
        return string.Concat(tokens);
    }

    /// <summary>A file of a text header and binary data mutated: mostly the header (<see cref="Mutate"/>), else the data
    /// truncated or grown by a multiple of <paramref name="unit"/> bytes.</summary>
    public static (string Header, byte[] Data) MutateParts(string header, byte[] data, Random rng, int unit)
    {
        if (rng.Next(3) > 0) return (Mutate(header, rng), data);
        return (header, rng.Next(2) == 0 ? data[..rng.Next(data.Length + 1)] : [.. data, .. new byte[unit * (1 + rng.Next(16))]]);
    }

    private static bool IsNumber(string t) => t.Length > 0 && (char.IsAsciiDigit(t[0]) || (t[0] == '-' && t.Length > 1));

    private static bool IsQuoted(string t) => t.Length >= 2 && t[0] is '"' or '\'';

    /// <summary>The header as numbers, quoted strings and the text between them, in order (their concatenation is the
    /// header).</summary>
    private static List<string> Tokens(string header)
    {
        var tokens = new List<string>();
        int pos = 0;
        foreach (Match m in TokenPattern().Matches(header))
        {
            if (m.Index > pos) tokens.Add(header[pos..m.Index]);
            tokens.Add(m.Value);
            pos = m.Index + m.Length;
        }
        if (pos < header.Length) tokens.Add(header[pos..]);
        return tokens;
    }
}
