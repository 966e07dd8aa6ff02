using Tessera.Memory;

namespace Tessera.Tests.Memory;

/// <summary>A raw allocator with a capacity; addresses are spaced so that segments never touch.</summary>
internal sealed class FakeRaw : IRawAllocator
{
    private ulong _next = 0x1000_0000;
    public readonly Dictionary<ulong, long> Live = new();
    public long Capacity = long.MaxValue;
    public int Calls, Frees, Failures;
    public long InUse => Live.Values.Sum();

    public bool TryAllocate(long bytes, out ulong address)
    {
        Calls++;
        if (InUse + bytes > Capacity) { Failures++; address = 0; return false; }
        address = _next;
        _next += (ulong)bytes + (1UL << 30);
        Live.Add(address, bytes);
        return true;
    }

    public void Free(ulong address)
    {
        Assert.True(Live.Remove(address), $"raw free of unknown 0x{address:x}");
        Frees++;
    }

    public long DeviceFreeBytes => Capacity == long.MaxValue ? -1 : Capacity - InUse;
}

internal sealed class FakeEvent : IAllocatorEvent
{
    public bool Done;
    public bool Disposed;
    public long Stream;
    public bool IsComplete => Done;
    public void Synchronize() => Done = true;
    public void Dispose() => Disposed = true;
}

internal sealed class FakeEvents : IAllocatorEventSource
{
    public readonly List<FakeEvent> Recorded = new();
    public IAllocatorEvent Record(long streamId)
    {
        var e = new FakeEvent { Stream = streamId };
        Recorded.Add(e);
        return e;
    }
}

public sealed class CachingAllocatorTests
{
    private const long MiB = 1L << 20;

    [Theory]
    [InlineData(0, 512)]
    [InlineData(1, 512)]
    [InlineData(512, 512)]
    [InlineData(513, 1024)]
    [InlineData(1_000_000, 1_000_448)]
    public void RoundSize_IsMultipleOf512(long bytes, long expected) => Assert.Equal(expected, CachingAllocator.RoundSize(bytes));

    [Theory]
    [InlineData(512, 2 * MiB)]
    [InlineData(MiB, 2 * MiB)]
    [InlineData(MiB + 512, 20 * MiB)]
    [InlineData(10 * MiB - 512, 20 * MiB)]
    [InlineData(10 * MiB, 10 * MiB)]
    [InlineData(10 * MiB + 512, 12 * MiB)]
    [InlineData(100 * MiB + 1024, 102 * MiB)]
    public void SegmentSize_FollowsPools(long rounded, long expected) => Assert.Equal(expected, CachingAllocator.SegmentSize(rounded));

    [Fact]
    public void SmallRequests_ShareOneSmallSegment()
    {
        var raw = new FakeRaw();
        using var a = new CachingAllocator(raw);
        var b1 = a.Allocate(1000);
        var b2 = a.Allocate(3000);
        Assert.Equal(1, raw.Calls);
        Assert.Equal(1024, b1.Size);
        Assert.Equal(3072, b2.Size);
        Assert.Equal(b1.Address + 1024, b2.Address);
        var seg = Assert.Single(a.Snapshot());
        Assert.Equal("small", seg.Pool);
        Assert.Equal(2 * MiB, seg.Size);
        Assert.Equal(3, seg.Blocks.Count);
        Assert.Equal(BlockState.Free, seg.Blocks[2].State);
        Assert.Equal(2 * MiB - 4096, seg.Blocks[2].Size);
    }

    [Fact]
    public void IsLive_KnowsTheBlocksHandedOutAndNothingElse()
    {
        var raw = new FakeRaw();
        using var a = new CachingAllocator(raw);
        var b1 = a.Allocate(1000);
        var b2 = a.Allocate(3000);
        Assert.True(a.IsLive(b1.Address));
        Assert.True(a.IsLive(b2.Address));
        Assert.False(a.IsLive(b1.Address + 8));     // inside a block, not its start
        Assert.False(a.IsLive(b2.Address + 3072));  // the free remainder of the segment
        a.Free(b1);
        Assert.False(a.IsLive(b1.Address));
    }

