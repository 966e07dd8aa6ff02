using System.Runtime.CompilerServices;
using Tessera.Cuda.Interop;
using Tessera.Devices;
using Tessera.Kernels;

namespace Tessera.Cuda;

/// <summary>
/// One CUDA GPU as a Tessera device: the primary context, a non-blocking default stream, the caching allocator as
/// <see cref="Memory"/>, host copies staged through pinned buffers, and <see cref="CudaKernels"/> (the portable GPU
/// kernels with cuBLASLt GEMM and cuDNN convolution) bound to a stream each (<see cref="Kernels"/> to the default
/// stream, <see cref="KernelsOn"/> to another), CUDA graph capture (<see cref="IGraphCapture"/>) and NVTX ranges
/// (<see cref="IRangeAnnotator"/>). Shared per ordinal: get it from <see cref="CudaBackend.GetDevice"/>.
/// Every driver call first binds the context to the calling thread. UNTESTED ON A GPU.
/// </summary>
public sealed unsafe class CudaDevice : IDevice, IGraphCapture, IRangeAnnotator
{
    private readonly PinnedStagingPool _staging;
    private readonly Lazy<CudaBlas> _blas;
    private readonly Lazy<CudaDnn> _dnn;
    private readonly ConditionalWeakTable<CudaStream, CudaKernels> _bound = new();

    internal CudaDevice(int ordinal)
    {
        Context = CudaContext.Open(ordinal);
        Info = CudaDeviceInfo.Query(ordinal);
        DefaultStream = new CudaStream(this, Context.CreateStream(nonBlocking: true), owned: false);
        Memory = new CudaMemoryPool(this);
        _staging = new PinnedStagingPool(Context);
        Runtime = new CudaRuntime(this);
        _blas = new Lazy<CudaBlas>(() => new CudaBlas(this), LazyThreadSafetyMode.ExecutionAndPublication);
        _dnn = new Lazy<CudaDnn>(() => new CudaDnn(this), LazyThreadSafetyMode.ExecutionAndPublication);
        Kernels = new CudaKernels(Runtime, DefaultStream);
    }

    /// <inheritdoc/>
    public DeviceKind Kind => DeviceKind.Cuda;
    /// <inheritdoc/>
    public string Name => Info.Name;
    /// <inheritdoc/>
    public string Id => $"cuda:{Context.Ordinal}";
    /// <summary>The device's CUDA ordinal.</summary>
    public int Ordinal => Context.Ordinal;

    /// <summary>The context (driver handles, the caching allocator).</summary>
    internal CudaContext Context { get; }

    /// <summary>Name, compute capability, memory, SM count.</summary>
    public CudaDeviceInfo Info { get; }

    /// <inheritdoc/>
    public CudaStream DefaultStream { get; }
    IStream IDevice.DefaultStream => DefaultStream;

    /// <inheritdoc/>
    public CudaMemoryPool Memory { get; }
    IMemoryPool IDevice.Memory => Memory;

    /// <summary>Module and launch layer the kernels use.</summary>
    internal CudaRuntime Runtime { get; }

    /// <summary>The kernels of the default stream.</summary>
    public CudaKernels Kernels { get; }

    /// <summary>cuBLASLt GEMM of this device (fp32/TF32 for <see cref="IKernels"/>, bf16/fp16 with fp32 accumulation
    /// through <see cref="CudaBlas.Matmul"/>). Needs libcublasLt (<see cref="CudaBlas.IsAvailable"/>).</summary>
    public CudaBlas Blas => _blas.Value;

    /// <summary>cuDNN convolution of this device. Needs libcudnn.so.9 (<see cref="CudaDnn.IsAvailable"/>).</summary>
    public CudaDnn Dnn => _dnn.Value;
    IKernels IDevice.Kernels => Kernels;

    /// <summary>A new non-blocking stream (dispose it when done: it waits for its work, then is destroyed).</summary>
    public CudaStream CreateStream() => new(this, Context.CreateStream(nonBlocking: true), owned: true);
    IStream IDevice.CreateStream() => CreateStream();

    /// <summary>The kernels that launch (and call cuBLASLt and cuDNN) on <paramref name="stream"/>, a stream of this
    /// device; the same object for the same stream, <see cref="Kernels"/> for the default stream.</summary>
    public CudaKernels KernelsOn(IStream stream)
    {
        var s = CudaStream.Of(stream ?? throw new ArgumentNullException(nameof(stream)), this, "CudaDevice.KernelsOn");
        return ReferenceEquals(s, DefaultStream) ? Kernels : _bound.GetValue(s, k => new CudaKernels(Runtime, k));
    }

    IKernels IDevice.KernelsOn(IStream stream) => KernelsOn(stream);

    /// <summary>A stream of this device was destroyed: the state of its kernels is released.</summary>
    internal void Retire(CudaStream stream)
    {
        if (_bound.TryGetValue(stream, out var kernels))
        {
            _bound.Remove(stream);
            kernels.Dispose();
        }
    }

