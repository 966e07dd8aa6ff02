using System.Numerics;
using Tessera.Devices;

namespace Tessera.Memory;

/// <summary>
/// A caching pool of whole blocks by size class, over an <see cref="IRawAllocator"/>: the algorithm of the host and
/// OpenCL pools (the CUDA device splits segments instead, with <see cref="CachingAllocator"/>). A request is served
/// with its size class, the request rounded up to an eighth of its power of two (at most 25% waste, never below
/// <see cref="MinClass"/>); a returned block goes onto the free stack of its class and its stream and serves the next
/// request of that class on that stream, so that reuse is ordered by the stream the block was used on. Blocks are
/// never split or merged. When the raw allocator runs out, the cache is released (after <c>beforeRelease</c>, which
/// lets a device wait for queued work first) and the allocation retried once before a
/// <see cref="TesseraOutOfMemoryException"/>. Thread-safe; the raw allocator is called outside the pool's lock when
/// allocating and inside it when releasing.
/// </summary>
public sealed class SizeClassPool : IDisposable
{
    private readonly IRawAllocator _raw;
    private readonly string _owner;
    private readonly string _memory;
    private readonly Action? _beforeRelease;
    private readonly object _gate = new();
    private readonly Dictionary<(long Stream, long Size), Stack<ulong>> _free = new();
    private long _current, _peak, _reserved, _allocations, _rents, _hits, _releases;

    /// <param name="raw">Where blocks come from.</param>
    /// <param name="minClass">The smallest size class (a power of two: the alignment granule of the memory).</param>
    /// <param name="owner">The pool's name in error messages ("CpuMemoryPool").</param>
    /// <param name="memory">What the memory is, for out-of-memory messages ("host memory").</param>
    /// <param name="beforeRelease">Called before cached blocks are given back to the raw allocator.</param>
    public SizeClassPool(IRawAllocator raw, long minClass, string owner, string memory, Action? beforeRelease = null)
    {
        _raw = raw ?? throw new TesseraArgumentException(nameof(SizeClassPool), nameof(raw), "a raw allocator is required");
        if (minClass <= 0 || !BitOperations.IsPow2(minClass))
            throw new TesseraArgumentException(nameof(SizeClassPool), nameof(minClass), $"must be a positive power of two, got {minClass}");
        MinClass = minClass;
        _owner = owner;
        _memory = memory;
        _beforeRelease = beforeRelease;
    }

    /// <summary>The smallest size class in bytes.</summary>
    public long MinClass { get; }

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
        bool hit = false;
        lock (_gate)
        {
            _rents++;
            if (_free.TryGetValue((stream, size), out var stack) && stack.Count > 0)
            {
                address = stack.Pop();
                _hits++;
                hit = true;
            }
        }
        if (!hit) address = Allocate(size, op);
        lock (_gate)
        {
            _current += size;
            if (_current > _peak) _peak = _current;
        }
        return new PooledBlock(address, size, stream, Fresh: !hit);
    }

    private ulong Allocate(long size, string op)
    {
        if (!_raw.TryAllocate(size, out ulong address))
        {
            ReleaseCached();
            if (!_raw.TryAllocate(size, out address))
            {
                var s = Stats;
                long free = _raw.DeviceFreeBytes;
                throw new TesseraOutOfMemoryException(op,
                    $"could not allocate {size} bytes of {_memory} (in use {s.CurrentBytes}, reserved {s.ReservedBytes} bytes after releasing the cache" +
                    (free >= 0 ? $", {free} bytes free on the device)" : ")"));
            }
        }
        lock (_gate)
        {
            _allocations++;
            _reserved += size;
        }
        return address;
    }

    /// <summary>Takes a block back into the cache of its class and stream (the memory stays reserved).</summary>
    public void Return(PooledBlock block)
    {
        lock (_gate)
        {
            _current -= block.Size;
            var key = (block.Stream, block.Size);
            if (!_free.TryGetValue(key, out var stack)) _free[key] = stack = new Stack<ulong>();
            stack.Push(block.Address);
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
                if (!_free.TryGetValue(to, out var stack)) _free[to] = stack = new Stack<ulong>();
                foreach (ulong a in from) stack.Push(a);
            }
        }
    }

    /// <summary>Current, peak and reserved bytes and the lease counters.</summary>
    public MemoryPoolStats Stats
    {
        get { lock (_gate) return new MemoryPoolStats(_current, _peak, _reserved, _allocations, _rents, _hits, _releases); }
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
        lock (_gate)
        {
            foreach (var ((_, size), stack) in _free)
            {
                while (stack.Count > 0)
                {
                    _raw.Free(stack.Pop());
                    _reserved -= size;
                    _releases++;
                }
            }
            _free.Clear();
        }
    }

    public void Dispose() => ReleaseCached();
}

/// <summary>A block leased from a <see cref="SizeClassPool"/>: its address, its size class, the stream its reuse is
/// ordered on, and whether it came new from the raw allocator (false: from the cache).</summary>
public readonly record struct PooledBlock(ulong Address, long Size, long Stream, bool Fresh);