    [Fact]
    public void LargeRequest_GetsTwentyMiBSegment_RemainderSplitOff()
    {
        var raw = new FakeRaw();
        using var a = new CachingAllocator(raw);
        var b = a.Allocate(3 * MiB);
        var seg = Assert.Single(a.Snapshot());
        Assert.Equal("large", seg.Pool);
        Assert.Equal(20 * MiB, seg.Size);
        Assert.Equal(2, seg.Blocks.Count);
        Assert.Equal(3 * MiB, b.Size);
        var c = a.Allocate(5 * MiB);
        Assert.Equal(1, raw.Calls);
        Assert.Equal(b.Address + (ulong)(3 * MiB), c.Address);
    }

    [Fact]
    public void LargePool_RemainderOfAtMostOneMiB_IsNotSplit()
    {
        var raw = new FakeRaw();
        using var a = new CachingAllocator(raw);
        var big = a.Allocate(12 * MiB);                   // exact 12 MiB segment
        a.Free(big);
        var b = a.Allocate(11 * MiB + 512);               // leaves 1 MiB - 512: kept in the block
        Assert.Equal(12 * MiB, b.Size);
        Assert.Single(Assert.Single(a.Snapshot()).Blocks);
    }

    [Fact]
    public void Free_ThenSameSize_IsCacheHit_WithSameAddress()
    {
        var raw = new FakeRaw();
        using var a = new CachingAllocator(raw);
        var b = a.Allocate(4096);
        a.Free(b);
        var c = a.Allocate(4000);
        Assert.Equal(b.Address, c.Address);
        Assert.Equal(1, raw.Calls);
        Assert.Equal(1, a.Stats.CacheHits);
        Assert.Equal(1, a.Stats.RawAllocations);
    }

    [Fact]
    public void BestFit_PicksSmallestSufficientFreeBlock()
    {
        var raw = new FakeRaw();
        using var a = new CachingAllocator(raw);
        var x = a.Allocate(8192);
        var sep1 = a.Allocate(512);
        var y = a.Allocate(2048);
        var sep2 = a.Allocate(512);
        a.Free(x);
        a.Free(y);
        var z = a.Allocate(1500);                         // 2048 fits better than 8192 or the tail
        Assert.Equal(y.Address, z.Address);
        Assert.Equal(1536, z.Size);
        GC.KeepAlive(sep1); GC.KeepAlive(sep2);
    }

    [Fact]
    public void Free_MergesBothNeighbours_BackToOneBlock()
    {
        var raw = new FakeRaw();
        using var a = new CachingAllocator(raw);
        var b1 = a.Allocate(1024);
        var b2 = a.Allocate(1024);
        var b3 = a.Allocate(1024);
        a.Free(b1);
        a.Free(b3);                                       // merges with the tail
        Assert.Equal(3, Assert.Single(a.Snapshot()).Blocks.Count);
        a.Free(b2);                                       // merges with both sides
        var seg = Assert.Single(a.Snapshot());
        var only = Assert.Single(seg.Blocks);
        Assert.Equal(2 * MiB, only.Size);
        Assert.Equal(BlockState.Free, only.State);
    }

    [Fact]
    public void BlocksOfDifferentSegments_NeverMerge()
    {
        var raw = new FakeRaw();
        using var a = new CachingAllocator(raw);
        var b1 = a.Allocate(2 * MiB - 512 > MiB ? MiB : MiB);
        var b2 = a.Allocate(MiB);
        var b3 = a.Allocate(MiB);                         // third 1 MiB: second segment
        Assert.Equal(2, raw.Calls);
        a.Free(b1); a.Free(b2); a.Free(b3);
        var segs = a.Snapshot();
        Assert.Equal(2, segs.Count);
        Assert.All(segs, s => Assert.Single(s.Blocks));
    }

