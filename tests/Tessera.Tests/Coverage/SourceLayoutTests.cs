using System.Text.RegularExpressions;
using System.Xml.Linq;
using Tessera.Tests.Support;

namespace Tessera.Tests.Coverage;

/// <summary>Where code lives explains what it is: every C# file under src/, tests/ and benchmarks/ declares the
/// namespace of its folder (its project's root namespace, then the folder path below the project).</summary>
public partial class SourceLayoutTests
{
    [Fact]
    public void NamespacesFollowFolders()
    {
        string root = Repository.Root();
        var problems = new List<string>();
        var projects = new[] { "src", "tests", "benchmarks" }
            .SelectMany(d => Directory.GetFiles(Path.Combine(root, d), "*.csproj", SearchOption.AllDirectories));
        foreach (var project in projects)
        {
            string dir = Path.GetDirectoryName(project)!;
            string rootNamespace = XDocument.Load(project).Descendants("RootNamespace").FirstOrDefault()?.Value
                ?? Path.GetFileNameWithoutExtension(project);
            foreach (var file in Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(dir, file);
                if (relative.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                    || relative.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
                string? folder = Path.GetDirectoryName(relative);
                string expected = string.IsNullOrEmpty(folder) ? rootNamespace : rootNamespace + "." + folder.Replace(Path.DirectorySeparatorChar, '.');
                var declared = NamespaceLine().Match(File.ReadAllText(file));
                if (!declared.Success)
                {
                    // Top-level programs and assembly attributes need no namespace.
                    continue;
                }
                if (declared.Groups[1].Value != expected)
                    problems.Add($"{Path.GetRelativePath(root, file)}: namespace {declared.Groups[1].Value}, expected {expected}");
            }
        }
        Assert.True(problems.Count == 0, $"{problems.Count} files declare another namespace than their folder's:\n{string.Join("\n", problems)}");
    }

    [GeneratedRegex(@"^namespace ([\w.]+)\s*[;{]", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();
}
