namespace Tessera.Devices;

/// <summary>An ordered queue of work on a device.</summary>
public interface IStream : IDisposable
{
    /// <summary>The device the stream belongs to.</summary>
    IDevice Device { get; }

    /// <summary>Blocks until everything enqueued so far has finished.</summary>
    void Synchronize();

    /// <summary>Makes later work on this stream wait for <paramref name="evt"/>.</summary>
    void Wait(IEvent evt);
}

/// <summary>A marker in a stream: for ordering between streams and for timing.</summary>
public interface IEvent : IDisposable
{
    /// <summary>Records the event at the current position of <paramref name="stream"/>.</summary>
    void Record(IStream stream);

    /// <summary>Blocks until the event has completed.</summary>
    void Synchronize();

    /// <summary>True when the work before the event has completed.</summary>
    bool IsCompleted { get; }

    /// <summary>Milliseconds between <paramref name="start"/> and this event (both recorded with timing).</summary>
    double ElapsedMillisecondsSince(IEvent start);
}
