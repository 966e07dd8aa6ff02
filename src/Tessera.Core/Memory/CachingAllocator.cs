namespace Tessera.Memory;

/// <summary>
/// A caching device-memory allocator in the design of PyTorch's CUDA caching allocator, independent of any device:
/// requests are rounded to 512-byte multiples; requests up to 1 MiB come from the small pool, carved out of 2 MiB
/// segments; larger ones from the large pool (20 MiB segments below 10 MiB, otherwise the size rounded up to 2 MiB).
/// A request takes the best-fitting free block of its pool and stream, splitting off the remainder, which stays free;
/// a freed block merges with free neighbours of the same segment. A block is only reused on the stream it was
/// allocated on; when it was also used on other streams (<see cref="RecordStream"/>) it returns to the free set only
/// after events recorded on those streams at free time have completed. When the raw allocator runs out, cached
/// segments are released and the request retried once before a <see cref="TesseraOutOfMemoryException"/>.
/// Thread-safe.
/// </summary>
public sealed class CachingAllocator : IDisposable
{
    /// <summary>Every request is rounded up to a multiple of this many bytes (512).</summary>
    public const long MinBlockSize = 512;
    /// <summary>Requests up to this size (1 MiB) use the small pool.</summary>
    public const long SmallSize = 1L << 20;
    /// <summary>The size of a small-pool segment (2 MiB).</summary>
    public const long SmallBuffer = 2L << 20;
    /// <summary>Large requests below this size (10 MiB) share a segment of <see cref="LargeBuffer"/> bytes.</summary>
    public const long MinLargeAlloc = 10L << 20;
    /// <summary>The size of a shared large-pool segment (20 MiB).</summary>
    public const long LargeBuffer = 20L << 20;
    /// <summary>Larger requests get a segment of their own, rounded up to a multiple of this size (2 MiB).</summary>
    public const long RoundLarge = 2L << 20;

    private const string Op = "CachingAllocator";

    private readonly IRawAllocator _raw;
    private readonly IAllocatorEventSource? _events;
    private readonly object _gate = new();
    private readonly SortedSet<Block> _smallFree = new(BlockOrder.Instance);
    private readonly SortedSet<Block> _largeFree = new(BlockOrder.Instance);
    private readonly Dictionary<ulong, Block> _allocated = new();
    private readonly List<Block> _segments = new();            // the first block of each segment
    private readonly List<(IAllocatorEvent Event, Block Block)> _pending = new();
    private long _allocatedBytes, _peakAllocated, _reservedBytes, _peakReserved;
    private long _rawAllocations, _cacheHits, _releases, _allocations, _frees, _oomRetries;
    private bool _disposed;

    /// <summary>An allocator that takes its segments from <paramref name="raw"/>; with <paramref name="events"/>, blocks used
    /// on several streams (<see cref="RecordStream"/>) are reused only after the events recorded at free time complete.</summary>
    /// <exception cref="TesseraArgumentException"><paramref name="raw"/> is null.</exception>
    public CachingAllocator(IRawAllocator raw, IAllocatorEventSource? events = null)
    {
        _raw = raw ?? throw new TesseraArgumentException(Op, nameof(raw), "a raw allocator is required");
        _events = events;
    }

    /// <summary>True when <paramref name="address"/> is the start of a block this allocator has handed out and not yet
    /// taken back (a launch's check that a buffer argument belongs to this device).</summary>
    public bool IsLive(ulong address)
    {
        lock (_gate) return _allocated.ContainsKey(address);
    }

    /// <summary>The size a request is served with: at least 512 bytes, a multiple of 512.</summary>
    public static long RoundSize(long bytes) => bytes < MinBlockSize ? MinBlockSize : (bytes + MinBlockSize - 1) / MinBlockSize * MinBlockSize;

    /// <summary>The segment size reserved from the raw allocator for a (rounded) request with no cached fit.</summary>
    public static long SegmentSize(long rounded) =>
        rounded <= SmallSize ? SmallBuffer : rounded < MinLargeAlloc ? LargeBuffer : (rounded + RoundLarge - 1) / RoundLarge * RoundLarge;

