using Tessera.Bench;
using Tessera.Tests.ModelSuite;

namespace Tessera.Tests.Cli;

/// <summary><c>tessera bench --launches / --passes</c> end to end: the launches run as processes, their passes pooled
/// into one report; bad counts are one-line errors.</summary>
public class BenchLaunchesTests
{
    [Fact]
    public void LaunchesAndPassesArePooledIntoOneReport()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("tessera-launches").FullName, "r.json");
        var (exit, stdout, stderr) = TesseraCli.Run("bench", "--op", "relu", "--size", "small", "--threads", "1", "--no-baselines",
            "--budget-ms", "5", "--launches", "2", "--passes", "2", "--format", "json", "--out", file);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("launch 2/2", stderr);
        var report = BenchReport.FromJson(File.ReadAllText(file));
        Assert.Equal(2, report.Header.Launches);
        Assert.Equal(4, report.Header.Passes);
        var t = Assert.Single(report.Rows).Time!;
        Assert.Equal(4, t.PassMedians!.Count);
        Assert.Equal(t.Samples, t.SamplesMs.Count);
        Assert.InRange(t.Median, t.PassMedians.Min(), t.PassMedians.Max());
    }

    [Fact]
    public void BadCountsAreRefusedByName()
    {
        TesseraCli.AssertArgumentError("--passes", "bench", "--op", "relu", "--passes", "0");
        TesseraCli.AssertArgumentError("--launches", "bench", "--op", "relu", "--launches", "0");
        TesseraCli.AssertArgumentError("not --device all", "bench", "--op", "relu", "--launches", "2", "--device", "all");
    }
}
