using System.Diagnostics;
using Tessera.Devices;

namespace Tessera.Cpu;

/// <summary>A CPU stream: an ordered in-line queue. Work runs on the calling thread when it is enqueued, so
/// everything enqueued has finished by the time the call returns.</summary>
public sealed class CpuStream : IStream
{
    internal CpuStream(CpuDevice device) => Device = device;

    /// <inheritdoc/>
    public IDevice Device { get; }

    /// <inheritdoc/>
    public void Synchronize() { }

    /// <inheritdoc/>
    public void Wait(IEvent evt)
    {
        if (evt is not CpuEvent) throw new TesseraDeviceException("CpuStream.Wait", nameof(evt), $"{evt.GetType().Name} is not a CPU event");
    }

    /// <inheritdoc/>
    public void Dispose() { }
}

/// <summary>A CPU event: records the wall-clock time (Stopwatch ticks) at which it was recorded.</summary>
public sealed class CpuEvent : IEvent
{
    private long _timestamp = -1;

    /// <summary>Stopwatch timestamp of the last <see cref="Record"/>, or −1.</summary>
    public long Timestamp => _timestamp;

    /// <inheritdoc/>
    public void Record(IStream stream) => _timestamp = Stopwatch.GetTimestamp();

    /// <inheritdoc/>
    public void Synchronize() { }

    /// <inheritdoc/>
    public bool IsCompleted => _timestamp >= 0;

    /// <inheritdoc/>
    public double ElapsedMillisecondsSince(IEvent start)
    {
        const string op = "CpuEvent.ElapsedMillisecondsSince";
        if (start is not CpuEvent s) throw new TesseraDeviceException(op, nameof(start), "is not a CPU event");
        if (s._timestamp < 0 || _timestamp < 0) throw new TesseraArgumentException(op, nameof(start), "both events must have been recorded");
        return (_timestamp - s._timestamp) * 1000.0 / Stopwatch.Frequency;
    }

    /// <inheritdoc/>
    public void Dispose() { }
}