    /// <summary>Allocates at least <paramref name="bytes"/> for use on the stream <paramref name="streamId"/>.</summary>
    public CachedBlock Allocate(long bytes, long streamId = 0)
    {
        if (bytes < 0) throw new TesseraArgumentException(Op + ".Allocate", nameof(bytes), $"negative size {bytes}");
        lock (_gate)
        {
            if (_disposed) throw new TesseraDisposedException(Op + ".Allocate", "the caching allocator");
            ProcessEvents(wait: false);
            long size = RoundSize(bytes);
            bool small = size <= SmallSize;
            var pool = small ? _smallFree : _largeFree;

            var block = FindFree(pool, streamId, size);
            if (block != null) _cacheHits++;
            else
            {
                long segment = SegmentSize(size);
                if (!_raw.TryAllocate(segment, out ulong address))
                {
                    // Out of memory: wait for pending cross-stream frees, give every unused segment back, and retry once.
                    _oomRetries++;
                    ProcessEvents(wait: true);
                    block = FindFree(pool, streamId, size);
                    if (block == null)
                    {
                        ReleaseCachedLocked();
                        if (!_raw.TryAllocate(segment, out address))
                            throw new TesseraOutOfMemoryException(Op + ".Allocate",
                                $"out of device memory: requested {Fmt(bytes)} (segment {Fmt(segment)}); reserved by the pool {Fmt(_reservedBytes)}, " +
                                $"allocated {Fmt(_allocatedBytes)}, cached and free {Fmt(_reservedBytes - _allocatedBytes)}, device free " +
                                (_raw.DeviceFreeBytes < 0 ? "unknown" : Fmt(_raw.DeviceFreeBytes)));
                    }
                }
                if (block == null)
                {
                    block = new Block(address, segment, address, streamId, small) { IsSegmentHead = true };
                    _segments.Add(block);
                    _rawAllocations++;
                    _reservedBytes += segment;
                    _peakReserved = Math.Max(_peakReserved, _reservedBytes);
                }
            }

            if (ShouldSplit(block, size))
            {
                var rest = new Block(block.Address + (ulong)size, block.Size - size, block.SegmentAddress, block.Stream, block.Small)
                {
                    Prev = block, Next = block.Next,
                };
                if (block.Next != null) block.Next.Prev = rest;
                block.Next = rest;
                block.Size = size;
                pool.Add(rest);
            }
            block.Allocated = true;
            block.Requested = bytes;
            _allocated.Add(block.Address, block);
            _allocatedBytes += block.Size;
            _peakAllocated = Math.Max(_peakAllocated, _allocatedBytes);
            _allocations++;
            return new CachedBlock(block.Address, block.Size, bytes, streamId);
        }
    }

    /// <summary>
    /// Marks the block as used on another stream, so that a free waits for that stream's work (recorded with an event)
    /// before the block can be handed out again.
    /// </summary>
    public void RecordStream(CachedBlock block, long streamId)
    {
        lock (_gate)
        {
            var b = Live(block, "RecordStream");
            if (streamId == b.Stream) return;
            if (_events == null) throw new TesseraArgumentException(Op + ".RecordStream", nameof(streamId), "this allocator has no event source for cross-stream use");
            (b.StreamUses ??= new HashSet<long>()).Add(streamId);
        }
    }

    /// <summary>
    /// The stream <paramref name="streamId"/> is about to be destroyed and the caller has waited for its work: live blocks
    /// stop tracking uses on it, so that freeing them later records no event on a stream that no longer exists.
    /// </summary>
    public void ForgetStream(long streamId)
    {
        lock (_gate)
        {
            foreach (var b in _allocated.Values)
                if (b.StreamUses != null && b.StreamUses.Remove(streamId) && b.StreamUses.Count == 0) b.StreamUses = null;
        }
    }

