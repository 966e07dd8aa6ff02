using Tessera.Cuda.Interop;
using Tessera.Devices;

namespace Tessera.Cuda;

/// <summary>
/// A CUDA graph captured from a stream (cuStreamBeginCapture_v2 … cuStreamEndCapture, instantiated with
/// cuGraphInstantiateWithFlags) and replayed with <see cref="Replay"/> (cuGraphLaunch): the launches, cuBLASLt and cuDNN
/// calls and device copies the body enqueued, without the per-launch host cost.
/// <para>The graph holds raw device addresses. Buffers released inside the body (scratch, workspaces, temporaries)
/// are kept by the graph and go back to the pool when it is disposed (after a device synchronisation); every other
/// tensor the body touched must stay allocated while the graph is replayed. Run the body once before capturing so that
/// modules are loaded, heuristics are cached and the pool serves from its cache; do not read results to the host or
/// synchronise inside the body (capture forbids it). Capture mode is relaxed by default, so that the allocator's event
/// queries and cuMemAlloc do not invalidate the capture. Launches go to the stream their kernels are bound to, so the
/// body launches with the kernels of the capture stream (<see cref="CudaDevice.KernelsOn"/>); only the capturing
/// thread's buffer releases are held, and other threads keep running on their own streams.</para>
/// UNTESTED ON A GPU.
/// </summary>
public sealed unsafe class CudaGraph : IReplayableWork
{
    private CuGraph _graph;
    private CuGraphExec _exec;
    private List<DeviceBuffer> _held;

    private CudaGraph(CudaDevice device, CudaStream stream, CuGraph graph, CuGraphExec exec, List<DeviceBuffer> held)
    {
        Device = device;
        CaptureStream = stream;
        _graph = graph;
        _exec = exec;
        _held = held;
        nuint n = 0;
        NodeCount = CuDriver.cuGraphGetNodes(graph, null, &n) == CUresult.CUDA_SUCCESS ? (int)n : -1;
    }

    /// <inheritdoc/>
    public CudaDevice Device { get; }

    /// <summary>The stream the work was captured on (replays go there by default).</summary>
    public CudaStream CaptureStream { get; }

    /// <summary>Nodes in the graph (kernels, copies, library calls expand to their kernels); −1 if the driver did not say.</summary>
    public int NodeCount { get; }

    /// <summary>Buffers the graph keeps for its replays.</summary>
    public int HeldBuffers => _held.Count;

    internal static CudaGraph Capture(CudaDevice device, CudaStream stream, Action body, CUstreamCaptureMode mode)
    {
        const string op = "CudaGraph.Capture";
        ArgumentNullException.ThrowIfNull(body);
        device.Context.MakeCurrent();
        device.Memory.BeginHold();
        var r0 = CuDriver.cuStreamBeginCapture_v2(stream.Handle, mode);
        if (r0 != CUresult.CUDA_SUCCESS)
        {
            device.Memory.Release(device.Memory.EndHold());
            r0.Check($"cuStreamBeginCapture_v2({stream}, {mode})");
        }
        CuGraph graph = default;
        bool ended = false;
        try
        {
            body();
            ended = true;
            var r = CuDriver.cuStreamEndCapture(stream.Handle, &graph);
            if (r != CUresult.CUDA_SUCCESS)
                throw new TesseraBackendException(op, $"stream capture failed ({CudaCheck.Error(r, "cuStreamEndCapture").Message}); " +
                    "the body probably synchronised, copied to the host or used another stream without ordering it after the capture stream");
            CuGraphExec exec;
            CuDriver.cuGraphInstantiateWithFlags(&exec, graph, 0).Check("cuGraphInstantiateWithFlags");
            return new CudaGraph(device, stream, graph, exec, device.Memory.EndHold());
        }
        catch
        {
            if (!ended)
            {
                CuGraph discard;
                if (CuDriver.cuStreamEndCapture(stream.Handle, &discard) == CUresult.CUDA_SUCCESS && !discard.IsNull) CuDriver.cuGraphDestroy(discard);
            }
            else if (!graph.IsNull) CuDriver.cuGraphDestroy(graph);
            device.Memory.Release(device.Memory.EndHold());   // nothing ran: the memory is free again
            throw;
        }
    }

    /// <summary>Enqueues the recorded work on <paramref name="stream"/> (the capture stream when null).</summary>
    public void Replay(IStream? stream = null)
    {
        ObjectDisposedException.ThrowIf(_exec.IsNull, this);
        var s = stream == null ? CaptureStream : CudaStream.Of(stream, Device, "CudaGraph.Replay");
        Device.Context.MakeCurrent();
        CuDriver.cuGraphLaunch(_exec, s.Handle).Check();
    }

    /// <summary>Waits for the device (replays may still run), destroys the graph and returns its held buffers to the pool.</summary>
    public void Dispose()
    {
        if (_exec.IsNull) return;
        Device.Context.MakeCurrent();
        CuDriver.cuCtxSynchronize().Check();
        CuDriver.cuGraphExecDestroy(_exec).Check();
        CuDriver.cuGraphDestroy(_graph).Check();
        _exec = default;
        _graph = default;
        Device.Memory.Release(_held);
        _held = new List<DeviceBuffer>();
    }
}
