namespace Tessera.Bench.Baselines;

/// <summary>Facts about the native libraries this process has loaded, read from <c>/proc/self/maps</c>.</summary>
public static class NativeLibraries
{
    /// <summary>The version in the file name of the loaded library whose name starts with <paramref name="stem"/>
    /// ("1.5.3" for libclblast.so.1.5.3, with its path), or null when none is loaded.</summary>
    public static string? LoadedVersion(string stem)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/', StringComparison.Ordinal);
                if (slash < 0) continue;
                string path = line[slash..];
                string file = Path.GetFileName(path);
                if (!file.StartsWith(stem, StringComparison.Ordinal)) continue;
                string version = file[stem.Length..].TrimStart('.');
                return version.Length > 0 ? $"{version} ({path})" : path;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }
}