    [Fact]
    public void ReleaseCached_ReturnsOnlyWhollyFreeSegments()
    {
        var raw = new FakeRaw();
        using var a = new CachingAllocator(raw);
        var keep = a.Allocate(4096);
        var big = a.Allocate(30 * MiB);
        a.Free(big);
        a.ReleaseCached();
        Assert.Equal(1, raw.Frees);
        Assert.Single(raw.Live);
        Assert.Equal(2 * MiB, a.Stats.ReservedBytes);
        Assert.Equal(1, a.Stats.Releases);
        a.Free(keep);
        a.ReleaseCached();
        Assert.Empty(raw.Live);
        Assert.Equal(0, a.Stats.ReservedBytes);
        Assert.Equal(0, a.Stats.Segments);
    }

    [Fact]
    public void Stats_TrackCurrentAndPeak()
    {
        var raw = new FakeRaw();
        using var a = new CachingAllocator(raw);
        var x = a.Allocate(1000);
        var y = a.Allocate(12 * MiB);
        Assert.Equal(1024 + 12 * MiB, a.Stats.AllocatedBytes);
        Assert.Equal(2 * MiB + 12 * MiB, a.Stats.ReservedBytes);
        a.Free(y);
        var s = a.Stats;
        Assert.Equal(1024, s.AllocatedBytes);
        Assert.Equal(1024 + 12 * MiB, s.PeakAllocatedBytes);
        Assert.Equal(14 * MiB, s.PeakReservedBytes);
        Assert.Equal(2, s.Segments);
        Assert.Equal(2, s.RawAllocations);
        Assert.Equal(2, s.Allocations);
        Assert.Equal(1, s.Frees);
        a.ResetPeaks();
        Assert.Equal(1024, a.Stats.PeakAllocatedBytes);
        a.Free(x);
    }

    [Fact]
    public void Streams_FreeBlockIsReusedOnlyOnItsOwnStream()
    {
        var raw = new FakeRaw();
        using var a = new CachingAllocator(raw);
        var s1 = a.Allocate(4096, streamId: 1);
        a.Free(s1);
        var s2 = a.Allocate(4096, streamId: 2);
        Assert.NotEqual(s1.Address, s2.Address);
        Assert.Equal(2, raw.Calls);                       // a segment of its own for stream 2
        var again = a.Allocate(4096, streamId: 1);
        Assert.Equal(s1.Address, again.Address);
    }

    [Fact]
    public void RecordStream_DelaysReuseUntilEventCompletes()
    {
        var raw = new FakeRaw();
        var ev = new FakeEvents();
        using var a = new CachingAllocator(raw, ev);
        var b = a.Allocate(1 << 16, streamId: 1);
        a.RecordStream(b, 2);
        a.Free(b);
        var e = Assert.Single(ev.Recorded);
        Assert.Equal(2, e.Stream);
        Assert.Contains(a.Snapshot()[0].Blocks, x => x.State == BlockState.PendingFree && x.Address == b.Address);
        var c = a.Allocate(1 << 16, streamId: 1);         // not yet: another block
        Assert.NotEqual(b.Address, c.Address);
        e.Done = true;
        var d = a.Allocate(1 << 16, streamId: 1);         // event complete: the block is back
        Assert.Equal(b.Address, d.Address);
        Assert.True(e.Disposed);
        Assert.Equal(0, a.Stats.PendingEvents);
    }

    [Fact]
    public void ForgetStream_FreeAfterTheStreamIsGone_RecordsOnlyOnLiveStreams()
    {
        var ev = new FakeEvents();
        using var a = new CachingAllocator(new FakeRaw(), ev);
        var b = a.Allocate(1 << 16, streamId: 1);
        a.RecordStream(b, 2);
        a.RecordStream(b, 3);
        a.ForgetStream(2);                                // stream 2 synchronised and destroyed
        a.Free(b);
        var e = Assert.Single(ev.Recorded);
        Assert.Equal(3, e.Stream);
        e.Done = true;
        Assert.Equal(b.Address, a.Allocate(1 << 16, streamId: 1).Address);

        var c = a.Allocate(100, streamId: 1);
        a.RecordStream(c, 4);
        a.ForgetStream(4);                                // the only other stream: the free is immediate
        a.Free(c);
        Assert.Single(ev.Recorded);
        Assert.Equal(c.Address, a.Allocate(100, streamId: 1).Address);
    }

