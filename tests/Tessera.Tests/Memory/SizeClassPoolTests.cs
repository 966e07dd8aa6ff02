using Tessera.Memory;

namespace Tessera.Tests.Memory;

/// <summary>The size-class pool the host and OpenCL pools share, over a fake raw allocator.</summary>
public sealed class SizeClassPoolTests
{
    private static SizeClassPool Pool(FakeRaw raw, long minClass = 64) => new(raw, minClass, "TestPool", "test memory");

    [Theory]
    [InlineData(0, 256, 256)]
    [InlineData(256, 256, 256)]
    [InlineData(257, 256, 512)]
    [InlineData(1000, 256, 1024)]
    [InlineData(1025, 256, 1280)]
    [InlineData(4097, 64, 5120)]
    [InlineData(9000, 64, 10240)]
    [InlineData((1L << 30) + 1, 64, (1L << 30) + (1L << 28))]
    public void ClassesAreTheRequestRoundedToAnEighthOfItsPowerOfTwo(long request, long minClass, long expected)
    {
        long size = SizeClassPool.SizeClass(request, minClass);
        Assert.Equal(expected, size);
        // At most a quarter wasted, except below one granule of the smallest class.
        Assert.True(size >= request && (size <= request + request / 4 || size - request <= minClass), $"{request} → {size}");
        Assert.Equal(0, size % minClass);
    }

    [Fact]
    public void AReturnedBlockServesTheNextRequestOfItsClassAndStream()
    {
        var raw = new FakeRaw();
        var pool = Pool(raw);
        var a = pool.Rent(1000, stream: 1);
        Assert.True(a.Fresh);
        Assert.Equal(1024, a.Size);
        pool.Return(a);
        var other = pool.Rent(1000, stream: 2);           // another stream may still be using a: never handed over
        Assert.NotEqual(a.Address, other.Address);
        var b = pool.Rent(1001, stream: 1);               // same class, same stream
        Assert.Equal(a.Address, b.Address);
        Assert.False(b.Fresh);
        var c = pool.Rent(2000, stream: 1);               // another class
        Assert.NotEqual(a.Address, c.Address);
        Assert.Equal(3, raw.Calls);
    }

    [Fact]
    public void StatsCountLeasesHitsAndReservations()
    {
        var raw = new FakeRaw();
        var pool = Pool(raw);
        var a = pool.Rent(4096);
        var b = pool.Rent(4096);
        pool.Return(a);
        var c = pool.Rent(4000);
        var s = pool.Stats;
        Assert.Equal(new Tessera.Devices.MemoryPoolStats(CurrentBytes: 8192, PeakBytes: 8192, ReservedBytes: 8192, Allocations: 2,
            Rents: 3, CacheHits: 1, Releases: 0), s);
        pool.Return(b);
        pool.Return(c);
        Assert.Equal(0, pool.Stats.CurrentBytes);
        Assert.Equal(8192, pool.Stats.PeakBytes);
        pool.ResetPeak();
        Assert.Equal(0, pool.Stats.PeakBytes);
        pool.ReleaseCached();
        Assert.Equal(0, pool.Stats.ReservedBytes);
        Assert.Equal(2, pool.Stats.Releases);
        Assert.Empty(raw.Live);
    }

    [Fact]
    public void OutOfMemoryReleasesTheCacheAndRetriesOnce()
    {
        var raw = new FakeRaw { Capacity = 3 * 1024 };
        bool released = false;
        var pool = new SizeClassPool(raw, 64, "TestPool", "test memory", () => released = true);
        var a = pool.Rent(1024);
        var b = pool.Rent(1024);
        pool.Return(a);                                   // cached: 1 KiB in use, 2 KiB reserved
        var big = pool.Rent(2048);                        // does not fit beside the cache: release it, retry
        Assert.True(released);
        Assert.True(big.Fresh);
        Assert.Equal(1, raw.Failures);
        Assert.Equal(1, pool.Stats.Releases);
        Assert.Equal(3 * 1024, pool.Stats.ReservedBytes);
        pool.Return(big);
        pool.Return(b);
    }

    [Fact]
    public void OutOfMemoryAfterTheRetryIsATesseraError()
    {
        var raw = new FakeRaw { Capacity = 1024 };
        var pool = Pool(raw);
        var a = pool.Rent(1024);
        int calls = raw.Calls;
        var e = Assert.Throws<TesseraOutOfMemoryException>(() => pool.Rent(64));
        Assert.Equal(calls + 2, raw.Calls);               // the request, then one retry after the release
        Assert.Contains("TestPool.Rent", e.Message);
        Assert.Contains("64 bytes of test memory", e.Message);
        Assert.Equal(1024, pool.Stats.CurrentBytes);      // the live lease is untouched
        pool.Return(a);
        Assert.Throws<TesseraArgumentException>(() => pool.Rent(-1));
    }

    [Fact]
    public void ARetiredStreamsCacheServesAnotherStream()
    {
        var raw = new FakeRaw();
        var pool = Pool(raw);
        var a = pool.Rent(512, stream: 7);
        pool.Return(a);
        pool.MoveCached(7, 0);
        Assert.Equal(a.Address, pool.Rent(512, stream: 0).Address);
        Assert.Equal(1, raw.Calls);
    }

    [Fact]
    public void ConcurrentLeasesAreCountedExactly()
    {
        var raw = new LockedRaw();
        var pool = new SizeClassPool(raw, 64, "TestPool", "test memory");
        Parallel.For(0, 8, t =>
        {
            for (int i = 0; i < 500; i++)
            {
                var x = pool.Rent(64 * (1 + (i + t) % 5), stream: t % 2);
                pool.Return(x);
            }
        });
        var s = pool.Stats;
        Assert.Equal(0, s.CurrentBytes);
        Assert.Equal(4000, s.Rents);
        Assert.Equal(s.Rents - s.Allocations, s.CacheHits);
        Assert.Equal(raw.Reserved, s.ReservedBytes);
    }

    /// <summary>A thread-safe raw allocator (the fake one is not).</summary>
    private sealed class LockedRaw : IRawAllocator
    {
        private readonly object _gate = new();
        private ulong _next = 0x1000;
        public long Reserved;

        public bool TryAllocate(long bytes, out ulong address)
        {
            lock (_gate)
            {
                address = _next;
                _next += (ulong)bytes;
                Reserved += bytes;
                return true;
            }
        }

        public void Free(ulong address) { }

        public long DeviceFreeBytes => -1;
    }
}
