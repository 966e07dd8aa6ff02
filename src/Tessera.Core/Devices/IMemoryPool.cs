namespace Tessera.Devices;

/// <summary>Where a device's memory comes from: a caching allocator that hands out <see cref="DeviceBuffer"/> leases.</summary>
public interface IMemoryPool
{
    /// <summary>Leases at least <paramref name="bytes"/> bytes, ordered on <paramref name="stream"/>.</summary>
    DeviceBuffer Rent(long bytes, IStream? stream = null);

    /// <summary>Records that <paramref name="buffer"/> is used on another stream (reuse waits for that stream).</summary>
    void RecordUse(DeviceBuffer buffer, IStream stream);

    /// <summary>Called by <see cref="DeviceBuffer.Dispose"/>; not for direct use.</summary>
    void Return(DeviceBuffer buffer);

    /// <summary>The pool's figures now (bytes in use and reserved, counters).</summary>
    MemoryPoolStats Stats { get; }

    /// <summary>Frees every cached block back to the system.</summary>
    void ReleaseCached();
}

/// <summary>A snapshot of a memory pool's counters.</summary>
/// <param name="CurrentBytes">Bytes leased out now (as reserved by size class).</param>
/// <param name="PeakBytes">Highest <paramref name="CurrentBytes"/> seen.</param>
/// <param name="ReservedBytes">Bytes held from the system: leased plus cached.</param>
/// <param name="Allocations">Allocations from the system (cache misses).</param>
/// <param name="Rents">Leases handed out.</param>
/// <param name="CacheHits">Leases served from the cache.</param>
/// <param name="Releases">Blocks freed back to the system.</param>
/// <param name="Trims">Blocks of those the pool's trim policy freed (high water, idle time; see <see cref="Memory.PoolTrimPolicy"/>).</param>
/// <param name="TrimmedBytes">Bytes those trimmed blocks held.</param>
public readonly record struct MemoryPoolStats(
    long CurrentBytes, long PeakBytes, long ReservedBytes, long Allocations, long Rents, long CacheHits, long Releases,
    long Trims = 0, long TrimmedBytes = 0)
{
    /// <summary>Bytes held from the system but not leased: the cache.</summary>
    public long CachedBytes => ReservedBytes - CurrentBytes;
}