    [Fact]
    public void RecordStream_OnOwnStream_RecordsNoEvent()
    {
        var ev = new FakeEvents();
        using var a = new CachingAllocator(new FakeRaw(), ev);
        var b = a.Allocate(100, 3);
        a.RecordStream(b, 3);
        a.Free(b);
        Assert.Empty(ev.Recorded);
        Assert.Equal(b.Address, a.Allocate(100, 3).Address);
    }

    [Fact]
    public void RecordStream_WithoutEventSource_Throws()
    {
        using var a = new CachingAllocator(new FakeRaw());
        var b = a.Allocate(100, 1);
        var ex = Assert.Throws<TesseraArgumentException>(() => a.RecordStream(b, 2));
        Assert.Contains("event source", ex.Message);
    }

    [Fact]
    public void PendingBlock_DoesNotMergeUntilComplete()
    {
        var ev = new FakeEvents();
        using var a = new CachingAllocator(new FakeRaw(), ev);
        var b1 = a.Allocate(1024, 1);
        var b2 = a.Allocate(1024, 1);
        a.RecordStream(b1, 5);
        a.Free(b1);
        a.Free(b2);
        Assert.Equal(2, a.Snapshot()[0].Blocks.Count);    // b1 pending; b2 merged with the tail
        a.ReleaseCached();                                // waits for the event, merges, releases
        Assert.Empty(a.Snapshot());
    }

    [Fact]
    public void OutOfMemory_ReleasesCacheAndRetries()
    {
        var raw = new FakeRaw { Capacity = 40 * MiB };
        using var a = new CachingAllocator(raw);
        var x = a.Allocate(30 * MiB);
        a.Free(x);                                        // 30 MiB cached
        var y = a.Allocate(12 * MiB);                     // fits in the cached block: no raw call
        a.Free(y);
        var z = a.Allocate(35 * MiB);                     // needs the cache released first
        Assert.Equal(1, raw.Failures);
        Assert.Equal(1, a.Stats.OutOfMemoryRetries);
        Assert.Equal(1, a.Stats.Releases);
        Assert.Single(raw.Live);
        Assert.Equal(36 * MiB, z.Size);
    }

    [Fact]
    public void OutOfMemory_AfterRetry_ThrowsWithFigures()
    {
        var raw = new FakeRaw { Capacity = 30 * MiB };
        using var a = new CachingAllocator(raw);
        var held = a.Allocate(20 * MiB);
        var ex = Assert.Throws<TesseraOutOfMemoryException>(() => a.Allocate(16 * MiB));
        Assert.Contains("requested 16 MiB", ex.Message);
        Assert.Contains("reserved by the pool 20 MiB", ex.Message);
        Assert.Contains("allocated 20 MiB", ex.Message);
        Assert.Contains("device free 10 MiB", ex.Message);
        Assert.Equal(2, raw.Failures);
        a.Free(held);
    }

    [Fact]
    public void OutOfMemory_WaitsForPendingFreesBeforeFailing()
    {
        var raw = new FakeRaw { Capacity = 20 * MiB };
        var ev = new FakeEvents();
        using var a = new CachingAllocator(raw, ev);
        var b = a.Allocate(12 * MiB, 1);
        a.RecordStream(b, 2);
        a.Free(b);
        var c = a.Allocate(12 * MiB, 1);                  // raw fails; synchronising the event frees b
        Assert.Equal(b.Address, c.Address);
        Assert.True(ev.Recorded[0].Done);
    }

