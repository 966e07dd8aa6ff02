using System.Numerics;
using Tessera.Devices;
using Tessera.OpenCL.Interop;

namespace Tessera.OpenCL;

/// <summary>Caching pool of cl_mem buffers. OpenCL has no pointer arithmetic on buffers, so blocks are never split: each
/// lease is one cl_mem of a size class (the request rounded up to an eighth of its power of two, at least 256 bytes)
/// and goes back to its class's free list on return. Reuse is ordered by the in-order queue a buffer was leased for;
/// a buffer also used on another queue (<see cref="RecordUse"/>) waits for that queue before it is reused. When the
/// driver runs out, the cache is released and the allocation retried once. Thread-safe.</summary>
public sealed unsafe class ClMemoryPool : IMemoryPool
{
    /// <summary>Bytes of the guard band behind every buffer when <see cref="Guarded"/> is on.</summary>
    public const int GuardBytes = 1024;

    /// <summary>The byte pattern of guard bands.</summary>
    public const byte GuardPattern = 0xA5;

    /// <summary>Debug mode (environment <c>TESSERA_OPENCL_GUARD=1</c>): every buffer gets a guard band of
    /// <see cref="GuardBytes"/> behind its size class, filled with <see cref="GuardPattern"/>; the runtime checks the
    /// bands of a launch's buffers after the launch and names the kernel that wrote past the end. On CPU drivers
    /// (POCL) such a write would otherwise corrupt the host heap and surface later, far from its cause.</summary>
    public static bool Guarded { get; internal set; } = Environment.GetEnvironmentVariable("TESSERA_OPENCL_GUARD") == "1";

    private readonly Dictionary<nint, long> _guardAt = new();
    private readonly HashSet<nint> _live = new();            // every cl_mem this pool created and still holds

    private const string Op = "ClMemoryPool.Rent";
    private readonly ClDevice _device;
    private readonly object _gate = new();
    private readonly Dictionary<long, Stack<nint>> _free = new();
    private readonly Dictionary<nint, List<ClQueue>> _usedElsewhere = new();
    private long _current, _peak, _reserved, _allocations, _rents, _hits, _releases;

    internal ClMemoryPool(ClDevice device) => _device = device;

    /// <summary>The size class of a request in bytes.</summary>
    public static long SizeClass(long bytes)
    {
        if (bytes <= 256) return 256;
        ulong pow = BitOperations.RoundUpToPowerOf2((ulong)bytes);
        long step = Math.Max(256, (long)(pow / 8));
        return (bytes + step - 1) / step * step;
    }

    public DeviceBuffer Rent(long bytes, IStream? stream = null)
    {
        if (bytes < 0) throw new TesseraArgumentException(Op, nameof(bytes), $"negative size {bytes}");
        if (bytes > _device.Info.MaxAllocation)
            throw new TesseraOutOfMemoryException(Op, $"request of {bytes} bytes exceeds the device's largest allocation ({_device.Info.MaxAllocation} bytes, CL_DEVICE_MAX_MEM_ALLOC_SIZE)");
        long size = SizeClass(bytes);
        nint mem = 0;
        lock (_gate)
        {
            _rents++;
            if (_free.TryGetValue(size, out var stack) && stack.Count > 0) { mem = stack.Pop(); _hits++; }
        }
        if (mem == 0) mem = Allocate(size);
        else if (HasGuard(mem)) WriteGuard(mem, size); // a fresh band, so a report always names the launch that wrote it
        lock (_gate)
        {
            _current += size;
            if (_current > _peak) _peak = _current;
        }
        return new DeviceBuffer(this, mem, bytes, size, stream ?? _device.DefaultStream);
    }

    private nint Allocate(long size)
    {
        int err;
        long physical = Guarded ? size + GuardBytes : size;
        nint mem = Cl.clCreateBuffer(_device.Context, Cl.CL_MEM_READ_WRITE, (nuint)physical, null, &err);
        if (err is Cl.CL_MEM_OBJECT_ALLOCATION_FAILURE or Cl.CL_OUT_OF_RESOURCES or Cl.CL_OUT_OF_HOST_MEMORY)
        {
            ReleaseCached();
            mem = Cl.clCreateBuffer(_device.Context, Cl.CL_MEM_READ_WRITE, (nuint)physical, null, &err);
            if (err != Cl.CL_SUCCESS)
                throw new TesseraOutOfMemoryException(Op, $"out of device memory: requested {size} bytes; pool holds {Stats.ReservedBytes} bytes, " +
                    $"{Stats.CurrentBytes} leased; device has {_device.Info.GlobalMemory} bytes ({ClCheck.Name(err)})");
        }
        err.Check($"clCreateBuffer(size: {size})");
        lock (_gate) { _allocations++; _reserved += size; _live.Add(mem); }
        if (Guarded)
        {
            WriteGuard(mem, size);
            lock (_gate) _guardAt[mem] = size;
        }
        return mem;
    }

    public void RecordUse(DeviceBuffer buffer, IStream stream)
    {
        if (stream is not ClQueue q || ReferenceEquals(stream, buffer.Stream)) return;
        lock (_gate)
        {
            if (!_usedElsewhere.TryGetValue(buffer.Handle, out var list)) _usedElsewhere[buffer.Handle] = list = new List<ClQueue>();
            if (!list.Contains(q)) list.Add(q);
        }
    }

    public void Return(DeviceBuffer buffer)
    {
        List<ClQueue>? others;
        lock (_gate) _usedElsewhere.Remove(buffer.Handle, out others);
        if (others != null) foreach (var q in others) q.Synchronize();
        lock (_gate)
        {
            _current -= buffer.ReservedBytes;
            if (!_free.TryGetValue(buffer.ReservedBytes, out var stack)) _free[buffer.ReservedBytes] = stack = new Stack<nint>();
            stack.Push(buffer.Handle);
        }
    }

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

    public MemoryPoolStats Stats
    {
        get { lock (_gate) return new MemoryPoolStats(_current, _peak, _reserved, _allocations, _rents, _hits, _releases); }
    }

    public void ReleaseCached()
    {
        _device.DefaultStream.Synchronize();
        lock (_gate)
        {
            foreach (var (size, stack) in _free)
                while (stack.Count > 0)
                {
                    nint m = stack.Pop();
                    _guardAt.Remove(m);
                    _live.Remove(m);
                    Cl.clReleaseMemObject(m).Check("clReleaseMemObject");
                    _reserved -= size;
                    _releases++;
                }
            _free.Clear();
        }
    }
}
