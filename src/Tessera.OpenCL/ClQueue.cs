using Tessera.Devices;
using Tessera.OpenCL.Interop;

namespace Tessera.OpenCL;

/// <summary>An in-order OpenCL command queue (with profiling) as a Tessera stream.</summary>
public sealed unsafe class ClQueue : IStream
{
    private static long _nextPoolId;
    private readonly ClDevice _device;
    private nint _queue;

    internal ClQueue(ClDevice device)
    {
        _device = device;
        PoolId = Interlocked.Increment(ref _nextPoolId);
        int err;
        _queue = Cl.clCreateCommandQueue(device.Context, device.Info.Id, Cl.CL_QUEUE_PROFILING_ENABLE, &err);
        err.Check("clCreateCommandQueue");
    }

    /// <inheritdoc/>
    public IDevice Device => _device;

    /// <summary>The cl_command_queue.</summary>
    public nint Handle => _queue != 0 ? _queue : throw new TesseraDisposedException("ClQueue", "command queue");

    /// <summary>The stream id the memory pool orders buffer reuse by (unique per queue).</summary>
    internal long PoolId { get; }

    /// <summary>True once <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _queue) == 0;

    /// <inheritdoc/>
    public void Synchronize() => Cl.clFinish(Handle).Check("clFinish");

    /// <inheritdoc/>
    public void Wait(IEvent evt)
    {
        if (evt is not ClEvent e) throw new TesseraDeviceException("ClQueue.Wait", nameof(evt), "the event is not an OpenCL event");
        if (e.Handle == 0) return;
        nint h = e.Handle;
        Cl.clEnqueueBarrierWithWaitList(Handle, 1, &h, null).Check("clEnqueueBarrierWithWaitList");
    }

    /// <summary>Finishes the queue's work and releases it; its cached buffers and bound kernels go back to the device.</summary>
    public void Dispose()
    {
        nint q = Interlocked.Exchange(ref _queue, 0);
        if (q == 0) return;
        // Cleanup: the statuses are dropped (see ClCheck); Synchronize is where a failed queue reports.
        _ = Cl.clFinish(q);
        _device.Retire(this);
        _ = Cl.clReleaseCommandQueue(q);
    }
}
