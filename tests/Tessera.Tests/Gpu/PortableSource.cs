using System.Text.RegularExpressions;
using Tessera.Gpu;

namespace Tessera.Tests.Gpu;

/// <summary>Reads the embedded portable kernel sources (kernels/portable/*.h): the op codes a file defines for a C#
/// enum and the case labels of a switch. Code names are the enum value in upper snake case after a prefix
/// (UnaryOp.LeakyRelu is U_LEAKY_RELU); names are compared without underscores.</summary>
public static class PortableSource
{
    /// <summary>Where each op enum's codes are defined: file and prefix.</summary>
    public static readonly IReadOnlyDictionary<Type, (string File, string Prefix)> Codes = new Dictionary<Type, (string, string)>
    {
        [typeof(Kernels.UnaryOp)] = ("portable/common.h", "U_"),
        [typeof(Kernels.BinaryOp)] = ("portable/elementwise.h", "B_"),
        [typeof(Kernels.CompareOp)] = ("portable/elementwise.h", "C_"),
        [typeof(Kernels.ReduceOp)] = ("portable/reduction.h", "R_"),
        [typeof(Kernels.LossReduction)] = ("portable/reduction.h", "L_"),
        [typeof(Kernels.PadMode)] = ("portable/shape.h", "PAD_"),
    };

    /// <summary>The switches that must have a case per value of an element-wise enum, by file and the text that opens them.</summary>
    public static readonly IReadOnlyDictionary<Type, (string File, string Opening)[]> Switches = new Dictionary<Type, (string, string)[]>
    {
        [typeof(Kernels.UnaryOp)] = new[] { ("portable/common.h", "float unary_apply("), ("portable/elementwise.h", "float unary_grad(") },
        [typeof(Kernels.BinaryOp)] = new[] { ("portable/elementwise.h", "float binary_apply("), ("portable/elementwise.h", "float binary_grad(") },
        [typeof(Kernels.CompareOp)] = new[] { ("portable/elementwise.h", "#define COMPARE_KERNEL(") },
    };

    private static string Key(string name) => name.Replace("_", "").ToUpperInvariant();

    /// <summary>The codes <c>#define PREFIX_NAME value</c> of a file, by NAME without underscores.</summary>
    public static IReadOnlyDictionary<string, int> Defines(string file, string prefix) =>
        Regex.Matches(GpuSources.Read(file), $@"#define {prefix}([A-Z_]+) (\d+)")
            .ToDictionary(m => Key(m.Groups[1].Value), m => int.Parse(m.Groups[2].Value));

    /// <summary>The name <paramref name="value"/>'s code has in its file (UnaryOp.LeakyRelu: U_LEAKY_RELU).</summary>
    public static string CodeName(Enum value) =>
        Codes[value.GetType()].Prefix + Regex.Replace(value.ToString(), "(?<=[a-z0-9])([A-Z])", "_$1").ToUpperInvariant();

    /// <summary>The code of <paramref name="value"/> in its file, or null when the file defines none.</summary>
    public static int? CodeOf(Enum value)
    {
        var (file, prefix) = Codes[value.GetType()];
        return Defines(file, prefix).TryGetValue(Key(value.ToString()), out int c) ? c : null;
    }

    /// <summary>The labels <c>case PREFIX_NAME:</c> (by NAME without underscores) in the brace-delimited body that
    /// follows <paramref name="opening"/> in <paramref name="file"/>.</summary>
    public static IReadOnlySet<string> CaseLabels(string file, string prefix, string opening)
    {
        string text = GpuSources.Read(file);
        int at = text.IndexOf(opening, StringComparison.Ordinal);
        if (at < 0) throw new InvalidOperationException($"{file} has no '{opening}'");
        int open = text.IndexOf('{', at), depth = 0, end = open;
        for (; end < text.Length; end++)
        {
            if (text[end] == '{') depth++;
            else if (text[end] == '}' && --depth == 0) break;
        }
        return Regex.Matches(text[open..end], $@"case {prefix}([A-Z_]+):").Select(m => Key(m.Groups[1].Value)).ToHashSet();
    }

    /// <summary>The switches of <paramref name="value"/>'s enum that have no case for it, as "name (file)" (none for
    /// enums without per-element switches).</summary>
    public static IEnumerable<string> SwitchesWithoutCase(Enum value)
    {
        if (!Switches.TryGetValue(value.GetType(), out var switches)) yield break;
        string prefix = Codes[value.GetType()].Prefix;
        foreach (var (file, o) in switches)
            if (!CaseLabels(file, prefix, o).Contains(Key(value.ToString()))) yield return $"{o.TrimEnd('(').Split(' ')[^1]} ({file})";
    }
}
