using Tessera.Memory;
using Tessera.Tests.Memory;

namespace Tessera.Tests.Reliability;

/// <summary>The size-class pool trims its cache by a high-water mark and an idle time, and reports it (issue 13, D12):
/// a working set that changes from phase to phase no longer leaves the blocks of every past phase reserved.</summary>
public class PoolTrimTests
{
    private const long MiB = 1 << 20;

    /// <summary>Six phases of 160 MiB live each, in blocks of a different size class per phase.</summary>
    private static void Phases(SizeClassPool pool)
    {
        foreach (long mib in new long[] { 16, 20, 24, 28, 40, 48 })
        {
            long size = mib * MiB;
            int count = (int)(160 * MiB / size);
            for (int step = 0; step < 3; step++)
            {
                var blocks = Enumerable.Range(0, count).Select(_ => pool.Rent(size)).ToList();
                foreach (var b in blocks) pool.Return(b);
            }
        }
    }

    [Fact]
    public void D12_a_working_set_that_changes_by_phase_stays_under_the_high_water_mark()
    {
        var raw = new FakeRaw();
        var pool = new SizeClassPool(raw, 64, "TestPool", "test memory");
        Phases(pool);
        var s = pool.Stats;
        Assert.True(s.ReservedBytes <= 2 * s.PeakBytes, $"reserved {s.ReservedBytes >> 20} MiB for a peak of {s.PeakBytes >> 20} MiB live");
        Assert.Equal(raw.InUse, s.ReservedBytes);
    }

    [Fact]
    public void D12_trims_are_reported_in_the_statistics()
    {
        var raw = new FakeRaw();
        var pool = new SizeClassPool(raw, 64, "TestPool", "test memory");
        Phases(pool);
        var s = pool.Stats;
        Assert.True(s.Trims > 0);
        Assert.True(s.TrimmedBytes >= s.Trims * 16 * MiB);
        Assert.Equal(s.Allocations - raw.Live.Count, s.Releases);
        Assert.Equal(s.ReservedBytes - s.CurrentBytes, s.CachedBytes);
    }

    [Fact]
    public void The_never_policy_keeps_every_block_as_before()
    {
        var raw = new FakeRaw();
        var pool = new SizeClassPool(raw, 64, "TestPool", "test memory") { TrimPolicy = PoolTrimPolicy.Never };
        Phases(pool);
        Assert.Equal(0, pool.Stats.Trims);
        Assert.True(pool.Stats.ReservedBytes > 5 * 160 * MiB);
    }

    [Fact]
    public void A_steady_loop_is_never_trimmed_and_always_hits_the_cache()
    {
        var raw = new FakeRaw();
        var pool = new SizeClassPool(raw, 64, "TestPool", "test memory") { TrimPolicy = new PoolTrimPolicy { MinHighWaterBytes = 0 } };
        long[] sizes = { 3 * MiB, 5 * MiB, 7 * MiB, 11 * MiB, 64 * 1024 };
        for (int step = 0; step < 100; step++)
        {
            var live = sizes.Select(b => pool.Rent(b)).ToList();
            foreach (var b in live) pool.Return(b);
        }
        var s = pool.Stats;
        Assert.Equal(0, s.Trims);
        Assert.Equal(sizes.Length, s.Allocations);
        Assert.Equal(99 * sizes.Length, s.CacheHits);
    }

    [Fact]
    public void Blocks_idle_longer_than_the_idle_time_go_back_at_the_next_operation()
    {
        var raw = new FakeRaw();
        var clock = new ManualClock();
        var pool = new SizeClassPool(raw, 64, "TestPool", "test memory", time: clock)
        {
            TrimPolicy = PoolTrimPolicy.Never with { IdleTime = TimeSpan.FromSeconds(10) },
        };
        pool.Return(pool.Rent(MiB));
        pool.Return(pool.Rent(2 * MiB));
        clock.Advance(TimeSpan.FromSeconds(6));
        pool.Return(pool.Rent(2 * MiB));      // used again: not idle
        clock.Advance(TimeSpan.FromSeconds(6));
        pool.Return(pool.Rent(4 * MiB));      // the 1 MiB block has been idle for 12 s
        var s = pool.Stats;
        Assert.Equal(1, s.Trims);
        Assert.Equal(MiB, s.TrimmedBytes);
        Assert.Equal(6 * MiB, s.ReservedBytes);
    }

    [Fact]
    public void Invalid_policies_are_refused()
    {
        var pool = new SizeClassPool(new FakeRaw(), 64, "TestPool", "test memory");
        Assert.Throws<TesseraArgumentException>(() => pool.TrimPolicy = new PoolTrimPolicy { HighWaterFactor = 0.5 });
        Assert.Throws<TesseraArgumentException>(() => pool.TrimPolicy = new PoolTrimPolicy { IdleTime = TimeSpan.Zero });
        Assert.Throws<TesseraArgumentException>(() => pool.MaxBytes = 0);
    }

    /// <summary>A clock the test advances by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan t) => _ticks += t.Ticks;
    }
}