    /// <summary>Returns a block to the cache (the memory stays reserved until <see cref="ReleaseCached"/> or out-of-memory).</summary>
    public void Free(CachedBlock block)
    {
        lock (_gate)
        {
            var b = Live(block, "Free");
            _allocated.Remove(b.Address);
            _allocatedBytes -= b.Size;
            _frees++;
            if (b.StreamUses is { Count: > 0 } uses)
            {
                // The block stays out of the free set until the work already queued on the other streams completes.
                b.Allocated = false;
                b.Requested = 0;
                foreach (long s in uses)
                {
                    b.PendingEvents++;
                    _pending.Add((_events!.Record(s), b));
                }
                b.StreamUses = null;
                return;
            }
            ReturnToPool(b);
        }
    }

    /// <summary>Gives every segment with no block in use back to the raw allocator.</summary>
    public void ReleaseCached()
    {
        lock (_gate)
        {
            ProcessEvents(wait: true);
            ReleaseCachedLocked();
        }
    }

    /// <summary>The allocator's figures now: bytes allocated and reserved with their peaks, segments, counters.</summary>
    public AllocatorStats Stats
    {
        get
        {
            lock (_gate)
                return new AllocatorStats(_allocatedBytes, _peakAllocated, _reservedBytes, _peakReserved, _segments.Count,
                    _rawAllocations, _cacheHits, _releases, _allocations, _frees, _oomRetries, _pending.Count);
        }
    }

    /// <summary>Resets the peak figures to the current ones.</summary>
    public void ResetPeaks()
    {
        lock (_gate) { _peakAllocated = _allocatedBytes; _peakReserved = _reservedBytes; }
    }

    /// <summary>Every segment with its blocks in address order.</summary>
    public IReadOnlyList<SegmentSnapshot> Snapshot()
    {
        lock (_gate)
        {
            var list = new List<SegmentSnapshot>(_segments.Count);
            foreach (var head in _segments.OrderBy(s => s.Address))
            {
                var blocks = new List<BlockSnapshot>();
                long total = 0;
                for (var b = head; b != null; b = b.Next)
                {
                    blocks.Add(new BlockSnapshot(b.Address, b.Size, b.Allocated ? b.Requested : 0,
                        b.Allocated ? BlockState.Allocated : b.PendingEvents > 0 ? BlockState.PendingFree : BlockState.Free));
                    total += b.Size;
                }
                list.Add(new SegmentSnapshot(head.Address, total, head.Stream, head.Small ? "small" : "large", blocks));
            }
            return list;
        }
    }