    /// <inheritdoc/>
    public CudaEvent CreateEvent(bool timing = false) => new(this, timing);
    IEvent IDevice.CreateEvent(bool timing) => CreateEvent(timing);

    /// <summary>Host → device through pinned staging buffers, ordered on <paramref name="stream"/> (null: the default
    /// stream). Returns once the bytes are staged; the DMA may still be running.</summary>
    public void CopyFromHost(ReadOnlySpan<byte> source, DeviceBuffer destination, long byteOffset, IStream? stream = null)
    {
        const string op = "CudaDevice.CopyFromHost";
        CheckRange(op, destination, byteOffset, source.Length);
        if (source.IsEmpty) return;
        var s = CudaStream.Of(stream, this, op);
        _staging.CopyToDevice(source, new CuDevicePtr((ulong)destination.Handle).Offset(byteOffset), s.Handle);
    }

    /// <summary>Device → host through pinned staging buffers, after the work queued on <paramref name="stream"/> (null: the
    /// default stream); returns when the bytes are in <paramref name="destination"/>. Reports the deferred index checks
    /// of that stream's kernels.</summary>
    public void CopyToHost(DeviceBuffer source, long byteOffset, Span<byte> destination, IStream? stream = null)
    {
        const string op = "CudaDevice.CopyToHost";
        CheckRange(op, source, byteOffset, destination.Length);
        if (destination.IsEmpty) return;
        var s = CudaStream.Of(stream, this, op);
        _staging.CopyToHost(new CuDevicePtr((ulong)source.Handle).Offset(byteOffset), destination, s.Handle);
        // A read is where deferred index checks report.
        (ReferenceEquals(s, DefaultStream) ? Kernels : _bound.TryGetValue(s, out var k) ? k : null)?.RaiseDeferredErrors();
    }

    /// <summary>Copies <paramref name="bytes"/> between device buffers (of this device), ordered on <paramref name="stream"/>
    /// (null: the default stream); the host does not wait.</summary>
    public void CopyDeviceToDevice(DeviceBuffer source, long sourceOffset, DeviceBuffer destination, long destinationOffset, long bytes, IStream? stream = null)
    {
        const string op = "CudaDevice.CopyDeviceToDevice";
        CheckRange(op, source, sourceOffset, bytes);
        CheckRange(op, destination, destinationOffset, bytes);
        if (bytes == 0) return;
        var s = CudaStream.Of(stream, this, op);
        Context.MakeCurrent();
        CuDriver.cuMemcpyDtoDAsync_v2(new CuDevicePtr((ulong)destination.Handle).Offset(destinationOffset),
            new CuDevicePtr((ulong)source.Handle).Offset(sourceOffset), (nuint)bytes, s.Handle).Check();
    }

    private void CheckRange(string op, DeviceBuffer buffer, long offset, long length)
    {
        if (buffer.IsDisposed) throw new TesseraDisposedException(op, "device buffer");
        if (!ReferenceEquals(buffer.Pool, Memory)) throw new TesseraDeviceException(op, "buffer", $"the buffer does not belong to {Id}");
        if (offset < 0 || length < 0 || offset + length > buffer.Bytes)
            throw new TesseraArgumentException(op, "range", $"bytes [{offset}, {offset + length}) are outside a buffer of {buffer.Bytes} bytes");
    }

    /// <inheritdoc/>
    public bool Supports(OpKind op, DType dtype) => Kernels.Supports(op, dtype);

    /// <summary>Captures the work <paramref name="body"/> enqueues on <paramref name="stream"/> (null: the default stream)
    /// into a <see cref="CudaGraph"/> for replay: the body launches with <see cref="KernelsOn"/>(stream) (with
    /// <see cref="Kernels"/> when capturing the default stream). UNTESTED ON A GPU.</summary>
    public CudaGraph Capture(Action body, CudaStream? stream = null) =>
        CudaGraph.Capture(this, CudaStream.Of(stream, this, "CudaDevice.Capture"), body, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED);

    IReplayableWork IGraphCapture.Capture(IStream stream, Action enqueue) => Capture(enqueue, CudaStream.Of(stream, this, "CudaDevice.Capture"));

    /// <summary>True when the NVTX library loaded (<see cref="Nvtx"/>); ranges are then visible to Nsight Systems.</summary>
    public bool RangesEnabled => Nvtx.IsAvailable;

    /// <inheritdoc/>
    public void PushRange(string name) => Nvtx.Push(name);

    /// <inheritdoc/>
    public void PopRange() => Nvtx.PopRange();

    /// <summary>Blocks until all work on every stream of the device has finished (default stream and created ones).</summary>
    public void Synchronize()
    {
        Context.MakeCurrent();
        CuDriver.cuCtxSynchronize().Check();
    }

    /// <summary>The device is shared by the backend: disposing waits for the default stream and gives cached memory back,
    /// and the device stays usable (like the CPU device).</summary>
    public void Dispose()
    {
        DefaultStream.Synchronize();
        Memory.ReleaseCached();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Id} ({Name}, sm_{Info.Major}{Info.Minor})";
}
