using Tessera.Cuda.Interop;
using Tessera.Devices;

namespace Tessera.Cuda;

/// <summary>
/// A CUDA stream of a <see cref="CudaDevice"/> (non-blocking: it does not synchronise with the legacy null stream).
/// UNTESTED ON A GPU.
/// </summary>
public sealed class CudaStream : IStream
{
    private readonly bool _owned;
    private int _disposed;

    internal CudaStream(CudaDevice device, CuStream handle, bool owned)
    {
        Device = device;
        Handle = handle;
        _owned = owned;
    }

    /// <inheritdoc/>
    public CudaDevice Device { get; }
    IDevice IStream.Device => Device;

    /// <summary>The CUstream.</summary>
    internal CuStream Handle { get; }

    /// <summary>The stream id the caching allocator keys blocks by (the CUstream value).</summary>
    internal long AllocatorId => Handle.Value;

    /// <inheritdoc/>
    public void Synchronize()
    {
        ThrowIfDisposed("CudaStream.Synchronize");
        Device.Context.MakeCurrent();
        CuDriver.cuStreamSynchronize(Handle).Check();
    }

    /// <summary>Later work on this stream waits for <paramref name="evt"/> (cuStreamWaitEvent; the host does not block).</summary>
    public void Wait(IEvent evt)
    {
        const string op = "CudaStream.Wait";
        ThrowIfDisposed(op);
        if (evt is not CudaEvent e) throw new TesseraDeviceException(op, nameof(evt), $"{evt.GetType().Name} is not a CUDA event");
        Device.Context.MakeCurrent();
        CuDriver.cuStreamWaitEvent(Handle, e.Handle, 0).Check();
    }

    /// <summary>The stream as a CUDA stream of <paramref name="device"/>, or a clear error.</summary>
    internal static CudaStream Of(IStream? stream, CudaDevice device, string op)
    {
        if (stream == null) return device.DefaultStream;
        if (stream is not CudaStream s) throw new TesseraDeviceException(op, "stream", $"{stream.GetType().Name} is not a CUDA stream");
        if (!ReferenceEquals(s.Device, device)) throw new TesseraDeviceException(op, "stream", $"the stream belongs to {s.Device.Id}, not {device.Id}");
        s.ThrowIfDisposed(op);
        return s;
    }

    private void ThrowIfDisposed(string op)
    {
        if (Volatile.Read(ref _disposed) != 0) throw new TesseraDisposedException(op, "CUDA stream");
    }

    /// <summary>Waits for the stream's work and destroys it, releasing the state of its kernels (the device's default
    /// stream is not destroyed).</summary>
    public void Dispose()
    {
        if (!_owned) return;
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Buffers used on this stream may be freed after it is gone: once its work is done they no longer wait for it
        // (an event recorded on a destroyed stream is undefined behaviour: it crashed the process on an H200).
        Device.Context.SynchronizeStream(Handle);
        Device.Context.Memory.ForgetStream(AllocatorId);
        Device.Context.DestroyStream(Handle);
        Device.Retire(this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"CudaStream({Device.Id}, 0x{Handle.Value:x})";
}

/// <summary>
/// A CUDA event: cross-stream ordering (<see cref="CudaStream.Wait"/>) and, when created with timing, elapsed time
/// between two events (cuEventElapsedTime_v2, falling back to the pre-12.8 export). UNTESTED ON A GPU.
/// </summary>
public sealed unsafe class CudaEvent : IEvent
{
    private static int _elapsedV1;   // 1 once the driver lacked cuEventElapsedTime_v2
    private int _disposed;
    private bool _recorded;

    internal CudaEvent(CudaDevice device, bool timing)
    {
        Device = device;
        Timing = timing;
        Handle = device.Context.CreateEvent(timing);
    }

    /// <inheritdoc/>
    public CudaDevice Device { get; }
    internal CuEvent Handle { get; }
    /// <summary>Whether the event records a timestamp (for <see cref="ElapsedMillisecondsSince"/>).</summary>
    public bool Timing { get; }

    /// <inheritdoc/>
    public void Record(IStream stream)
    {
        var s = CudaStream.Of(stream, Device, "CudaEvent.Record");
        ThrowIfDisposed("CudaEvent.Record");
        Device.Context.MakeCurrent();
        CuDriver.cuEventRecord(Handle, s.Handle).Check();
        _recorded = true;
    }

    /// <inheritdoc/>
    public void Synchronize()
    {
        ThrowIfDisposed("CudaEvent.Synchronize");
        CuDriver.cuEventSynchronize(Handle).Check();
    }

    /// <inheritdoc/>
    public bool IsCompleted
    {
        get
        {
            ThrowIfDisposed("CudaEvent.IsCompleted");
            var r = CuDriver.cuEventQuery(Handle);
            if (r == CUresult.CUDA_ERROR_NOT_READY) return false;
            r.Check("cuEventQuery(event)");
            return true;
        }
    }

    /// <inheritdoc/>
    public double ElapsedMillisecondsSince(IEvent start)
    {
        const string op = "CudaEvent.ElapsedMillisecondsSince";
        ThrowIfDisposed(op);
        if (start is not CudaEvent s) throw new TesseraDeviceException(op, nameof(start), $"{start.GetType().Name} is not a CUDA event");
        if (!Timing || !s.Timing) throw new TesseraArgumentException(op, nameof(start), "both events must be created with timing: true");
        if (!_recorded || !s._recorded) throw new TesseraArgumentException(op, nameof(start), "both events must have been recorded");
        Synchronize();
        float ms = 0;
        if (Volatile.Read(ref _elapsedV1) == 0)
        {
            try
            {
                CuDriver.cuEventElapsedTime_v2(&ms, s.Handle, Handle).Check();
                return ms;
            }
            catch (EntryPointNotFoundException) { Volatile.Write(ref _elapsedV1, 1); }
        }
        CuDriver.cuEventElapsedTime(&ms, s.Handle, Handle).Check();
        return ms;
    }

    private void ThrowIfDisposed(string op)
    {
        if (Volatile.Read(ref _disposed) != 0) throw new TesseraDisposedException(op, "CUDA event");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Device.Context.MakeCurrent();
        CuDriver.cuEventDestroy_v2(Handle).Check();
    }
}
