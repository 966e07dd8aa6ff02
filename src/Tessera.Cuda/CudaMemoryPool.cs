using Tessera.Cuda.Interop;
using Tessera.Devices;
using Tessera.Memory;

namespace Tessera.Cuda;

/// <summary>
/// The device pool of a <see cref="CudaDevice"/>: <see cref="IMemoryPool"/> over the context's <see cref="CachingAllocator"/>
/// (cuMemAlloc segments, blocks reused per stream, cross-stream uses fenced with driver events). A buffer's handle is
/// its device address. UNTESTED ON A GPU.
/// </summary>
public sealed class CudaMemoryPool : IMemoryPool
{
    private readonly CudaDevice _device;

    internal CudaMemoryPool(CudaDevice device) => _device = device;

    /// <summary>The allocator underneath (segment snapshots, detailed statistics).</summary>
    public CachingAllocator Allocator => _device.Context.Memory;

    /// <inheritdoc/>
    public DeviceBuffer Rent(long bytes, IStream? stream = null)
    {
        const string op = "CudaMemoryPool.Rent";
        if (bytes < 0) throw new TesseraArgumentException(op, nameof(bytes), $"negative size {bytes}");
        var s = CudaStream.Of(stream, _device, op);
        var block = Allocator.Allocate(bytes, s.AllocatorId);
        return new DeviceBuffer(this, (nint)block.Address, bytes, block.Size, s);
    }

    /// <inheritdoc/>
    public void RecordUse(DeviceBuffer buffer, IStream stream)
    {
        var s = CudaStream.Of(stream, _device, "CudaMemoryPool.RecordUse");
        Allocator.RecordStream(BlockOf(buffer), s.AllocatorId);
    }

    /// <inheritdoc/>
    public void Return(DeviceBuffer buffer)
    {
        if (_holding != null && _holding.TryGetValue(this, out var held)) { held.Add(buffer); return; }
        Allocator.Free(BlockOf(buffer));
    }

    /// <summary>Per thread, the pools whose returns a graph capture on that thread holds, with the buffers held so far.
    /// Thread-static rather than a ThreadLocal field per pool: pools live as long as their shared device and nothing
    /// would dispose one.</summary>
    [ThreadStatic] private static Dictionary<CudaMemoryPool, List<DeviceBuffer>>? _holding;

    /// <summary>From now until <see cref="EndHold"/>, buffers this thread returns are kept instead of freed (a graph
    /// capture: the recorded work keeps using the memory at every replay).</summary>
    internal void BeginHold()
    {
        _holding ??= new Dictionary<CudaMemoryPool, List<DeviceBuffer>>();
        if (!_holding.TryAdd(this, new List<DeviceBuffer>()))
            throw new TesseraArgumentException("CudaMemoryPool", "capture", "this thread is already capturing a graph");
    }

    /// <summary>Stops holding and hands over the buffers this thread returned since <see cref="BeginHold"/>.</summary>
    internal List<DeviceBuffer> EndHold()
    {
        if (_holding == null || !_holding.Remove(this, out var held)) return new List<DeviceBuffer>();
        if (_holding.Count == 0) _holding = null;
        return held;
    }

    /// <summary>Frees buffers kept by a capture.</summary>
    internal void Release(IEnumerable<DeviceBuffer> held)
    {
        foreach (var b in held) Allocator.Free(BlockOf(b));
    }

    private CachedBlock BlockOf(DeviceBuffer buffer)
    {
        if (!ReferenceEquals(buffer.Pool, this))
            throw new TesseraDeviceException("CudaMemoryPool", nameof(buffer), "the buffer belongs to another memory pool");
        long stream = buffer.Stream is CudaStream s ? s.AllocatorId : _device.DefaultStream.AllocatorId;
        return new CachedBlock((ulong)buffer.Handle, buffer.ReservedBytes, buffer.Bytes, stream);
    }

    /// <inheritdoc/>
    public MemoryPoolStats Stats
    {
        get
        {
            var s = Allocator.Stats;
            return new MemoryPoolStats(s.AllocatedBytes, s.PeakAllocatedBytes, s.ReservedBytes, s.RawAllocations, s.Allocations, s.CacheHits, s.Releases);
        }
    }

    /// <inheritdoc/>
    public void ReleaseCached() => Allocator.ReleaseCached();
}

/// <summary>
/// Page-locked host buffers (cuMemHostAlloc) for host↔device copies: copies are staged through two buffers of
/// <see cref="ChunkBytes"/> so that the memcpy into one overlaps the DMA of the other. A buffer carries the event of its
/// last copy; it is reused only after that event completes. UNTESTED ON A GPU.
/// </summary>
internal sealed unsafe class PinnedStagingPool : IDisposable
{
    /// <summary>Size of each staging buffer.</summary>
    public const int ChunkBytes = 4 << 20;

