using System.Numerics;
using System.Runtime.InteropServices;
using Tessera.Devices;

namespace Tessera.Cpu;

/// <summary>Caching allocator for host memory: 64-byte-aligned native blocks, cached by size class on return and
/// reused for later requests of the same class. Size classes are the request rounded up to an eighth of its
/// power of two (at most 25% waste). Thread-safe.</summary>
public sealed unsafe class CpuMemoryPool : IMemoryPool, IDisposable
{
    /// <summary>Alignment of every block (a cache line; also a Vector512).</summary>
    public const int Alignment = 64;

    private readonly object _gate = new();
    private readonly Dictionary<long, Stack<nint>> _free = new();
    private long _current, _peak, _reserved, _allocations, _rents, _hits, _releases;

    /// <summary>Requests above this many bytes are refused before any allocation is tried.</summary>
    public long MaxRequestBytes { get; init; } = 1L << 40;

    /// <summary>The size class of a request in bytes.</summary>
    public static long SizeClass(long bytes)
    {
        if (bytes <= Alignment) return Alignment;
        ulong pow = BitOperations.RoundUpToPowerOf2((ulong)bytes);
        long step = Math.Max(Alignment, (long)(pow / 8));
        return (bytes + step - 1) / step * step;
    }

    public DeviceBuffer Rent(long bytes, IStream? stream = null)
    {
        const string op = "CpuMemoryPool.Rent";
        if (bytes < 0) throw new TesseraArgumentException(op, nameof(bytes), $"negative size {bytes}");
        if (bytes > MaxRequestBytes)
            throw new TesseraOutOfMemoryException(op, $"request of {bytes} bytes exceeds the pool's limit of {MaxRequestBytes} bytes");
        long size = SizeClass(bytes);
        nint ptr = 0;
        lock (_gate)
        {
            _rents++;
            if (_free.TryGetValue(size, out var stack) && stack.Count > 0)
            {
                ptr = stack.Pop();
                _hits++;
            }
        }
        if (ptr == 0) ptr = AllocateFresh(size, op);
        lock (_gate)
        {
            _current += size;
            if (_current > _peak) _peak = _current;
        }
        return new DeviceBuffer(this, ptr, bytes, size, stream);
    }

    private nint AllocateFresh(long size, string op)
    {
        nint p;
        try
        {
            p = (nint)NativeMemory.AlignedAlloc((nuint)size, Alignment);
        }
        catch (OutOfMemoryException)
        {
            ReleaseCached();
            try { p = (nint)NativeMemory.AlignedAlloc((nuint)size, Alignment); }
            catch (OutOfMemoryException)
            {
                var s = Stats;
                throw new TesseraOutOfMemoryException(op,
                    $"could not allocate {size} bytes of host memory (in use {s.CurrentBytes}, reserved {s.ReservedBytes} bytes)");
            }
        }
        lock (_gate)
        {
            _allocations++;
            _reserved += size;
        }
        return p;
    }

    public void RecordUse(DeviceBuffer buffer, IStream stream)
    {
        // CPU streams run in line: every use has completed when the call returns.
    }

    public void Return(DeviceBuffer buffer)
    {
        lock (_gate)
        {
            _current -= buffer.ReservedBytes;
            if (!_free.TryGetValue(buffer.ReservedBytes, out var stack))
                _free[buffer.ReservedBytes] = stack = new Stack<nint>();
            stack.Push(buffer.Handle);
        }
    }

    public MemoryPoolStats Stats
    {
        get { lock (_gate) return new(_current, _peak, _reserved, _allocations, _rents, _hits, _releases); }
    }

    /// <summary>Resets the peak to the current usage (for measuring one phase).</summary>
    public void ResetPeak()
    {
        lock (_gate) _peak = _current;
    }

    public void ReleaseCached()
    {
        lock (_gate)
        {
            foreach (var (size, stack) in _free)
            {
                while (stack.Count > 0)
                {
                    NativeMemory.AlignedFree((void*)stack.Pop());
                    _reserved -= size;
                    _releases++;
                }
            }
            _free.Clear();
        }
    }

    public void Dispose() => ReleaseCached();
}
