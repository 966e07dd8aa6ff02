using Tessera.Tests.Support;

namespace Tessera.Tests.ModelSuite;

/// <summary>Where the model set lives: the folder <c>benchmarks/models/export.py</c> writes (<c>$TESSERA_MODELS</c>, or
/// benchmarks/models/cache in the repository), and the CI subset it exports with <c>--subset ci</c>.</summary>
internal static class ModelSet
{
    public static string CacheDir => Environment.GetEnvironmentVariable("TESSERA_MODELS") is { Length: > 0 } dir
        ? dir
        : Path.Combine(Repository.Root(), "benchmarks", "models", "cache");

    /// <summary>The names in benchmarks/models/ci-subset.txt (the list export.py reads too).</summary>
    public static IReadOnlyList<string> CiSubset() =>
        File.ReadAllLines(Path.Combine(Repository.Root(), "benchmarks", "models", "ci-subset.txt"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    /// <summary>The case folder of <paramref name="name"/>, after requiring that it was exported (a skip on a developer's
    /// machine, a failure under CI=true).</summary>
    public static string Require(string name)
    {
        string dir = Path.Combine(CacheDir, name);
        Support.Requirement.Require(File.Exists(Path.Combine(dir, "model.onnx")) && File.Exists(Path.Combine(dir, "meta.json")),
            $"model '{name}' is not exported to {CacheDir}: run /usr/bin/python3 benchmarks/models/export.py --subset ci " +
            "(apt packages python3-torch python3-torchvision python3-onnx)");
        return dir;
    }
}
