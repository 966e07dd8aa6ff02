using Tessera.Cuda.Interop;
using Tessera.Memory;

namespace Tessera.Cuda;

/// <summary>
/// The primary context of one device with its caching allocator over cuMemAlloc, streams and events.
/// UNTESTED ON A GPU: written against the driver API docs on a machine without one; the first GPU session must run
/// the CudaContext tests (they skip without a device).
/// </summary>
internal sealed unsafe class CudaContext : IDisposable
{
    private bool _disposed;

    private CudaContext(int ordinal, CuDevice device, CuContext context)
    {
        Ordinal = ordinal;
        Device = device;
        Context = context;
        Raw = new CudaRawAllocator(this);
        Memory = new CachingAllocator(Raw, new CudaEventSource(this));
    }

    public int Ordinal { get; }
    public CuDevice Device { get; }
    public CuContext Context { get; }
    public CachingAllocator Memory { get; }
    internal CudaRawAllocator Raw { get; }

    /// <summary>Retains the primary context of device <paramref name="ordinal"/> (the backend must be available).</summary>
    public static CudaContext Open(int ordinal = 0)
    {
        const string op = "CudaContext.Open";
        var backend = CudaBackend.Instance;
        if (!backend.Status.Available) throw new TesseraDeviceException(op, nameof(ordinal), $"CUDA is unavailable: {backend.Status.Reason}");
        if (ordinal < 0 || ordinal >= backend.DeviceCount)
            throw new TesseraDeviceException(op, nameof(ordinal), $"CUDA device {ordinal} does not exist ({backend.DeviceCount} present)");
        CuDevice dev;
        CuDriver.cuDeviceGet(&dev, ordinal).Check();
        CuContext ctx;
        CuDriver.cuDevicePrimaryCtxRetain(&ctx, dev).Check();
        CuDriver.cuCtxSetCurrent(ctx).Check();
        _currentOnThread = ctx.Value;
        return new CudaContext(ordinal, dev, ctx);
    }

    /// <summary>The context this thread last bound through <see cref="MakeCurrent"/> (saves a driver call per launch).</summary>
    [ThreadStatic] private static nint _currentOnThread;

    /// <summary>Binds the context to the calling thread (driver calls act on the current context).</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_currentOnThread == Context.Value) return;
        CuDriver.cuCtxSetCurrent(Context).Check();
        _currentOnThread = Context.Value;
    }

    public CuStream CreateStream(bool nonBlocking = true)
    {
        MakeCurrent();
        CuStream s;
        CuDriver.cuStreamCreate(&s, nonBlocking ? CuFlags.CU_STREAM_NON_BLOCKING : CuFlags.CU_STREAM_DEFAULT).Check();
        return s;
    }

    public void SynchronizeStream(CuStream stream)
    {
        MakeCurrent();
        CuDriver.cuStreamSynchronize(stream).Check();
    }

    /// <summary>Destroys a stream the caller has synchronised (<see cref="SynchronizeStream"/>).</summary>
    public void DestroyStream(CuStream stream)
    {
        MakeCurrent();
        CuDriver.cuStreamDestroy_v2(stream).Check();
    }

    public CuEvent CreateEvent(bool timing)
    {
        MakeCurrent();
        CuEvent e;
        CuDriver.cuEventCreate(&e, timing ? CuFlags.CU_EVENT_DEFAULT : CuFlags.CU_EVENT_DISABLE_TIMING).Check();
        return e;
    }

    /// <summary>Copies host bytes to device memory on a stream and waits for the copy (pageable source).</summary>
    public void CopyToDevice(ReadOnlySpan<byte> source, CuDevicePtr destination, CuStream stream)
    {
        MakeCurrent();
        fixed (byte* p = source)
        {
            CuDriver.cuMemcpyHtoDAsync_v2(destination, p, (nuint)source.Length, stream).Check();
            CuDriver.cuStreamSynchronize(stream).Check();
        }
    }

    /// <summary>Copies device memory to host bytes on a stream and waits for the copy.</summary>
    public void CopyToHost(CuDevicePtr source, Span<byte> destination, CuStream stream)
    {
        MakeCurrent();
        fixed (byte* p = destination)
        {
            CuDriver.cuMemcpyDtoHAsync_v2(p, source, (nuint)destination.Length, stream).Check();
            CuDriver.cuStreamSynchronize(stream).Check();
        }
    }

    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        CuDriver.cuMemGetInfo_v2(&free, &total).Check();
        return ((long)free, (long)total);
    }

    public void Dispose()
    {
        if (_disposed) return;
        MakeCurrent();
        Memory.Dispose();
        _disposed = true;
        _currentOnThread = 0;
        CuDriver.cuDevicePrimaryCtxRelease_v2(Device).Check();
    }
}

/// <summary>cuMemAlloc / cuMemFree as the caching allocator's raw allocator. Out of memory is reported, other errors thrown.</summary>
internal sealed unsafe class CudaRawAllocator(CudaContext context) : IRawAllocator
{
    public bool TryAllocate(long bytes, out ulong address)
    {
        context.MakeCurrent();
        CuDevicePtr p;
        var r = CuDriver.cuMemAlloc_v2(&p, (nuint)bytes);
        if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY) { address = 0; return false; }
        r.Check($"cuMemAlloc_v2(&p, {bytes})");
        address = p.Value;
        return true;
    }

    public void Free(ulong address)
    {
        context.MakeCurrent();
        CuDriver.cuMemFree_v2(new CuDevicePtr(address)).Check();
    }

    public long DeviceFreeBytes
    {
        get
        {
            nuint free, total;
            return CuDriver.cuMemGetInfo_v2(&free, &total) == CUresult.CUDA_SUCCESS ? (long)free : -1;
        }
    }
}

/// <summary>Records driver events on streams (stream id = the CUstream value) for the allocator's cross-stream frees.</summary>
internal sealed unsafe class CudaEventSource(CudaContext context) : IAllocatorEventSource
{
    public IAllocatorEvent Record(long streamId)
    {
        var e = context.CreateEvent(timing: false);
        CuDriver.cuEventRecord(e, new CuStream((nint)streamId)).Check();
        return new CudaAllocatorEvent(e);
    }

    private sealed class CudaAllocatorEvent(CuEvent e) : IAllocatorEvent
    {
        public bool IsComplete
        {
            get
            {
                var r = CuDriver.cuEventQuery(e);
                if (r == CUresult.CUDA_ERROR_NOT_READY) return false;
                r.Check("cuEventQuery(e)");
                return true;
            }
        }

        public void Synchronize() => CuDriver.cuEventSynchronize(e).Check();
        public void Dispose() => CuDriver.cuEventDestroy_v2(e).Check();
    }
}