    [Fact]
    public void DoubleFree_IsRejected()
    {
        using var a = new CachingAllocator(new FakeRaw());
        var b = a.Allocate(100);
        a.Free(b);
        var ex = Assert.Throws<TesseraArgumentException>(() => a.Free(b));
        Assert.Contains("double free", ex.Message);
    }

    [Fact]
    public void NegativeSize_IsRejected() =>
        Assert.Throws<TesseraArgumentException>(() => new CachingAllocator(new FakeRaw()).Allocate(-1));

    [Fact]
    public void Dispose_ReturnsAllFreeSegments_AndRefusesLaterUse()
    {
        var raw = new FakeRaw();
        var a = new CachingAllocator(raw);
        a.Free(a.Allocate(100));
        a.Free(a.Allocate(50 * MiB));
        a.Dispose();
        Assert.Empty(raw.Live);
        Assert.Throws<TesseraDisposedException>(() => a.Allocate(1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomSequences_KeepInvariants(int seed)
    {
        var rng = new Random(seed);
        var raw = new FakeRaw();
        var ev = new FakeEvents();
        using var a = new CachingAllocator(raw, ev);
        var live = new List<CachedBlock>();
        for (int step = 0; step < 3000; step++)
        {
            int r = rng.Next(100);
            if (r < 50 || live.Count == 0)
            {
                long size = rng.Next(4) switch
                {
                    0 => rng.Next(1, 600),
                    1 => rng.Next(1, (int)MiB),
                    2 => rng.Next((int)MiB, (int)(12 * MiB)),
                    _ => rng.Next(1, 40 * (int)MiB),
                };
                var b = a.Allocate(size, rng.Next(3));
                Assert.True(b.Size >= size && b.Size % 512 == 0);
                live.Add(b);
                if (rng.Next(10) == 0) a.RecordStream(b, 3);
            }
            else if (r < 95)
            {
                int i = rng.Next(live.Count);
                a.Free(live[i]);
                live.RemoveAt(i);
            }
            else if (r < 98)
            {
                foreach (var e in ev.Recorded) if (rng.Next(2) == 0) e.Done = true;
            }
            else a.ReleaseCached();
            if (step % 50 == 0) CheckInvariants(a, raw, live);
        }
        CheckInvariants(a, raw, live);
        foreach (var b in live) a.Free(b);
        a.ReleaseCached();
        Assert.Empty(raw.Live);
        Assert.Equal(0, a.Stats.AllocatedBytes);
    }

    private static void CheckInvariants(CachingAllocator a, FakeRaw raw, List<CachedBlock> live)
    {
        var segs = a.Snapshot();
        Assert.Equal(raw.Live.Count, segs.Count);
        long allocated = 0;
        var liveAddresses = live.ToDictionary(b => b.Address);
        int allocatedBlocks = 0;
        foreach (var s in segs)
        {
            Assert.Equal(raw.Live[s.Address], s.Size);
            ulong at = s.Address;
            BlockSnapshot? prev = null;
            foreach (var b in s.Blocks)
            {
                Assert.Equal(at, b.Address);                          // blocks tile the segment without gaps
                Assert.True(b.Size > 0 && b.Size % 512 == 0);
                if (b.State == BlockState.Allocated)
                {
                    Assert.True(liveAddresses.TryGetValue(b.Address, out var h));
                    Assert.Equal(h.Size, b.Size);
                    allocated += b.Size;
                    allocatedBlocks++;
                }
                if (prev != null && prev.State == BlockState.Free)
                    Assert.NotEqual(BlockState.Free, b.State);        // adjacent free blocks are always merged
                prev = b;
                at += (ulong)b.Size;
            }
            Assert.Equal(s.Address + (ulong)s.Size, at);
        }
        Assert.Equal(live.Count, allocatedBlocks);
        Assert.Equal(allocated, a.Stats.AllocatedBytes);
        Assert.Equal(raw.InUse, a.Stats.ReservedBytes);
    }
}
