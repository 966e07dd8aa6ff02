using Tessera.Tests.Support;
using Tessera.Cpu;

namespace Tessera.Tests.Core;

public class MemoryPoolTests
{
    [Fact]
    public unsafe void BlocksAreAlignedAndCachedBySizeClass()
    {
        var pool = new CpuMemoryPool();
        var a = pool.Rent(1000);
        Assert.Equal(0, a.Handle % 64);
        nint first = a.Handle;
        a.Dispose();
        var b = pool.Rent(1001); // same size class
        Assert.Equal(first, b.Handle);
        var s = pool.Stats;
        Assert.Equal(1, s.Allocations);
        Assert.Equal(2, s.Rents);
        Assert.Equal(1, s.CacheHits);
        Assert.Equal(CpuMemoryPool.SizeClass(1001), s.CurrentBytes);
        b.Dispose();
        Assert.Equal(0, pool.Stats.CurrentBytes);
        pool.ReleaseCached();
        Assert.Equal(0, pool.Stats.ReservedBytes);
        Assert.Equal(1, pool.Stats.Releases);
    }

    [Theory]
    [InlineData(0, 64)]
    [InlineData(64, 64)]
    [InlineData(65, 128)]
    [InlineData(1000, 1024)]
    [InlineData(1025, 1280)]
    [InlineData(4097, 5120)]
    public void SizeClassesWasteAtMostAQuarter(long request, long expected)
    {
        Assert.Equal(expected, CpuMemoryPool.SizeClass(request));
    }

    [Fact]
    public void PeakTracksHighWaterMark()
    {
        var pool = new CpuMemoryPool();
        var a = pool.Rent(4096);
        var b = pool.Rent(4096);
        a.Dispose();
        b.Dispose();
        Assert.Equal(8192, pool.Stats.PeakBytes);
        Assert.Equal(0, pool.Stats.CurrentBytes);
        Assert.Equal(8192, pool.Stats.ReservedBytes);
        pool.Dispose();
    }

    [Fact]
    public void AbsurdRequestIsRefusedBeforeAllocation()
    {
        var pool = new CpuMemoryPool();
        var ex = Assert.Throws<TesseraOutOfMemoryException>(() => pool.Rent(1L << 50));
        Assert.Contains("CpuMemoryPool.Rent", ex.Message);
        Assert.Throws<TesseraArgumentException>(() => pool.Rent(-1));
        Assert.Equal(0, pool.Stats.Allocations);
    }

    [Fact]
    public void CpuEventsMeasureWallClock()
    {
        var dev = TestDevices.Cpu;
        var e0 = dev.CreateEvent(true);
        var e1 = dev.CreateEvent(true);
        e0.Record(dev.DefaultStream);
        Thread.Sleep(20);
        e1.Record(dev.DefaultStream);
        Assert.True(e1.IsCompleted);
        Assert.InRange(e1.ElapsedMillisecondsSince(e0), 15, 5000);
    }
}
