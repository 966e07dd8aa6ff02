using System.Numerics;
using Microsoft.Extensions.Logging;
using Tessera.Devices;
using Tessera.Diagnostics;

namespace Tessera.Memory;

/// <summary>
/// A caching pool of whole blocks by size class, over an <see cref="IRawAllocator"/>: the algorithm of the host and
/// OpenCL pools (the CUDA device splits segments instead, with <see cref="CachingAllocator"/>). A request is served
/// with its size class, the request rounded up to an eighth of its power of two (at most 25% waste, never below
/// <see cref="MinClass"/>); a returned block goes onto the free stack of its class and its stream and serves the next
/// request of that class on that stream, so that reuse is ordered by the stream the block was used on. Blocks are
/// never split or merged. The cache is trimmed by the pool's <see cref="TrimPolicy"/> (high water and idle time); a
/// miss that would take the pool beyond <see cref="MaxBytes"/> (by default <see cref="MemoryLimits.MaxPoolBytes"/>)
/// first frees cached blocks; one the leased blocks alone leave no room for is refused before the system is asked. When the raw allocator runs out, the cache
/// is released (after <c>beforeRelease</c>, which lets a device wait for queued work first) and the allocation retried
/// once before a <see cref="TesseraOutOfMemoryException"/>. Thread-safe; the raw allocator is called outside the pool's
/// lock when allocating and trimming and inside it when releasing the whole cache.
/// </summary>
public sealed partial class SizeClassPool : IDisposable
{
    private readonly IRawAllocator _raw;
    private readonly string _owner;
    private readonly string _memory;
    private readonly Action? _beforeRelease;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Dictionary<(long Stream, long Size), LinkedList<CachedBlock>> _free = new();
    private readonly Stack<LinkedListNode<CachedBlock>> _spareNodes = new();   // reused: a steady loop allocates nothing
    private long _current, _peak, _reserved, _cached, _allocations, _rents, _hits, _releases, _trims, _trimmedBytes, _lastIdleScan;
    private PoolTrimPolicy _policy = PoolTrimPolicy.Default;
    private long? _maxBytes;

    /// <summary>A cached block and when it was returned (a <see cref="TimeProvider"/> timestamp).</summary>
    private readonly record struct CachedBlock(ulong Address, long Size, long ReturnedAt);

    /// <param name="raw">Where blocks come from.</param>
    /// <param name="minClass">The smallest size class (a power of two: the alignment granule of the memory).</param>
    /// <param name="owner">The pool's name in error messages ("CpuMemoryPool").</param>
    /// <param name="memory">What the memory is, for out-of-memory messages ("host memory").</param>
    /// <param name="beforeRelease">Called before cached blocks are given back to the raw allocator.</param>
    /// <param name="time">The clock of the idle policy (the system's by default).</param>
    public SizeClassPool(IRawAllocator raw, long minClass, string owner, string memory, Action? beforeRelease = null, TimeProvider? time = null)
    {
        _raw = raw ?? throw new TesseraArgumentException(nameof(SizeClassPool), nameof(raw), "a raw allocator is required");
        if (minClass <= 0 || !BitOperations.IsPow2(minClass))
            throw new TesseraArgumentException(nameof(SizeClassPool), nameof(minClass), $"must be a positive power of two, got {minClass}");
        MinClass = minClass;
        _owner = owner;
        _memory = memory;
        _beforeRelease = beforeRelease;
        _time = time ?? TimeProvider.System;
        _lastIdleScan = _time.GetTimestamp();
    }

    /// <summary>The smallest size class in bytes.</summary>
    public long MinClass { get; }

