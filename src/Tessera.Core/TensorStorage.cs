using Tessera.Devices;

namespace Tessera;

/// <summary>The memory behind one or more tensors (a tensor and its views). Reference-counted: the buffer goes back
/// to its pool when the last tensor using it is disposed. A storage may also wrap memory it does not own (an arena
/// slice of an execution plan); then disposal never frees it.</summary>
public sealed class TensorStorage
{
    private int _refs = 1;
    private readonly bool _owns;

    /// <summary>Storage over <paramref name="buffer"/> on <paramref name="device"/>, with one reference held; when <paramref name="owns"/> is true the buffer is disposed with the last reference.</summary>
    public TensorStorage(IDevice device, DeviceBuffer buffer, bool owns = true)
    {
        Device = device;
        Buffer = buffer;
        _owns = owns;
    }

    /// <summary>The device that holds the buffer.</summary>
    public IDevice Device { get; }
    /// <summary>The device memory.</summary>
    public DeviceBuffer Buffer { get; }
    /// <summary>The buffer's size in bytes.</summary>
    public long Bytes => Buffer.Bytes;
    /// <summary>Whether a reference is held and the buffer is not disposed.</summary>
    public bool IsAlive => Volatile.Read(ref _refs) > 0 && !Buffer.IsDisposed;

    internal void AddRef()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
            throw new TesseraDisposedException("Tensor", "the tensor's storage");
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0 && _owns) Buffer.Dispose();
    }
}
