using Tessera.Graph.Optimization;
using Tessera.Onnx.Testing;
using Tessera.Tests.Support;

namespace Tessera.Tests.Optimization;

/// <summary>The ONNX backend suites (Debian libonnx-testdata) give every selected case the same outcome at every
/// optimization level (ImportSuiteTests checks the outcomes themselves, at the default level All).</summary>
public class OnnxSuiteLevelTests
{
    private const string Root = "/usr/share/libonnx-testdata/data";

    [Theory]
    [InlineData("node")]
    [InlineData("pytorch-converted")]
    [InlineData("pytorch-operator")]
    [InlineData("simple")]
    public void Every_level_passes_the_same_cases(string suite)
    {
        string dir = Path.Combine(Root, suite);
        Requirement.Require(Directory.Exists(dir), $"ONNX test data not found at {dir} (Debian package libonnx-testdata)");
        var outcomes = new[] { OptimizationLevel.None, OptimizationLevel.Basic, OptimizationLevel.All }
            .Select(level => (Level: level, Cases: OnnxTestRunner.Run([dir], TestDevices.Cpu, optimization: level).Cases
                .ToDictionary(c => c.Name, c => $"{c.Status} {c.Detail}")))
            .ToArray();
        var all = outcomes[^1].Cases;
        Assert.NotEmpty(all);
        foreach (var (level, cases) in outcomes)
        {
            var differ = all.Keys.Where(n => cases.GetValueOrDefault(n) != all[n]).Select(n => $"{n}: {cases.GetValueOrDefault(n)} at {level}, {all[n]} at All");
            Assert.True(!differ.Any(), string.Join("\n", differ));
        }
    }
}