    /// <summary>Buffers kept for reuse.</summary>
    public const int MaxCached = 8;

    private readonly CudaContext _context;
    private readonly Stack<Staging> _free = new();
    private readonly Lock _gate = new();
    private bool _disposed;

    public PinnedStagingPool(CudaContext context) => _context = context;

    internal sealed class Staging(byte* host, CuEvent done)
    {
        public readonly byte* Host = host;
        public readonly CuEvent Done = done;
        public bool Pending;
    }

    public Staging Rent()
    {
        Staging? s = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_free.Count > 0) s = _free.Pop();
        }
        if (s == null)
        {
            _context.MakeCurrent();
            void* p;
            var r = CuDriver.cuMemHostAlloc(&p, ChunkBytes, 0);
            if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY)
                throw new TesseraOutOfMemoryException("PinnedStagingPool.Rent", $"cuMemHostAlloc could not pin {ChunkBytes} bytes of host memory for a copy");
            r.Check($"cuMemHostAlloc(&p, {ChunkBytes}, 0)");
            s = new Staging((byte*)p, _context.CreateEvent(timing: false));
        }
        WaitIdle(s);
        return s;
    }

    /// <summary>Blocks until the buffer's last copy has finished.</summary>
    public static void WaitIdle(Staging s)
    {
        if (!s.Pending) return;
        CuDriver.cuEventSynchronize(s.Done).Check();
        s.Pending = false;
    }

    public void Return(Staging s)
    {
        lock (_gate)
        {
            if (!_disposed && _free.Count < MaxCached) { _free.Push(s); return; }
        }
        Destroy(s);
    }

    private void Destroy(Staging s)
    {
        _context.MakeCurrent();
        WaitIdle(s);
        CuDriver.cuEventDestroy_v2(s.Done).Check();
        CuDriver.cuMemFreeHost(s.Host).Check();
    }

    /// <summary>Host → device through the staging buffers. Returns once the bytes are staged (the DMA may still run;
    /// the staging buffers are fenced by their events).</summary>
    public void CopyToDevice(ReadOnlySpan<byte> source, CuDevicePtr destination, CuStream stream)
    {
        _context.MakeCurrent();
        var a = Rent();
        var b = source.Length > ChunkBytes ? Rent() : null;
        try
        {
            long done = 0;
            for (int k = 0; done < source.Length; k++)
            {
                var s = (k & 1) == 0 || b == null ? a : b;
                WaitIdle(s);
                int n = (int)Math.Min(ChunkBytes, source.Length - done);
                source.Slice((int)done, n).CopyTo(new Span<byte>(s.Host, n));
                CuDriver.cuMemcpyHtoDAsync_v2(destination.Offset(done), s.Host, (nuint)n, stream).Check();
                CuDriver.cuEventRecord(s.Done, stream).Check();
                s.Pending = true;
                done += n;
            }
        }
        finally
        {
            Return(a);
            if (b != null) Return(b);
        }
    }

    /// <summary>Device → host through the staging buffers; returns when every byte is in <paramref name="destination"/>.</summary>
    public void CopyToHost(CuDevicePtr source, Span<byte> destination, CuStream stream)
    {
        _context.MakeCurrent();
        var a = Rent();
        var b = destination.Length > ChunkBytes ? Rent() : null;
        try
        {
            // Chunk k is in flight while chunk k−1 is copied out of its staging buffer.
            long issued = 0, drained = 0;
            int prevLength = 0;
            Staging? prev = null;
            for (int k = 0; issued < destination.Length || prev != null; k++)
            {
                Staging? cur = null;
                int n = 0;
                if (issued < destination.Length)
                {
                    cur = (k & 1) == 0 || b == null ? a : b;
                    if (ReferenceEquals(cur, prev)) { Drain(prev!, destination, ref drained, prevLength); prev = null; }
                    n = (int)Math.Min(ChunkBytes, destination.Length - issued);
                    CuDriver.cuMemcpyDtoHAsync_v2(cur.Host, source.Offset(issued), (nuint)n, stream).Check();
                    CuDriver.cuEventRecord(cur.Done, stream).Check();
                    cur.Pending = true;
                    issued += n;
                }
                if (prev != null) Drain(prev, destination, ref drained, prevLength);
                prev = cur;
                prevLength = n;
            }
        }
        finally
        {
            Return(a);
            if (b != null) Return(b);
        }
    }

    private static void Drain(Staging s, Span<byte> destination, ref long drained, int length)
    {
        WaitIdle(s);
        new ReadOnlySpan<byte>(s.Host, length).CopyTo(destination.Slice((int)drained, length));
        drained += length;
    }

    public void Dispose()
    {
        Staging[] all;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            all = _free.ToArray();
            _free.Clear();
        }
        foreach (var s in all) Destroy(s);
    }
}
