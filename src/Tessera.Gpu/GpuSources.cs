using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Tessera.Gpu;

/// <summary>The kernel sources embedded in this assembly and the program text of a family for a dialect:
/// dialect prelude + kernels/portable/common.h + kernels/portable/&lt;family&gt;.h, with #line markers so compiler
/// messages name the original files.</summary>
public static class GpuSources
{
    private static readonly ConcurrentDictionary<(GpuDialect, string), string> Programs = new();

    /// <summary>The kernel families (file names under kernels/portable without ".h", common excluded).</summary>
    public static IReadOnlyList<string> Families { get; } = typeof(GpuSources).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("portable/", StringComparison.Ordinal) && n.EndsWith(".h", StringComparison.Ordinal))
        .Select(n => n["portable/".Length..^2]).Where(n => n != "common").OrderBy(n => n, StringComparer.Ordinal).ToArray();

    /// <summary>An embedded file by resource name ("portable/common.h", "cuda/dialect.cuh", ...).</summary>
    public static string Read(string resource)
    {
        using var s = typeof(GpuSources).Assembly.GetManifestResourceStream(resource)
            ?? throw new TesseraBackendException("GpuSources.Read", $"kernel source '{resource}' is not embedded in Tessera.Gpu");
        using var r = new StreamReader(s, Encoding.UTF8);
        return r.ReadToEnd();
    }

    /// <summary>The whole program text of <paramref name="family"/> for <paramref name="dialect"/>.</summary>
    public static string Program(GpuDialect dialect, string family)
    {
        if (!Families.Contains(family))
            throw new TesseraBackendException("GpuSources.Program", $"no kernel family '{family}' (have: {string.Join(", ", Families)})");
        return Programs.GetOrAdd((dialect, family), static key =>
        {
            var (d, f) = key;
            string prelude = d == GpuDialect.Cuda ? "cuda/dialect.cuh" : "opencl/dialect.clh";
            var sb = new StringBuilder();
            sb.Append("#line 1 \"").Append(prelude).Append("\"\n").Append(Read(prelude)).Append('\n');
            sb.Append("#line 1 \"portable/common.h\"\n").Append(Read("portable/common.h")).Append('\n');
            sb.Append("#line 1 \"portable/").Append(f).Append(".h\"\n").Append(Read($"portable/{f}.h")).Append('\n');
            return sb.ToString();
        });
    }

    /// <summary>Hex SHA-256 of the program text and the compile options: the key of on-disk binary caches.</summary>
    public static string Hash(string program, string options, string toolchain) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{toolchain}\n{options}\n{program}")));
}
