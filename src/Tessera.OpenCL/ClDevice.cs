using Tessera.Devices;
using Tessera.Gpu;
using Tessera.Kernels;
using Tessera.OpenCL.Interop;

namespace Tessera.OpenCL;

/// <summary>One OpenCL device as a Tessera device: a context, an in-order default queue, a pool of cl_mem buffers and the
/// portable GPU kernels compiled for it.</summary>
public sealed unsafe class ClDevice : IDevice
{
    private nint _context;
    private readonly ClQueue _queue;
    private readonly ClRuntime _runtime;

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
        Kernels = new GpuKernels(_runtime);
    }

    public int Ordinal { get; }
    public ClDeviceInfo Info { get; }
    internal nint Context => _context != 0 ? _context : throw new TesseraDisposedException("ClDevice", Id);
    internal ClRuntime Runtime => _runtime;

    public DeviceKind Kind => DeviceKind.OpenCL;
    public string Name => Info.Name;
    public string Id => $"opencl:{Ordinal}";
    public IStream DefaultStream => _queue;
    public ClMemoryPool Memory { get; }
    IMemoryPool IDevice.Memory => Memory;
    public IKernels Kernels { get; }

    public IStream CreateStream() => new ClQueue(this);
    public IEvent CreateEvent(bool timing = false) => new ClEvent();

    private ClQueue Queue(IStream? stream) => stream switch
    {
        null => (ClQueue)_runtime.Stream,
        ClQueue q when ReferenceEquals(q.Device, this) => q,
        _ => throw new TesseraDeviceException("ClDevice", nameof(stream), $"the stream does not belong to {Id}"),
    };

    public void CopyFromHost(ReadOnlySpan<byte> source, DeviceBuffer destination, long byteOffset, IStream? stream = null)
    {
        CheckRange("ClDevice.CopyFromHost", destination, byteOffset, source.Length);
        if (source.IsEmpty) return;
        fixed (byte* p = source)
            Cl.clEnqueueWriteBuffer(Queue(stream).Handle, destination.Handle, 1, (nuint)byteOffset, (nuint)source.Length, p, 0, null, null)
                .Check("clEnqueueWriteBuffer");
    }

    public void CopyToHost(DeviceBuffer source, long byteOffset, Span<byte> destination, IStream? stream = null)
    {
        CheckRange("ClDevice.CopyToHost", source, byteOffset, destination.Length);
        if (destination.IsEmpty) return;
        fixed (byte* p = destination)
            Cl.clEnqueueReadBuffer(Queue(stream).Handle, source.Handle, 1, (nuint)byteOffset, (nuint)destination.Length, p, 0, null, null)
                .Check("clEnqueueReadBuffer");
        ((GpuKernels)Kernels).RaiseDeferredErrors(); // a read is where deferred index checks report
    }

    private void CheckRange(string op, DeviceBuffer buffer, long offset, long length)
    {
        if (buffer.IsDisposed) throw new TesseraDisposedException(op, "device buffer");
        if (!ReferenceEquals(buffer.Pool, Memory)) throw new TesseraDeviceException(op, "buffer", $"the buffer does not belong to {Id}");
        if (offset < 0 || offset + length > buffer.Bytes)
            throw new TesseraArgumentException(op, "range", $"bytes [{offset}, {offset + length}) are outside a buffer of {buffer.Bytes} bytes");
    }

    public bool Supports(OpKind op, DType dtype) => ((GpuKernels)Kernels).Supports(op, dtype);

    public void Dispose()
    {
        if (_context == 0) return;
        _queue.Synchronize();
        Memory.ReleaseCached();
        _runtime.Dispose();
        _queue.Dispose();
        Cl.clReleaseContext(_context);
        _context = 0;
    }
}
