using System.Runtime.InteropServices;
using Tessera.Devices;
using Tessera.Memory;

namespace Tessera.Cpu;

/// <summary>Caching allocator for host memory: the size-class pool (<see cref="SizeClassPool"/>) over 64-byte-aligned
/// native blocks. Size classes are the request rounded up to an eighth of its power of two (at most 25% waste, at
/// least 64 bytes). CPU streams run in line, so every block is reused on any stream. Thread-safe.</summary>
public sealed class CpuMemoryPool : IMemoryPool, IDisposable
{
    /// <summary>Alignment of every block (a cache line; also a Vector512).</summary>
    public const int Alignment = 64;

    private readonly SizeClassPool _pool = new(new AlignedHostMemory(), Alignment, nameof(CpuMemoryPool), "host memory");

    /// <summary>Requests above this many bytes are refused before any allocation is tried.</summary>
    public long MaxRequestBytes { get; init; } = 1L << 40;

    /// <summary>The size class of a request in bytes.</summary>
    public static long SizeClass(long bytes) => SizeClassPool.SizeClass(bytes, Alignment);

    /// <inheritdoc/>
    public DeviceBuffer Rent(long bytes, IStream? stream = null)
    {
        const string op = "CpuMemoryPool.Rent";
        if (bytes > MaxRequestBytes)
            throw new TesseraOutOfMemoryException(op, $"request of {bytes} bytes exceeds the pool's limit of {MaxRequestBytes} bytes");
        var block = _pool.Rent(bytes);
        return new DeviceBuffer(this, (nint)block.Address, bytes, block.Size, stream);
    }

    /// <inheritdoc/>
    public void RecordUse(DeviceBuffer buffer, IStream stream)
    {
        // CPU streams run in line: every use has completed when the call returns.
    }

    /// <inheritdoc/>
    public void Return(DeviceBuffer buffer) => _pool.Return(new PooledBlock((ulong)buffer.Handle, buffer.ReservedBytes, 0, Fresh: false));

    /// <summary>When cached blocks go back to the system (high water, idle time; see <see cref="PoolTrimPolicy"/>).</summary>
    public PoolTrimPolicy TrimPolicy { get => _pool.TrimPolicy; set => _pool.TrimPolicy = value; }

    /// <summary>This pool's limit on reserved bytes; null (the default): <see cref="MemoryLimits.MaxPoolBytes"/> of
    /// <see cref="MemoryLimits.Current"/>.</summary>
    public long? MaxBytes { get => _pool.MaxBytes; set => _pool.MaxBytes = value; }

    /// <inheritdoc/>
    public MemoryPoolStats Stats => _pool.Stats;

    /// <summary>Resets the peak to the current usage (for measuring one phase).</summary>
    public void ResetPeak() => _pool.ResetPeak();

    /// <inheritdoc/>
    public void ReleaseCached() => _pool.ReleaseCached();

    /// <inheritdoc/>
    public void Dispose() => _pool.Dispose();

    /// <summary>Native memory aligned to <see cref="Alignment"/>.</summary>
    private sealed unsafe class AlignedHostMemory : IRawAllocator
    {
        public bool TryAllocate(long bytes, out ulong address)
        {
            try
            {
                address = (ulong)NativeMemory.AlignedAlloc((nuint)bytes, Alignment);
                return true;
            }
            catch (OutOfMemoryException)
            {
                address = 0;
                return false;
            }
        }

        public void Free(ulong address) => NativeMemory.AlignedFree((void*)address);

        public long DeviceFreeBytes => -1;
    }
}
