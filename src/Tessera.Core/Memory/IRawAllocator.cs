namespace Tessera.Memory;

/// <summary>
/// The memory a <see cref="CachingAllocator"/> carves blocks from: device memory (cuMemAlloc) on a GPU, a fake in tests.
/// Addresses are opaque 64-bit values; the allocator never dereferences them.
/// </summary>
public interface IRawAllocator
{
    /// <summary>Reserves <paramref name="bytes"/>; false when the device is out of memory (any other failure throws).</summary>
    bool TryAllocate(long bytes, out ulong address);

    /// <summary>Returns a reservation made by <see cref="TryAllocate"/>.</summary>
    void Free(ulong address);

    /// <summary>Free memory on the device as the driver reports it, or -1 when unknown (for out-of-memory messages).</summary>
    long DeviceFreeBytes { get; }
}

/// <summary>A marker recorded on a stream; complete once the work queued before it has finished.</summary>
public interface IAllocatorEvent : IDisposable
{
    /// <summary>True when the work before the event has completed (does not block).</summary>
    bool IsComplete { get; }

    /// <summary>Blocks until the event has completed.</summary>
    void Synchronize();
}

/// <summary>Records events on streams for the allocator's cross-stream bookkeeping. Streams are identified by a 64-bit id.</summary>
public interface IAllocatorEventSource
{
    /// <summary>Records a new event on the stream with this id.</summary>
    IAllocatorEvent Record(long streamId);
}
