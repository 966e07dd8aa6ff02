using Tessera.Bench;

namespace Tessera.Tests.Bench;

public class BenchTimerTests
{
    [Fact]
    public void SummaryStatisticsAreExact()
    {
        var m = BenchTimer.Summarise(new[] { 3.0, 1.0, 2.0, 10.0 });
        Assert.Equal(2.5, m.MedianMs);
        Assert.Equal(1.0, m.MinMs);
        Assert.Equal(10.0, m.MaxMs);
        // mean 4, sample stddev sqrt(((1)+(9)+(4)+(36))/3) = sqrt(50/3)
        Assert.Equal(100 * Math.Sqrt(50.0 / 3) / 4, m.NoisePct, 9);
    }

    [Fact]
    public void WarmsUpAtLeastSixtyCallsBeforeTiming()
    {
        int calls = 0;
        var m = BenchTimer.Measure(() => calls++, new BenchOptions(WarmupMs: 0, RepeatMs: 1, MinWarmupCalls: 60, MinSamples: 5));
        Assert.True(calls >= 60 + 5 * m.CallsPerSample, $"only {calls} calls");
        Assert.True(m.Samples >= 5);
    }

    [Fact]
    public void RejectsEmptySamples() =>
        Assert.Throws<TesseraArgumentException>(() => BenchTimer.Summarise(Array.Empty<double>()));
}
