using Tessera.Devices;
using Tessera.Memory;
using Tessera.OpenCL.Interop;

namespace Tessera.OpenCL;

/// <summary>Caching pool of cl_mem buffers: the size-class pool (<see cref="SizeClassPool"/>) over clCreateBuffer.
/// OpenCL has no pointer arithmetic on buffers, so blocks are never split: each lease is one cl_mem of a size class
/// (the request rounded up to an eighth of its power of two, at least 256 bytes) and goes back to the free list of its
/// class and queue on return. Reuse is ordered by the in-order queue a buffer was leased for (a buffer returned on one
/// queue is not handed to another while that queue may still use it); a buffer also used on another queue
/// (<see cref="RecordUse"/>) waits for that queue before it is reused. When the driver runs out, the queues are
/// finished, the cache is released and the allocation retried once. Thread-safe.</summary>
public sealed unsafe class ClMemoryPool : IMemoryPool, IDisposable
{
    /// <summary>Bytes of the guard band behind every buffer when <see cref="Guarded"/> is on.</summary>
    public const int GuardBytes = 1024;

    /// <summary>The byte pattern of guard bands.</summary>
    public const byte GuardPattern = 0xA5;

    /// <summary>The smallest size class.</summary>
    public const int MinClass = 256;

    /// <summary>Debug mode (environment <c>TESSERA_OPENCL_GUARD=1</c>): every buffer gets a guard band of
    /// <see cref="GuardBytes"/> behind its size class, filled with <see cref="GuardPattern"/>; the runtime checks the
    /// bands of a launch's buffers after the launch and names the kernel that wrote past the end. On CPU drivers
    /// (POCL) such a write would otherwise corrupt the host heap and surface later, far from its cause.</summary>
    public static bool Guarded { get; internal set; } = Environment.GetEnvironmentVariable("TESSERA_OPENCL_GUARD") == "1";

    private const string Op = "ClMemoryPool.Rent";
    private readonly ClDevice _device;
    private readonly SizeClassPool _pool;
    private readonly object _gate = new();
    private readonly Dictionary<nint, long> _guardAt = new();  // guarded buffers: where the band starts
    private readonly HashSet<nint> _live = new();             // every cl_mem this pool created and still holds
    private readonly Dictionary<nint, List<ClQueue>> _usedElsewhere = new();

    internal ClMemoryPool(ClDevice device)
    {
        _device = device;
        _pool = new SizeClassPool(new Buffers(this), MinClass, nameof(ClMemoryPool),
            $"device memory ({device.Info.GlobalMemory} bytes on {device.Info.Name})", device.FinishQueues);
    }

    /// <summary>The size class of a request in bytes.</summary>
    public static long SizeClass(long bytes) => SizeClassPool.SizeClass(bytes, MinClass);

    /// <inheritdoc/>
    public DeviceBuffer Rent(long bytes, IStream? stream = null)
    {
        if (bytes > _device.Info.MaxAllocation)
            throw new TesseraOutOfMemoryException(Op, $"request of {bytes} bytes exceeds the device's largest allocation ({_device.Info.MaxAllocation} bytes, CL_DEVICE_MAX_MEM_ALLOC_SIZE)");
        var queue = _device.Queue(stream, Op);
        var block = _pool.Rent(bytes, queue.PoolId);
        nint mem = (nint)block.Address;
        if (!block.Fresh && HasGuard(mem)) WriteGuard(mem, block.Size); // a fresh band, so a report always names the launch that wrote it
        return new DeviceBuffer(this, mem, bytes, block.Size, queue);
    }

    /// <inheritdoc/>
    public void RecordUse(DeviceBuffer buffer, IStream stream)
    {
        if (stream is not ClQueue q || ReferenceEquals(stream, buffer.Stream)) return;
        lock (_gate)
        {
            if (!_usedElsewhere.TryGetValue(buffer.Handle, out var list)) _usedElsewhere[buffer.Handle] = list = new List<ClQueue>();
            if (!list.Contains(q)) list.Add(q);
        }
    }

    /// <inheritdoc/>
    public void Return(DeviceBuffer buffer)
    {
        List<ClQueue>? others;
        lock (_gate) _usedElsewhere.Remove(buffer.Handle, out others);
        if (others != null) foreach (var q in others) if (!q.IsDisposed) q.Synchronize();
        // A queue that is gone has finished its work: its buffers are idle and serve the default queue.
        var owner = buffer.Stream is ClQueue { IsDisposed: false } bq ? bq : (ClQueue)_device.DefaultStream;
        _pool.Return(new PooledBlock((ulong)buffer.Handle, buffer.ReservedBytes, owner.PoolId, Fresh: false));
    }