    /// <summary>When cached blocks are given back (see <see cref="PoolTrimPolicy"/>).</summary>
    public PoolTrimPolicy TrimPolicy
    {
        get { lock (_gate) return _policy; }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate(_owner + ".TrimPolicy");
            lock (_gate) _policy = value;
        }
    }

    /// <summary>The most bytes the pool reserves from the system (leased plus cached); null: <see cref="MemoryLimits.Current"/>'s
    /// <see cref="MemoryLimits.MaxPoolBytes"/>, read at each miss.</summary>
    public long? MaxBytes
    {
        get { lock (_gate) return _maxBytes; }
        set
        {
            if (value is <= 0) throw new TesseraArgumentException(_owner + ".MaxBytes", nameof(value), $"must be positive, got {value}");
            lock (_gate) _maxBytes = value;
        }
    }

    /// <summary>The size class of a request: at least <paramref name="minClass"/>, else the request rounded up to a
    /// multiple of an eighth of its power of two (and of <paramref name="minClass"/>).</summary>
    public static long SizeClass(long bytes, long minClass)
    {
        if (bytes <= minClass) return minClass;
        ulong pow = BitOperations.RoundUpToPowerOf2((ulong)bytes);
        long step = Math.Max(minClass, (long)(pow / 8));
        return (bytes + step - 1) / step * step;
    }

    /// <summary>Leases a block of the size class of <paramref name="bytes"/> for work ordered on the stream
    /// <paramref name="stream"/>: a cached block of that class and stream, else a new one from the raw allocator.</summary>
    public PooledBlock Rent(long bytes, long stream = 0)
    {
        string op = _owner + ".Rent";
        if (bytes < 0) throw new TesseraArgumentException(op, nameof(bytes), $"negative size {bytes}");
        long size = SizeClass(bytes, MinClass);
        ulong address = 0;
        bool hit = false, refused = true;
        long limit = 0;
        List<CachedBlock>? victims = null;
        lock (_gate)
        {
            _rents++;
            TakeIdle(ref victims);
            if (_free.TryGetValue((stream, size), out var list) && list.Count > 0)
            {
                var node = list.Last!;
                address = node.Value.Address;
                list.RemoveLast();
                _spareNodes.Push(node);
                _cached -= size;
                _hits++;
                hit = true;
                Lease(size);
            }
            else
            {
                limit = _maxBytes ?? MemoryLimits.Current.MaxPoolBytes;
                if (_current + size <= limit)
                {
                    refused = false;
                    // Make room under the pool limit and the high-water mark, oldest cached blocks first; then reserve
                    // the new block's bytes, so that concurrent misses see them.
                    long mark = Math.Min(limit, _policy.HighWater(Math.Max(_peak, _current + size)));
                    TakeOldest(ref victims, _reserved + size - mark);
                    _reserved += size;
                }
            }
        }
        Free(victims);
        if (hit) return new PooledBlock(address, size, stream, Fresh: false);
        if (refused)
            throw new TesseraOutOfMemoryException(op, $"{size} more bytes of {_memory} would take the pool over its limit of {limit} bytes " +
                $"(in use {Stats.CurrentBytes}; MemoryLimits.MaxPoolBytes: {MemoryLimits.MemoryVariable} or --max-memory raise it)");
        address = Allocate(size, op);
        lock (_gate) Lease(size);
        return new PooledBlock(address, size, stream, Fresh: true);
    }

    private void Lease(long size)
    {
        _current += size;
        if (_current > _peak) _peak = _current;
    }

    /// <summary>A new block from the raw allocator; its bytes are already counted in <see cref="MemoryPoolStats.ReservedBytes"/>.</summary>
    private ulong Allocate(long size, string op)
    {
        if (!_raw.TryAllocate(size, out ulong address))
        {
            LogReleasingForRetry(Log, _owner, size, _memory);
            ReleaseCached();
            if (!_raw.TryAllocate(size, out address))
            {
                lock (_gate) _reserved -= size;
                var s = Stats;
                long free = _raw.DeviceFreeBytes;
                throw new TesseraOutOfMemoryException(op,
                    $"could not allocate {size} bytes of {_memory} (in use {s.CurrentBytes}, reserved {s.ReservedBytes} bytes after releasing the cache" +
                    (free >= 0 ? $", {free} bytes free on the device)" : ")"));
            }
        }
        lock (_gate) _allocations++;
        return address;
    }

    /// <summary>Takes a block back into the cache of its class and stream (the memory stays reserved unless the trim
    /// policy finds idle blocks).</summary>
    public void Return(PooledBlock block)
    {
        List<CachedBlock>? victims = null;
        lock (_gate)
        {
            _current -= block.Size;
            var key = (block.Stream, block.Size);
            if (!_free.TryGetValue(key, out var list)) _free[key] = list = new LinkedList<CachedBlock>();
            var cached = new CachedBlock(block.Address, block.Size, _time.GetTimestamp());
            if (_spareNodes.TryPop(out var node)) { node.Value = cached; list.AddLast(node); }
            else list.AddLast(cached);
            _cached += block.Size;
            TakeIdle(ref victims);
        }
        Free(victims);
    }

    /// <summary>Under the lock: removes from the cache the blocks idle for longer than the policy's idle time (scanning
    /// at most four times per idle time). <paramref name="victims"/> is created when there is one.</summary>
    private void TakeIdle(ref List<CachedBlock>? victims)
    {
        if (_policy.IdleTime is not { } idle || _cached == 0) return;
        long now = _time.GetTimestamp();
        if (_time.GetElapsedTime(_lastIdleScan, now) < idle / 4) return;
        _lastIdleScan = now;
        foreach (var list in _free.Values)
            while (list.First is { } first && _time.GetElapsedTime(first.Value.ReturnedAt, now) >= idle)
            {
                (victims ??= new List<CachedBlock>()).Add(first.Value);
                list.RemoveFirst();
                _cached -= first.Value.Size;
            }
    }

    /// <summary>Under the lock: removes the least recently returned cached blocks until <paramref name="bytes"/> are
    /// taken or the cache is empty.</summary>
    private void TakeOldest(ref List<CachedBlock>? victims, long bytes)
    {
        while (bytes > 0 && _cached > 0)
        {
            LinkedList<CachedBlock>? oldest = null;
            foreach (var list in _free.Values)
                if (list.First is { } f && (oldest is null || f.Value.ReturnedAt < oldest.First!.Value.ReturnedAt)) oldest = list;
            var block = oldest!.First!.Value;
            oldest.RemoveFirst();
            _cached -= block.Size;
            (victims ??= new List<CachedBlock>()).Add(block);
            bytes -= block.Size;
        }
    }

    /// <summary>Gives trimmed blocks back to the raw allocator (outside the lock) and counts them.</summary>
    private void Free(List<CachedBlock>? victims)
    {
        if (victims is null) return;
        _beforeRelease?.Invoke();
        long bytes = 0;
        foreach (var b in victims) { _raw.Free(b.Address); bytes += b.Size; }
        LogTrimmed(Log, _owner, victims.Count, bytes, _memory);
        lock (_gate)
        {
            foreach (var b in victims)
            {
                _reserved -= b.Size;
                _releases++;
                _trims++;
                _trimmedBytes += b.Size;
            }
        }
    }

    /// <summary>Hands the cached blocks of <paramref name="fromStream"/> to <paramref name="toStream"/> (a stream that is
    /// going away once its work has finished: its blocks are idle and may serve any stream).</summary>
    public void MoveCached(long fromStream, long toStream)
    {
        if (fromStream == toStream) return;
        lock (_gate)
        {
            foreach (var key in _free.Keys.Where(k => k.Stream == fromStream).ToList())
            {
                var from = _free[key];
                _free.Remove(key);
                var to = (toStream, key.Size);
                if (!_free.TryGetValue(to, out var list)) _free[to] = list = new LinkedList<CachedBlock>();
                foreach (var b in from) list.AddLast(b);
            }
        }
    }

    /// <summary>Current, peak and reserved bytes, the lease counters and what the trim policy freed.</summary>
    public MemoryPoolStats Stats
    {
        get { lock (_gate) return new MemoryPoolStats(_current, _peak, _reserved, _allocations, _rents, _hits, _releases, _trims, _trimmedBytes); }
    }

    /// <summary>Resets the peak to the current usage (for measuring one phase).</summary>
    public void ResetPeak()
    {
        lock (_gate) _peak = _current;
    }

    /// <summary>Gives every cached block back to the raw allocator.</summary>
    public void ReleaseCached()
    {
        _beforeRelease?.Invoke();
        long bytes;
        lock (_gate)
        {
            bytes = _cached;
            foreach (var list in _free.Values)
                foreach (var b in list)
                {
                    _raw.Free(b.Address);
                    _reserved -= b.Size;
                    _releases++;
                }
            _free.Clear();
            _cached = 0;
        }
        if (bytes > 0) LogReleased(Log, _owner, bytes, _memory);
    }

    /// <summary>The logger (category "Tessera.Memory.SizeClassPool"), from the current factory at each use: trims and
    /// releases are rare.</summary>
    private static ILogger Log => TesseraLogging.CreateLogger("Tessera.Memory.SizeClassPool");

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Owner}: the trim policy gave {Blocks} cached blocks ({Bytes} bytes) back to {Memory}")]
    private static partial void LogTrimmed(ILogger logger, string owner, int blocks, long bytes, string memory);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Owner}: released {Bytes} cached bytes of {Memory}")]
    private static partial void LogReleased(ILogger logger, string owner, long bytes, string memory);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Owner}: {Memory} refused {Bytes} bytes; releasing the cache and retrying")]
    private static partial void LogReleasingForRetry(ILogger logger, string owner, long bytes, string memory);

    /// <summary>Releases the cached blocks (leased ones return later, when their buffers are disposed).</summary>
    public void Dispose() => ReleaseCached();
}

/// <summary>A block leased from a <see cref="SizeClassPool"/>: its address, its size class, the stream its reuse is
/// ordered on, and whether it came new from the raw allocator (false: from the cache).</summary>
public readonly record struct PooledBlock(ulong Address, long Size, long Stream, bool Fresh);
