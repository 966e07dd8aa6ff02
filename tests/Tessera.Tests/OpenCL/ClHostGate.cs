using System.Runtime.InteropServices;
using Tessera.OpenCL;
using Tessera.OpenCL.Interop;

namespace Tessera.Tests.OpenCL;

/// <summary>An OpenCL user event (clCreateUserEvent) that a queue waits on until the host opens it: work enqueued behind
/// it is held on the device, so a test can see what is in flight on which queue without relying on timing.</summary>
internal sealed unsafe class ClHostGate : IDisposable
{
    private readonly ClEvent _event;
    private bool _open;

    public ClHostGate(ClDevice device)
    {
        nint lib = ClLibrary.Load();
        var create = (delegate* unmanaged<nint, int*, nint>)NativeLibrary.GetExport(lib, "clCreateUserEvent");
        int err;
        nint e = create(device.Context, &err);
        Assert.Equal(Cl.CL_SUCCESS, err);
        _event = new ClEvent { Handle = e };
    }

    /// <summary>Makes later work on <paramref name="queue"/> wait until <see cref="Open"/>.</summary>
    public void Hold(ClQueue queue) => queue.Wait(_event);

    /// <summary>Lets the held work run.</summary>
    public void Open()
    {
        if (_open) return;
        _open = true;
        var set = (delegate* unmanaged<nint, int, int>)NativeLibrary.GetExport(ClLibrary.Load(), "clSetUserEventStatus");
        Assert.Equal(Cl.CL_SUCCESS, set(_event.Handle, Cl.CL_COMPLETE));
    }

    /// <summary>Opens the gate (nothing may stay held: disposing a queue finishes it) and releases the event.</summary>
    public void Dispose()
    {
        Open();
        _event.Dispose();
    }
}
