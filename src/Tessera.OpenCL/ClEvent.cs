using Tessera.Devices;
using Tessera.OpenCL.Interop;

namespace Tessera.OpenCL;

/// <summary>A marker in a queue (clEnqueueMarkerWithWaitList); timing through the queue's profiling counters.</summary>
public sealed unsafe class ClEvent : IEvent
{
    internal nint Handle;

    /// <inheritdoc/>
    public void Record(IStream stream)
    {
        if (stream is not ClQueue q) throw new TesseraDeviceException("ClEvent.Record", nameof(stream), "the stream is not an OpenCL queue");
        Release();
        nint e;
        Cl.clEnqueueMarkerWithWaitList(q.Handle, 0, null, &e).Check("clEnqueueMarkerWithWaitList");
        Handle = e;
    }

    /// <inheritdoc/>
    public void Synchronize()
    {
        if (Handle == 0) return;
        nint e = Handle;
        Cl.clWaitForEvents(1, &e).Check("clWaitForEvents");
    }

    /// <inheritdoc/>
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

    /// <inheritdoc/>
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
        if (Handle != 0) _ = Cl.clReleaseEvent(Handle); // cleanup: its status is dropped (see ClCheck)
        Handle = 0;
    }

    /// <inheritdoc/>
    public void Dispose() => Release();
}
