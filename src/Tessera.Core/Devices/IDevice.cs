using Tessera.Kernels;

namespace Tessera.Devices;

/// <summary>One compute device: where memory lives, where kernels run, and how work is ordered.</summary>
public interface IDevice : IDisposable
{
    DeviceKind Kind { get; }

    /// <summary>Human-readable name (CPU model, GPU name).</summary>
    string Name { get; }

    /// <summary>Short identifier such as "cpu" or "cuda:0".</summary>
    string Id { get; }

    IStream DefaultStream { get; }
    IStream CreateStream();
    IEvent CreateEvent(bool timing = false);
    IMemoryPool Memory { get; }

    /// <summary>The kernels of this device (every op of the catalog).</summary>
    IKernels Kernels { get; }

    /// <summary>Copies host bytes into a device buffer at a byte offset, ordered on <paramref name="stream"/>.</summary>
    void CopyFromHost(ReadOnlySpan<byte> source, DeviceBuffer destination, long byteOffset, IStream? stream = null);

    /// <summary>Copies device bytes to the host; returns when the bytes are in <paramref name="destination"/>.</summary>
    void CopyToHost(DeviceBuffer source, long byteOffset, Span<byte> destination, IStream? stream = null);

    /// <summary>True when the device runs <paramref name="op"/> for <paramref name="dtype"/>.</summary>
    bool Supports(OpKind op, DType dtype);
}
