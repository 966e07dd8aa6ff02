using Tessera.Bench;
using Tessera.Bench.Statistics;

namespace Tessera.Tests.Bench;

/// <summary>The bench's statistics: order-statistic intervals of the median, noise-based stopping, ratio verdicts.</summary>
public class StatisticsTests
{
    private static double[] Ascending(int n) => Enumerable.Range(1, n).Select(i => (double)i).ToArray();

    [Theory]
    // Tables of the distribution-free 95 % interval of the median: ranks (k+1, n−k).
    [InlineData(6, 1, 6)]
    [InlineData(10, 2, 9)]
    [InlineData(20, 6, 15)]
    [InlineData(50, 18, 33)]
    [InlineData(100, 40, 61)]
    public void MedianIntervalUsesTheBinomialRanks(int n, int lowRank, int highRank)
    {
        var (lo, hi) = SampleStatistics.MedianInterval(Ascending(n));
        Assert.Equal(lowRank, lo);
        Assert.Equal(highRank, hi);
    }

    [Fact]
    public void FewSamplesGiveTheirWholeRange() =>
        Assert.Equal((1.0, 5.0), SampleStatistics.MedianInterval(Ascending(5)));

    [Fact]
    public void QuantilesInterpolateBetweenOrderStatistics()
    {
        var x = Ascending(11); // 1..11: type 7 puts p10 at 2, the median at 6, p90 at 10
        Assert.Equal(2, SampleStatistics.Quantile(x, 0.1), 12);
        Assert.Equal(6, SampleStatistics.Quantile(x, 0.5), 12);
        Assert.Equal(10, SampleStatistics.Quantile(x, 0.9), 12);
    }

    [Fact]
    public void SummaryCarriesQuantilesIntervalAndSamples()
    {
        var samples = new[] { 5.0, 1, 4, 2, 3, 9, 6, 8, 7, 10 };
        var m = BenchTimer.Summarise(samples, 4);
        Assert.Equal(5.5, m.MedianMs);
        Assert.Equal(1.9, m.P10Ms, 12);
        Assert.Equal(9.1, m.P90Ms, 12);
        Assert.Equal((2.0, 9.0), (m.CiLowMs, m.CiHighMs));
        Assert.Equal(100 * 3.5 / 5.5, m.CiPct, 12);
        Assert.Equal(samples, m.SamplesMs);
        Assert.Equal(4, m.CallsPerSample);
    }

    [Fact]
    public void SamplingStopsAtTheMinimumOnceTheMedianIsPrecise()
    {
        // Any interval is within a 10^6 % target: the minimum sample count ends sampling.
        var m = BenchTimer.Measure(() => { }, new BenchOptions(WarmupMs: 0, RepeatMs: 10_000, MinWarmupCalls: 10, MinSamples: 12, TargetCiPct: 1e6));
        Assert.Equal(12, m.Samples);
    }

    [Fact]
    public void SamplingStopsWhenTheBudgetEndsIfNeverPreciseEnough()
    {
        // A zero target is never met: the 30 ms budget ends sampling, well before the sample cap (a million samples of
        // 0.05 ms would take a minute). How many samples fit in the budget depends on the machine's load, so only the
        // minimum is asserted.
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var m = BenchTimer.Measure(() => Thread.SpinWait(200), new BenchOptions(WarmupMs: 0, RepeatMs: 30, MinWarmupCalls: 10, MinSamples: 5,
            MaxSamples: 1_000_000, TargetCiPct: 0));
        Assert.True(m.Samples is >= 5 and < 1_000_000, $"{m.Samples} samples");
        Assert.True(sw.Elapsed.TotalMilliseconds < 10_000, $"took {sw.Elapsed.TotalMilliseconds} ms");
    }

    private static Measurement M(double median, double ciPct) =>
        new(median, median, median, 0, 20, 1, median, median, median * (1 - ciPct / 100), median * (1 + ciPct / 100), []);

    [Theory]
    [InlineData(1.0, 2.0, 1, 1, "faster")]   // the baseline takes twice as long: interval [1.96, 2.04]
    [InlineData(2.0, 1.0, 1, 1, "slower")]
    [InlineData(1.0, 1.01, 1, 1, "same")]    // [0.99, 1.03] holds 1
    [InlineData(1.0, 2.0, 8, 1, "noisy")]    // Tessera's median known to ±8 % only (limit 5 %)
    [InlineData(1.0, 2.0, 1, 8, "noisy")]
    public void RatioVerdictClaimsAWinnerOnlyWhenTheIntervalExcludesOne(double ours, double theirs, double oursCi, double theirsCi, string verdict)
    {
        var v = RatioVerdict.Judge(M(ours, oursCi), M(theirs, theirsCi), noiseLimitPct: 5);
        Assert.Equal(verdict, v.Verdict);
        Assert.Equal(theirs / ours, v.Ratio, 12);
        Assert.True(v.Low <= v.Ratio && v.Ratio <= v.High);
    }

    [Fact]
    public void RatioTextShowsApproximatelyEqualAndNoisy()
    {
        Assert.Equal("1.23", RatioVerdict.Format(1.234, RatioVerdict.Faster));
        Assert.Equal("≈1.02", RatioVerdict.Format(1.02, RatioVerdict.Same));
        Assert.Equal("0.50?", RatioVerdict.Format(0.5, RatioVerdict.Noisy));
    }
}