    /// <summary>Waits for pending events and returns every segment to the raw allocator.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            ProcessEvents(wait: true);
            ReleaseCachedLocked();
            _disposed = true;
        }
    }

    private Block Live(CachedBlock handle, string what)
    {
        if (!_allocated.TryGetValue(handle.Address, out var b) || b.Stream != handle.Stream || b.Size != handle.Size)
            throw new TesseraArgumentException($"{Op}.{what}", "block", $"0x{handle.Address:x} is not a live allocation of this allocator (double free?)");
        return b;
    }

    private static Block? FindFree(SortedSet<Block> pool, long stream, long size)
    {
        // Best fit: the smallest free block of this stream that is large enough (lowest address among equals).
        var probe = Block.Probe(stream, size);
        foreach (var b in pool.GetViewBetween(probe, Block.Probe(stream, long.MaxValue)))
        {
            pool.Remove(b);
            return b;
        }
        return null;
    }

    private static bool ShouldSplit(Block b, long size)
    {
        long remaining = b.Size - size;
        return b.Small ? remaining >= MinBlockSize : remaining > SmallSize;
    }

    private void ReturnToPool(Block b)
    {
        var pool = b.Small ? _smallFree : _largeFree;
        b.Allocated = false;
        b.Requested = 0;
        // Merge with free neighbours of the same segment (the list never crosses segments).
        if (b.Prev is { Allocated: false, PendingEvents: 0 } prev)
        {
            pool.Remove(prev);
            prev.Size += b.Size;
            prev.Next = b.Next;
            if (b.Next != null) b.Next.Prev = prev;
            b = prev;
        }
        if (b.Next is { Allocated: false, PendingEvents: 0 } next)
        {
            pool.Remove(next);
            b.Size += next.Size;
            b.Next = next.Next;
            if (next.Next != null) next.Next.Prev = b;
        }
        pool.Add(b);
    }

    private void ProcessEvents(bool wait)
    {
        for (int i = 0; i < _pending.Count;)
        {
            var (ev, block) = _pending[i];
            if (wait) ev.Synchronize();
            else if (!ev.IsComplete) { i++; continue; }
            ev.Dispose();
            _pending.RemoveAt(i);
            if (--block.PendingEvents == 0) ReturnToPool(block);
        }
    }

    private void ReleaseCachedLocked()
    {
        for (int i = _segments.Count - 1; i >= 0; i--)
        {
            var head = _segments[i];
            if (head.Allocated || head.PendingEvents > 0 || head.Next != null) continue;  // a whole free segment is one block
            (head.Small ? _smallFree : _largeFree).Remove(head);
            _raw.Free(head.Address);
            _reservedBytes -= head.Size;
            _releases++;
            _segments.RemoveAt(i);
        }
    }

    private static string Fmt(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.##} GiB ({bytes} bytes)"
        : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):0.##} MiB ({bytes} bytes)"
        : $"{bytes} bytes";

    private sealed class Block
    {
        public Block(ulong address, long size, ulong segment, long stream, bool small)
        {
            Address = address; Size = size; SegmentAddress = segment; Stream = stream; Small = small;
        }

        public static Block Probe(long stream, long size) => new(0, size, 0, stream, false);

        public readonly ulong Address;
        public long Size;
        public readonly ulong SegmentAddress;
        public readonly long Stream;
        public readonly bool Small;
        public bool IsSegmentHead;
        public bool Allocated;
        public long Requested;
        public int PendingEvents;
        public HashSet<long>? StreamUses;
        public Block? Prev, Next;
    }

    private sealed class BlockOrder : IComparer<Block>
    {
        public static readonly BlockOrder Instance = new();

        public int Compare(Block? x, Block? y)
        {
            int c = x!.Stream.CompareTo(y!.Stream);
            if (c != 0) return c;
            c = x.Size.CompareTo(y.Size);
            return c != 0 ? c : x.Address.CompareTo(y.Address);
        }
    }
}

/// <summary>A block handed out by a <see cref="CachingAllocator"/>: its device address, served size, requested size and stream.</summary>
public readonly record struct CachedBlock(ulong Address, long Size, long Requested, long Stream);

/// <summary>The state of a block in a <see cref="CachingAllocator.Snapshot"/>.</summary>
public enum BlockState
{
    /// <summary>Free and reusable on its stream.</summary>
    Free,
    /// <summary>Handed out and not freed yet.</summary>
    Allocated,
    /// <summary>Freed, but waiting for events on other streams that used it before it can be reused.</summary>
    PendingFree,
}

/// <summary>One block of a segment in a <see cref="CachingAllocator.Snapshot"/>.</summary>
/// <param name="Address">The block's device address.</param>
/// <param name="Size">The bytes the block spans (a multiple of <see cref="CachingAllocator.MinBlockSize"/>).</param>
/// <param name="Requested">The bytes requested for it when allocated, 0 otherwise.</param>
/// <param name="State">Free, allocated or waiting for events.</param>
public sealed record BlockSnapshot(ulong Address, long Size, long Requested, BlockState State);

/// <summary>One segment held from the raw allocator, with its blocks in address order.</summary>
/// <param name="Address">The segment's device address.</param>
/// <param name="Size">The segment's size in bytes.</param>
/// <param name="Stream">The stream its blocks are reused on.</param>
/// <param name="Pool">"small" or "large".</param>
/// <param name="Blocks">The blocks that tile the segment, in address order.</param>
public sealed record SegmentSnapshot(ulong Address, long Size, long Stream, string Pool, IReadOnlyList<BlockSnapshot> Blocks);

/// <summary>Pool figures. Allocated counts served (rounded) sizes; Reserved counts segments held from the raw allocator.</summary>
public sealed record AllocatorStats(
    long AllocatedBytes, long PeakAllocatedBytes, long ReservedBytes, long PeakReservedBytes, int Segments,
    long RawAllocations, long CacheHits, long Releases, long Allocations, long Frees, long OutOfMemoryRetries, int PendingEvents);
