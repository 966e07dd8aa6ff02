using System.Reflection;
using System.Runtime.InteropServices;

namespace Tessera.Bench;

/// <summary>What was built and where it runs: the commit (embedded at build time from git), versions of assemblies, and
/// the machine (host, processor, cores), for the report header.</summary>
public static class BuildInfo
{
    /// <summary>The git commit this build came from, "+dirty" when tracked files differed from it, or "unknown".</summary>
    public static string Commit { get; } = typeof(BuildInfo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "GitCommit")?.Value ?? "unknown";

    /// <summary>Tessera's version with its commit ("1.0.0.0 (commit 1a2b3c4d5e6f)").</summary>
    public static string Version => $"{typeof(BuildInfo).Assembly.GetName().Version} (commit {(Commit.Length > 12 && Commit != "unknown" ? Commit[..12] + (Commit.EndsWith("+dirty", StringComparison.Ordinal) ? "+dirty" : "") : Commit)})";

    /// <summary>The informational (or plain) version of the assembly that holds <paramref name="type"/>.</summary>
    public static string AssemblyVersion(Type type)
    {
        var asm = type.Assembly;
        string? info = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (info is not null) return info.Split('+')[0];
        return asm.GetName().Version?.ToString() ?? "?";
    }

    /// <summary>Host name, processor model and logical cores.</summary>
    public static string Machine { get; } = $"{Environment.MachineName}, {CpuModel()}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSArchitecture}";

    /// <summary>The 1-minute load average (runnable threads, from /proc/loadavg), or null where unknown.</summary>
    public static double? LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.TryParse(first, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) ? v : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
