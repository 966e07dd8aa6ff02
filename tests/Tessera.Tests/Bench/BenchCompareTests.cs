using Tessera.Bench;
using Tessera.Bench.Compare;

namespace Tessera.Tests.Bench;

/// <summary><c>tessera bench compare</c>'s judgement on synthetic reports whose samples are known.</summary>
public class BenchCompareTests
{
    private static double[] Noisy(double median, int n, int seed)
    {
        var rng = new Random(seed);
        // Right-skewed timing noise of about ±2 %, as a quiet machine gives.
        return Enumerable.Range(0, n).Select(_ => median * (1 + 0.02 * (rng.NextDouble() - 0.5) + 0.01 * Math.Pow(rng.NextDouble(), 4))).ToArray();
    }

    private static TimeStats Stats(double[] samples) => TimeStats.From(BenchTimer.Summarise(samples));

    private static BenchReport Report(string machine, string commit, params (string Op, double[] Ours, double[] Baseline)[] rows)
    {
        var header = new BenchHeader("cpu0", "cpu", new Dictionary<string, string> { ["onnxruntime"] = "1.31.1" }, 1, "small", false, null,
            DateTime.UnixEpoch, []) { Machine = machine, Commit = commit };
        return new BenchReport(header, rows.Select(r => new BenchRow(r.Op, "64", "f32", "fwd", Stats(r.Ours), 1, 1, 1, 1, 1, null, null,
            [new BaselineResult("TensorPrimitives.Add", Stats(r.Baseline).Median, null, null) { Stats = Stats(r.Baseline) }], true, "")).ToList());
    }

    [Fact]
    public void TwoRunsOfTheSameDistributionShowNoSignificantChange()
    {
        var a = Report("m", "c1", ("add", Noisy(1.0, 60, 1), Noisy(2.0, 60, 2)), ("relu", Noisy(0.5, 60, 3), Noisy(0.7, 60, 4)));
        var b = Report("m", "c1", ("add", Noisy(1.0, 60, 5), Noisy(2.0, 60, 6)), ("relu", Noisy(0.5, 60, 7), Noisy(0.7, 60, 8)));
        var cmp = BenchComparison.Compare(a, b);
        Assert.Empty(cmp.Differences);
        Assert.Equal(4, cmp.Changes.Count);
        Assert.All(cmp.Changes, c => Assert.Equal(BenchComparison.Same, c.Verdict));
        Assert.Empty(cmp.Regressions);
    }

    [Fact]
    public void ASlowedRowIsSlowerAndARegression()
    {
        var a = Report("m", "c1", ("add", Noisy(1.0, 40, 1), Noisy(2.0, 40, 2)), ("relu", Noisy(0.5, 40, 3), Noisy(0.7, 40, 4)));
        var b = Report("m", "c2", ("add", Noisy(1.3, 40, 5), Noisy(2.0, 40, 6)), ("relu", Noisy(0.4, 40, 7), Noisy(0.7, 40, 8)));
        var cmp = BenchComparison.Compare(a, b, thresholdPct: 5);
        var add = cmp.Changes.Single(c => c.IsTessera && c.Row.StartsWith("add", StringComparison.Ordinal));
        Assert.Equal(BenchComparison.Slower, add.Verdict);
        Assert.InRange(add.Change, 0.25, 0.35);
        Assert.True(add.ChangeLow > 0 && add.PValue < 0.01);
        Assert.Equal(BenchComparison.Faster, cmp.Changes.Single(c => c.IsTessera && c.Row.StartsWith("relu", StringComparison.Ordinal)).Verdict);
        Assert.Equal(add, Assert.Single(cmp.Regressions));
        // The commit differs between the runs and is said.
        Assert.Contains(cmp.Differences, d => d.StartsWith("commit", StringComparison.Ordinal));
    }

    [Fact]
    public void AChangeWithinTheThresholdIsNotClaimed()
    {
        // 2 % slower with little noise: significant to a rank test, but inside a 5 % threshold.
        var a = Report("m", "c", ("add", Noisy(1.00, 80, 1), Noisy(2.0, 80, 2)));
        var b = Report("m", "c", ("add", Noisy(1.02, 80, 3), Noisy(2.0, 80, 4)));
        Assert.Equal(BenchComparison.Same, BenchComparison.Compare(a, b, thresholdPct: 5).Changes.First(c => c.IsTessera).Verdict);
        Assert.Equal(BenchComparison.Slower, BenchComparison.Compare(a, b, thresholdPct: 0).Changes.First(c => c.IsTessera).Verdict);
    }

    [Fact]
    public void DifferentMachinesAndVersionsAreSaidAndUnmatchedRowsListed()
    {
        var a = Report("host-a, CPU X", "c", ("add", Noisy(1, 20, 1), Noisy(2, 20, 2)));
        var b = Report("host-b, CPU Y", "c", ("relu", Noisy(1, 20, 3), Noisy(2, 20, 4))) with { };
        var cmp = BenchComparison.Compare(a, b);
        Assert.Contains(cmp.Differences, d => d.StartsWith("machine: A host-a", StringComparison.Ordinal));
        Assert.Empty(cmp.Changes);
        Assert.Single(cmp.OnlyInA);
        Assert.Single(cmp.OnlyInB);
    }

    [Fact]
    public void AMedianItsRunCouldNotPinDownIsNotCompared()
    {
        // B's samples alternate between 1 and 3 ms (a busy machine): its median's interval is far wider than ±5 %.
        var bursty = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? 1.0 : 3.0).ToArray();
        var a = Report("m", "c", ("add", Noisy(1, 40, 1), Noisy(2, 40, 2)));
        var b = Report("m", "c", ("add", bursty, Noisy(2, 40, 3)));
        a = a with { Header = a.Header with { NoiseLimitPct = 5 } };
        b = b with { Header = b.Header with { NoiseLimitPct = 5 } };
        var cmp = BenchComparison.Compare(a, b);
        Assert.Equal(BenchComparison.Noisy, cmp.Changes.Single(c => c.IsTessera).Verdict);
        Assert.Empty(cmp.Regressions);
        Assert.Equal(BenchComparison.Same, cmp.Changes.Single(c => !c.IsTessera).Verdict);
    }

    [Fact]
    public void SamplesSurviveTheJsonReport()
    {
        var a = Report("m", "c", ("add", Noisy(1, 30, 1), Noisy(2, 30, 2)));
        var back = BenchReport.FromJson(a.ToJson());
        Assert.Equal(a.Rows[0].Time!.SamplesMs.Count, back.Rows[0].Time!.SamplesMs.Count);
        Assert.Equal(a.Rows[0].Baselines[0].Stats!.SamplesMs, back.Rows[0].Baselines[0].Stats!.SamplesMs);
        Assert.Equal("c", back.Header.Commit);
    }

    [Fact]
    public void BadThresholdIsRefusedByName()
    {
        var a = Report("m", "c", ("add", Noisy(1, 20, 1), Noisy(2, 20, 2)));
        var e = Assert.Throws<TesseraArgumentException>(() => BenchComparison.Compare(a, a, thresholdPct: -1));
        Assert.Contains("--threshold", e.Message);
    }
}
