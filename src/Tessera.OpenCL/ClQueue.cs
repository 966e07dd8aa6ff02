using Tessera.Devices;
using Tessera.OpenCL.Interop;

namespace Tessera.OpenCL;

/// <summary>An in-order OpenCL command queue (with profiling) as a Tessera stream.</summary>
public sealed unsafe class ClQueue : IStream
{
    private readonly ClDevice _device;
    private nint _queue;

    internal ClQueue(ClDevice device)
    {
        _device = device;
        int err;
        _queue = Cl.clCreateCommandQueue(device.Context, device.Info.Id, Cl.CL_QUEUE_PROFILING_ENABLE, &err);
        err.Check("clCreateCommandQueue");
    }

    public IDevice Device => _device;

    /// <summary>The cl_command_queue.</summary>
    public nint Handle => _queue != 0 ? _queue : throw new TesseraDisposedException("ClQueue", "command queue");

    public void Synchronize() => Cl.clFinish(Handle).Check("clFinish");

    public void Wait(IEvent evt)
    {
        if (evt is not ClEvent e) throw new TesseraDeviceException("ClQueue.Wait", nameof(evt), "the event is not an OpenCL event");
        if (e.Handle == 0) return;
        nint h = e.Handle;
        Cl.clEnqueueBarrierWithWaitList(Handle, 1, &h, null).Check("clEnqueueBarrierWithWaitList");
    }

    public void Dispose()
    {
        if (_queue == 0) return;
        Cl.clFinish(_queue);
        Cl.clReleaseCommandQueue(_queue);
        _queue = 0;
    }
}

/// <summary>A marker in a queue (clEnqueueMarkerWithWaitList); timing through the queue's profiling counters.</summary>
public sealed unsafe class ClEvent : IEvent
{
    internal nint Handle;

    public void Record(IStream stream)
    {
        if (stream is not ClQueue q) throw new TesseraDeviceException("ClEvent.Record", nameof(stream), "the stream is not an OpenCL queue");
        Release();
        nint e;
        Cl.clEnqueueMarkerWithWaitList(q.Handle, 0, null, &e).Check("clEnqueueMarkerWithWaitList");
        Handle = e;
    }

    public void Synchronize()
    {
        if (Handle == 0) return;
        nint e = Handle;
        Cl.clWaitForEvents(1, &e).Check("clWaitForEvents");
    }

    public bool IsCompleted
    {
        get
        {
            if (Handle == 0) return true;
            int status;
            Cl.clGetEventInfo(Handle, Cl.CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(int), &status, null).Check("clGetEventInfo");
            return status <= Cl.CL_COMPLETE;
        }
    }

    public double ElapsedMillisecondsSince(IEvent start)
    {
        if (start is not ClEvent s || s.Handle == 0 || Handle == 0)
            throw new TesseraArgumentException("ClEvent.ElapsedMillisecondsSince", nameof(start), "both events must be recorded OpenCL events");
        s.Synchronize();
        Synchronize();
        return (End(Handle) - End(s.Handle)) / 1e6;
    }

    private static ulong End(nint e)
    {
        ulong t;
        Cl.clGetEventProfilingInfo(e, Cl.CL_PROFILING_COMMAND_END, sizeof(ulong), &t, null).Check("clGetEventProfilingInfo");
        return t;
    }

    private void Release()
    {
        if (Handle != 0) Cl.clReleaseEvent(Handle);
        Handle = 0;
    }

    public void Dispose() => Release();
}
