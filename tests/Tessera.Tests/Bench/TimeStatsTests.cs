using Tessera.Bench;

namespace Tessera.Tests.Bench;

/// <summary>The statistics and the warm-up that <c>tessera run --repeat</c> and <c>tessera compare</c> report.</summary>
public class TimeStatsTests
{
    [Fact]
    public void Percentiles_interpolate_like_numpy()
    {
        var t = TimeStats.Of([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);   // numpy.percentile(range(1, 11), [10, 50, 90]) = 1.9, 5.5, 9.1
        Assert.Equal(1.9, t.P10, 12);
        Assert.Equal(5.5, t.Median, 12);
        Assert.Equal(9.1, t.P90, 12);
        Assert.Equal((1.0, 10.0, 10), (t.Min, t.Max, t.Samples));
        Assert.Equal(3.0, TimeStats.Of([3]).P90);
        Assert.Throws<TesseraArgumentException>(() => TimeStats.Of([]));
    }

    [Fact]
    public void Warm_up_makes_the_minimum_of_calls_and_lasts_the_minimum_time()
    {
        int calls = 0;
        var w = BenchTimer.WarmUp(() => { calls++; Thread.Sleep(1); }, new BenchOptions(WarmupMs: 150, MinWarmupCalls: 60));
        Assert.Equal(calls, w.Calls);
        Assert.True(w.Calls >= 60 && w.Ms >= 150, $"{w}");
        int fast = BenchTimer.WarmUp(() => { }, new BenchOptions(WarmupMs: 0, MinWarmupCalls: 60)).Calls;
        Assert.Equal(60, fast);
        // A long minimum time stops at a thousand times the minimum of calls, or at MaxWarmupCalls.
        Assert.Equal(2000, BenchTimer.WarmUp(() => { }, new BenchOptions(WarmupMs: 60_000, MinWarmupCalls: 2)).Calls);
        Assert.Equal(5, BenchTimer.WarmUp(() => { }, new BenchOptions(WarmupMs: 60_000, MinWarmupCalls: 2, MaxWarmupCalls: 5)).Calls);
    }

    [Fact]
    public void Warm_up_of_a_slow_call_stops_at_its_time_limit()
    {
        var w = BenchTimer.WarmUp(() => Thread.Sleep(10), new BenchOptions(WarmupMs: 0, MinWarmupCalls: 60, MaxWarmupMs: 50));
        Assert.True(w.Calls is >= 1 and < 20 && w.Ms >= 50, $"{w}");
        Assert.True(BenchOptions.Model is { MinWarmupCalls: 60, WarmupMs: 1000 });
    }
}
