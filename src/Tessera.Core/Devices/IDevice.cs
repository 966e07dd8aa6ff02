using Tessera.Kernels;

namespace Tessera.Devices;

/// <summary>One compute device: where memory lives, where kernels run, and how work is ordered.</summary>
public interface IDevice : IDisposable
{
    /// <summary>The kind of backend the device belongs to.</summary>
    DeviceKind Kind { get; }

    /// <summary>Human-readable name (CPU model, GPU name).</summary>
    string Name { get; }

    /// <summary>Short identifier such as "cpu" or "cuda:0".</summary>
    string Id { get; }

    /// <summary>The stream work goes to when no other is named.</summary>
    IStream DefaultStream { get; }
    /// <summary>A new stream of this device (dispose it when done).</summary>
    IStream CreateStream();
    /// <summary>A new event; with <paramref name="timing"/> it records a timestamp for <see cref="IEvent"/>'s elapsed time.</summary>
    IEvent CreateEvent(bool timing = false);
    /// <summary>The memory pool tensors of this device are allocated from.</summary>
    IMemoryPool Memory { get; }

    /// <summary>The kernels of this device (every op of the catalog), launching on <see cref="DefaultStream"/>.</summary>
    IKernels Kernels { get; }

    /// <summary>The kernels that launch on <paramref name="stream"/>, a stream of this device (a backend is a stream: work
    /// on different streams may run at once). The same object for the same stream; <see cref="Kernels"/> for the default
    /// stream. Scratch memory of those kernels is ordered on that stream.</summary>
    IKernels KernelsOn(IStream stream);

    /// <summary>Copies host bytes into a device buffer at a byte offset, ordered on <paramref name="stream"/> (null: the
    /// default stream).</summary>
    void CopyFromHost(ReadOnlySpan<byte> source, DeviceBuffer destination, long byteOffset, IStream? stream = null);

    /// <summary>Copies device bytes to the host after the work queued on <paramref name="stream"/> (null: the default
    /// stream); returns when the bytes are in <paramref name="destination"/>.</summary>
    void CopyToHost(DeviceBuffer source, long byteOffset, Span<byte> destination, IStream? stream = null);

    /// <summary>True when the device runs <paramref name="op"/> for <paramref name="dtype"/>.</summary>
    bool Supports(OpKind op, DType dtype);
}
