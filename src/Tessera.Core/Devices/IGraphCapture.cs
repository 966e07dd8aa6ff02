namespace Tessera.Devices;

/// <summary>A device that can record the launches enqueued on a stream once and replay them as one unit (CUDA graphs):
/// replay skips the per-launch host cost. Scalars and addresses are frozen at capture; the memory the captured work
/// touches must stay allocated until the replayable work is disposed.</summary>
public interface IGraphCapture
{
    /// <summary>Runs <paramref name="enqueue"/> with <paramref name="stream"/> in capture mode and returns the recorded
    /// work: what <paramref name="enqueue"/> launches with the kernels bound to <paramref name="stream"/>
    /// (<see cref="IDevice.KernelsOn"/>). Nothing runs during capture; memory released inside <paramref name="enqueue"/>
    /// is held by the result until it is disposed, so replays never race with other users of that memory.</summary>
    IReplayableWork Capture(IStream stream, Action enqueue);
}

/// <summary>Recorded device work (a CUDA graph executable).</summary>
public interface IReplayableWork : IDisposable
{
    /// <summary>Kernel and copy nodes recorded.</summary>
    int NodeCount { get; }

    /// <summary>Enqueues the whole recorded work on <paramref name="stream"/> (the capture stream when null).</summary>
    void Replay(IStream? stream = null);
}

/// <summary>A device that can name ranges of its timeline for external profilers (NVTX for Nsight Systems).</summary>
public interface IRangeAnnotator
{
    /// <summary>True when a profiler library is loaded and ranges are recorded.</summary>
    bool RangesEnabled { get; }

    /// <summary>Opens a named range on the device's timeline.</summary>
    void PushRange(string name);

    /// <summary>Closes the innermost open range.</summary>
    void PopRange();
}
