using System.Runtime.CompilerServices;
using Tessera.Devices;
using Tessera.Gpu.Kernels;
using Tessera.Kernels;
using Tessera.OpenCL.Interop;

namespace Tessera.OpenCL;

/// <summary>One OpenCL device as a Tessera device: a context, an in-order default queue, a pool of cl_mem buffers and the
/// portable GPU kernels compiled for it. <see cref="Kernels"/> launch on the default queue; <see cref="KernelsOn"/> gives
/// the kernels of another queue of this device (one object per queue), so that independent work runs on several queues
/// at once.</summary>
public sealed unsafe class ClDevice : IDevice
{
    private nint _context;
    private readonly ClQueue _queue;
    private readonly ClRuntime _runtime;
    private readonly ConditionalWeakTable<ClQueue, GpuKernels> _bound = new();

    internal ClDevice(int ordinal, ClDeviceInfo info)
    {
        Ordinal = ordinal;
        Info = info;
        nint id = info.Id;
        int err;
        _context = Cl.clCreateContext(null, 1, &id, 0, 0, &err);
        err.Check("clCreateContext");
        _queue = new ClQueue(this);
        Memory = new ClMemoryPool(this);
        _runtime = new ClRuntime(this);
        Kernels = new GpuKernels(_runtime, _queue);
    }

    /// <summary>The device's index among the OpenCL devices of every platform.</summary>
    public int Ordinal { get; }
    /// <summary>The device's properties as the OpenCL driver reports them.</summary>
    public ClDeviceInfo Info { get; }
    internal nint Context => _context != 0 ? _context : throw new TesseraDisposedException("ClDevice", Id);
    internal ClRuntime Runtime => _runtime;

    /// <inheritdoc/>
    public DeviceKind Kind => DeviceKind.OpenCL;
    /// <inheritdoc/>
    public string Name => Info.Name;
    /// <inheritdoc/>
    public string Id => $"opencl:{Ordinal}";
    /// <inheritdoc/>
    public IStream DefaultStream => _queue;
    /// <inheritdoc/>
    public ClMemoryPool Memory { get; }
    IMemoryPool IDevice.Memory => Memory;

    /// <summary>The kernels of the default queue.</summary>
    public GpuKernels Kernels { get; }
    IKernels IDevice.Kernels => Kernels;

    /// <summary>A new in-order queue of this device (dispose it when done: it finishes its work first).</summary>
    public IStream CreateStream() => new ClQueue(this);
    /// <inheritdoc/>
    public IEvent CreateEvent(bool timing = false) => new ClEvent();

    /// <summary>The kernels that launch on <paramref name="stream"/> (a queue of this device); the same object for the
    /// same queue, <see cref="Kernels"/> for the default queue.</summary>
    public GpuKernels KernelsOn(IStream stream)
    {
        var q = Queue(stream, "ClDevice.KernelsOn");
        return ReferenceEquals(q, _queue) ? Kernels : _bound.GetValue(q, k => new GpuKernels(_runtime, k));
    }

    IKernels IDevice.KernelsOn(IStream stream) => KernelsOn(stream);

    /// <summary>The queue <paramref name="stream"/> names (the default queue for null), or an error naming <paramref name="op"/>.</summary>
    internal ClQueue Queue(IStream? stream, string op) => stream switch
    {
        null => _queue,
        ClQueue q when ReferenceEquals(q.Device, this) => q,
        _ => throw new TesseraDeviceException(op, nameof(stream), $"the stream does not belong to {Id}"),
    };

    /// <summary>Waits for the default queue and every queue that has kernels bound to it (before cached memory is freed,
    /// so that the release really frees it).</summary>
    internal void FinishQueues()
    {
        _queue.Synchronize();
        foreach (var (q, _) in _bound)
        {
            try { q.Synchronize(); }
            catch (TesseraDisposedException) { } // finished and gone meanwhile
        }
    }

    /// <summary>A queue of this device is going away (its work has finished): its cached buffers serve the default queue
    /// and its kernels' state is released.</summary>
    internal void Retire(ClQueue queue)
    {
        if (ReferenceEquals(queue, _queue)) return;
        Memory.Retire(queue);
        if (_bound.TryGetValue(queue, out var kernels))
        {
            _bound.Remove(queue);
            kernels.Dispose();
        }
    }

    /// <summary>Copies host bytes into a device buffer, ordered on <paramref name="stream"/> (null: the default queue);
    /// returns when the bytes have been written.</summary>
    public void CopyFromHost(ReadOnlySpan<byte> source, DeviceBuffer destination, long byteOffset, IStream? stream = null)
    {
        CheckRange("ClDevice.CopyFromHost", destination, byteOffset, source.Length);
        if (source.IsEmpty) return;
        fixed (byte* p = source)
            Cl.clEnqueueWriteBuffer(Queue(stream, "ClDevice.CopyFromHost").Handle, destination.Handle, 1, (nuint)byteOffset, (nuint)source.Length, p, 0, null, null)
                .Check("clEnqueueWriteBuffer");
    }

    /// <summary>Copies device bytes to the host after the work queued on <paramref name="stream"/> (null: the default
    /// queue); reports the deferred index checks of that queue's kernels.</summary>
    public void CopyToHost(DeviceBuffer source, long byteOffset, Span<byte> destination, IStream? stream = null)
    {
        CheckRange("ClDevice.CopyToHost", source, byteOffset, destination.Length);
        if (destination.IsEmpty) return;
        var q = Queue(stream, "ClDevice.CopyToHost");
        fixed (byte* p = destination)
            Cl.clEnqueueReadBuffer(q.Handle, source.Handle, 1, (nuint)byteOffset, (nuint)destination.Length, p, 0, null, null)
                .Check("clEnqueueReadBuffer");
        // A read is where deferred index checks report.
        (ReferenceEquals(q, _queue) ? Kernels : _bound.TryGetValue(q, out var k) ? k : null)?.RaiseDeferredErrors();
    }

    private void CheckRange(string op, DeviceBuffer buffer, long offset, long length)
    {
        if (buffer.IsDisposed) throw new TesseraDisposedException(op, "device buffer");
        if (!ReferenceEquals(buffer.Pool, Memory)) throw new TesseraDeviceException(op, "buffer", $"the buffer does not belong to {Id}");
        if (offset < 0 || offset + length > buffer.Bytes)
            throw new TesseraArgumentException(op, "range", $"bytes [{offset}, {offset + length}) are outside a buffer of {buffer.Bytes} bytes");
    }

    /// <inheritdoc/>
    public bool Supports(OpKind op, DType dtype) => Kernels.Supports(op, dtype);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_context == 0) return;
        _queue.Synchronize();
        Memory.Dispose();
        _runtime.Dispose();
        _queue.Dispose();
        _ = Cl.clReleaseContext(_context); // cleanup: its status is dropped (see ClCheck)
        _context = 0;
    }
}