    /// <summary>A queue is going away (its work has finished): its cached buffers serve the default queue from now on.</summary>
    internal void Retire(ClQueue queue) => _pool.MoveCached(queue.PoolId, ((ClQueue)_device.DefaultStream).PoolId);

    /// <summary>True when <paramref name="mem"/> is a cl_mem of this pool (a launch's check that a buffer argument
    /// belongs to this device: another device's handle would be undefined behaviour in the driver).</summary>
    internal bool Owns(nint mem)
    {
        lock (_gate) return _live.Contains(mem);
    }

    private bool HasGuard(nint mem) { lock (_gate) return _guardAt.ContainsKey(mem); }

    private void WriteGuard(nint mem, long at)
    {
        var band = new byte[GuardBytes];
        Array.Fill(band, GuardPattern);
        fixed (byte* b = band)
            Cl.clEnqueueWriteBuffer(((ClQueue)_device.DefaultStream).Handle, mem, 1, (nuint)at, GuardBytes, b, 0, null, null).Check("clEnqueueWriteBuffer(guard)");
    }

    /// <summary>In guarded mode: null when the guard band behind <paramref name="mem"/> is intact, else a description of
    /// the first overwritten byte. Synchronises the default queue.</summary>
    internal string? CheckGuard(nint mem)
    {
        long at;
        lock (_gate) if (!_guardAt.TryGetValue(mem, out at)) return null;
        var band = new byte[GuardBytes];
        fixed (byte* b = band)
            Cl.clEnqueueReadBuffer(((ClQueue)_device.DefaultStream).Handle, mem, 1, (nuint)at, GuardBytes, b, 0, null, null).Check("clEnqueueReadBuffer(guard)");
        int bad = Array.FindIndex(band, x => x != GuardPattern);
        if (bad < 0) return null;
        WriteGuard(mem, at); // reported once: restore the band so that a later report names a later launch
        return $"byte {bad} past the end of a {at}-byte buffer was overwritten (0x{band[bad]:x2})";
    }

    /// <summary>When cached blocks go back to the system (high water, idle time; see <see cref="PoolTrimPolicy"/>).</summary>
    public PoolTrimPolicy TrimPolicy { get => _pool.TrimPolicy; set => _pool.TrimPolicy = value; }

    /// <summary>This pool's limit on reserved bytes; null (the default): <see cref="MemoryLimits.MaxPoolBytes"/> of
    /// <see cref="MemoryLimits.Current"/>.</summary>
    public long? MaxBytes { get => _pool.MaxBytes; set => _pool.MaxBytes = value; }

    /// <inheritdoc/>
    public MemoryPoolStats Stats => _pool.Stats;

    /// <inheritdoc/>
    public void ReleaseCached() => _pool.ReleaseCached();

    /// <summary>Frees every cached buffer (the device's Dispose; buffers still leased go back to the driver on return).</summary>
    public void Dispose() => _pool.Dispose();

    /// <summary>cl_mem buffers of the device's context (with a guard band behind each in guarded mode).</summary>
    private sealed class Buffers(ClMemoryPool pool) : IRawAllocator
    {
        public bool TryAllocate(long bytes, out ulong address)
        {
            int err;
            bool guarded = Guarded;
            long physical = guarded ? bytes + GuardBytes : bytes;
            nint mem = Cl.clCreateBuffer(pool._device.Context, Cl.CL_MEM_READ_WRITE, (nuint)physical, null, &err);
            address = 0;
            if (err is Cl.CL_MEM_OBJECT_ALLOCATION_FAILURE or Cl.CL_OUT_OF_RESOURCES or Cl.CL_OUT_OF_HOST_MEMORY) return false;
            err.Check($"clCreateBuffer(size: {bytes})");
            lock (pool._gate)
            {
                pool._live.Add(mem);
                if (guarded) pool._guardAt[mem] = bytes;
            }
            if (guarded) pool.WriteGuard(mem, bytes);
            address = (ulong)mem;
            return true;
        }

        public void Free(ulong address)
        {
            nint mem = (nint)address;
            lock (pool._gate)
            {
                pool._guardAt.Remove(mem);
                pool._live.Remove(mem);
            }
            Cl.clReleaseMemObject(mem).Check("clReleaseMemObject");
        }

        public long DeviceFreeBytes => -1;
    }
}
