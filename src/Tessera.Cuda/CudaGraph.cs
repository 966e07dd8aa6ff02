using Tessera.Cuda.Interop;

namespace Tessera.Cuda;

/// <summary>
/// A CUDA graph captured from a stream (cuStreamBeginCapture_v2 … cuStreamEndCapture, instantiated with
/// cuGraphInstantiateWithFlags) and replayed with <see cref="Launch"/> (cuGraphLaunch): the launches, cuBLASLt and
/// cuDNN calls and device copies the body enqueued, without the per-launch host cost.
/// <para>The graph holds raw device addresses: every tensor the body touched (inputs, outputs, scratch, workspaces)
/// must stay allocated and unchanged in place while the graph is replayed. Run the body once before capturing so that
/// modules are loaded, heuristics are cached and the pool serves allocations from its cache; do not read results
/// to the host or synchronise inside the body (capture forbids it).</para>
/// UNTESTED ON A GPU.
/// </summary>
public sealed unsafe class CudaGraph : IDisposable
{
    private CuGraph _graph;
    private CuGraphExec _exec;

    private CudaGraph(CudaDevice device, CuGraph graph, CuGraphExec exec)
    {
        Device = device;
        _graph = graph;
        _exec = exec;
    }

    public CudaDevice Device { get; }

    /// <summary>Captures what <paramref name="body"/> enqueues on <paramref name="stream"/> (a created stream, not the
    /// default one: the device's launch stream is switched to it for the duration). Relaxed mode by default, so that the
    /// allocator's event queries on this thread do not invalidate the capture.</summary>
    internal static CudaGraph Capture(CudaDevice device, CudaStream stream, Action body, CUstreamCaptureMode mode)
    {
        const string op = "CudaGraph.Capture";
        ArgumentNullException.ThrowIfNull(body);
        device.Context.MakeCurrent();
        var previous = device.Runtime.Stream;
        CuDriver.cuStreamBeginCapture_v2(stream.Handle, mode).Check($"cuStreamBeginCapture_v2({stream}, {mode})");
        CuGraph graph = default;
        bool ended = false;
        try
        {
            device.Runtime.Stream = stream;
            body();
            device.Runtime.Stream = previous;
            ended = true;
            var r = CuDriver.cuStreamEndCapture(stream.Handle, &graph);
            if (r != CUresult.CUDA_SUCCESS)
                throw new TesseraBackendException(op, $"stream capture failed ({CudaCheck.Error(r, "cuStreamEndCapture").Message}); " +
                    "the body probably synchronised, copied to the host or used another stream without ordering it after the capture stream");
            CuGraphExec exec;
            CuDriver.cuGraphInstantiateWithFlags(&exec, graph, 0).Check("cuGraphInstantiateWithFlags");
            return new CudaGraph(device, graph, exec);
        }
        catch
        {
            device.Runtime.Stream = previous;
            if (!ended)
            {
                CuGraph discard;
                if (CuDriver.cuStreamEndCapture(stream.Handle, &discard) == CUresult.CUDA_SUCCESS && !discard.IsNull) CuDriver.cuGraphDestroy(discard);
            }
            else if (!graph.IsNull) CuDriver.cuGraphDestroy(graph);
            throw;
        }
    }

    /// <summary>Replays the graph on <paramref name="stream"/> (the device's launch stream when null).</summary>
    public void Launch(Tessera.Devices.IStream? stream = null)
    {
        ObjectDisposedException.ThrowIf(_exec.IsNull, this);
        var s = stream == null ? Device.Runtime.CurrentStream : CudaStream.Of(stream, Device, "CudaGraph.Launch");
        Device.Context.MakeCurrent();
        CuDriver.cuGraphLaunch(_exec, s.Handle).Check();
    }

    public void Dispose()
    {
        if (_exec.IsNull) return;
        Device.Context.MakeCurrent();
        CuDriver.cuGraphExecDestroy(_exec).Check();
        CuDriver.cuGraphDestroy(_graph).Check();
        _exec = default;
        _graph = default;
    }
}
