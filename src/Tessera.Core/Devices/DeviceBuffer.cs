namespace Tessera.Devices;

/// <summary>A block of device memory leased from an <see cref="IMemoryPool"/>. Disposing it returns it to the pool.</summary>
public sealed class DeviceBuffer : IDisposable
{
    private int _disposed;

    /// <summary>A lease of <paramref name="bytes"/> (of <paramref name="reservedBytes"/> reserved) at <paramref name="handle"/> from <paramref name="pool"/>, used in the order of <paramref name="stream"/> (null: the default stream).</summary>
    public DeviceBuffer(IMemoryPool pool, nint handle, long bytes, long reservedBytes, IStream? stream)
    {
        Pool = pool;
        Handle = handle;
        Bytes = bytes;
        ReservedBytes = reservedBytes;
        Stream = stream;
    }

    /// <summary>The pool the buffer returns to when disposed.</summary>
    public IMemoryPool Pool { get; }

    /// <summary>The address: a host pointer on the CPU, a device pointer on GPUs, a cl_mem on OpenCL.</summary>
    public nint Handle { get; }

    /// <summary>Bytes requested.</summary>
    public long Bytes { get; }

    /// <summary>Bytes actually held (the request rounded to the pool's size class).</summary>
    public long ReservedBytes { get; }

    /// <summary>The stream the buffer was allocated for (reuse is ordered on it).</summary>
    public IStream? Stream { get; }

    /// <summary>Whether the buffer has gone back to its pool.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Returns the buffer to its pool. Idempotent and thread-safe.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) Pool.Return(this);
    }
}
