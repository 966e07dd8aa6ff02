namespace Tessera.Tests.Support;

/// <summary>The checkout the tests run from.</summary>
internal static class Repository
{
    /// <summary>The folder holding Runtime.sln, found upwards from the test assembly (not from source paths, which a
    /// deterministic CI build maps to /_/).</summary>
    public static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Runtime.sln"))) return d.FullName;
        throw new InvalidOperationException($"Runtime.sln not found above {AppContext.BaseDirectory}");
    }
}
