using System.Runtime.Intrinsics;
using Tessera.Cpu.Kernels;
using Tessera.Devices;
using Tessera.Kernels;

namespace Tessera.Cpu;

/// <summary>The host CPU as a Tessera device: pooled 64-byte-aligned memory, in-line streams, SIMD kernels
/// (Vector512 → Vector256 → Vector128 → scalar) over a configurable number of threads.</summary>
public sealed unsafe class CpuDevice : IDevice
{
    private int _threads = Environment.ProcessorCount;

    /// <summary>A CPU device with its own memory pool, using every logical processor (<see cref="Threads"/>); <see cref="CpuBackend.Device"/> is the shared one.</summary>
    public CpuDevice()
    {
        Memory = new CpuMemoryPool();
        DefaultStream = new CpuStream(this);
        Kernels = new CpuKernels(this);
        Name = CpuInfo.ModelName;
    }

    /// <inheritdoc/>
    public DeviceKind Kind => DeviceKind.Cpu;
    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public string Id => "cpu";
    /// <inheritdoc/>
    public IStream DefaultStream { get; }
    /// <inheritdoc/>
    public CpuMemoryPool Memory { get; }
    IMemoryPool IDevice.Memory => Memory;
    /// <inheritdoc/>
    public IKernels Kernels { get; }

    /// <summary>Threads the kernels use (default: all logical processors).</summary>
    public int Threads
    {
        get => _threads;
        set
        {
            if (value < 1 || value > 4096) throw new TesseraArgumentException("CpuDevice.Threads", nameof(value), $"must be in [1, 4096], got {value}");
            _threads = value;
        }
    }

    /// <summary>Whether this process runs Vector512 code in hardware (AVX-512 on x64; false under a Native AOT build without the instruction set).</summary>
    public static bool Vector512Accelerated => Vector512.IsHardwareAccelerated;
    /// <summary>Whether this process runs Vector256 code in hardware (AVX2 on x64).</summary>
    public static bool Vector256Accelerated => Vector256.IsHardwareAccelerated;

    /// <inheritdoc/>
    public IStream CreateStream() => new CpuStream(this);

    /// <summary>CPU streams run in line (work has finished when the call returns), so every stream shares <see cref="Kernels"/>.</summary>
    public IKernels KernelsOn(IStream stream) =>
        ReferenceEquals(stream?.Device, this) ? Kernels
            : throw new TesseraDeviceException("CpuDevice.KernelsOn", nameof(stream), "the stream does not belong to the CPU device");

    /// <inheritdoc/>
    public IEvent CreateEvent(bool timing = false) => new CpuEvent();

    /// <inheritdoc/>
    public void CopyFromHost(ReadOnlySpan<byte> source, DeviceBuffer destination, long byteOffset, IStream? stream = null)
    {
        CheckRange("CpuDevice.CopyFromHost", destination, byteOffset, source.Length);
        source.CopyTo(new Span<byte>((byte*)destination.Handle + byteOffset, source.Length));
    }

    /// <inheritdoc/>
    public void CopyToHost(DeviceBuffer source, long byteOffset, Span<byte> destination, IStream? stream = null)
    {
        CheckRange("CpuDevice.CopyToHost", source, byteOffset, destination.Length);
        new ReadOnlySpan<byte>((byte*)source.Handle + byteOffset, destination.Length).CopyTo(destination);
    }

    private static void CheckRange(string op, DeviceBuffer buffer, long offset, long length)
    {
        if (buffer.IsDisposed) throw new TesseraDisposedException(op, "device buffer");
        if (offset < 0 || offset + length > buffer.Bytes)
            throw new TesseraArgumentException(op, "range", $"bytes [{offset}, {offset + length}) are outside a buffer of {buffer.Bytes} bytes");
    }

    /// <summary>True when the CPU kernels run <paramref name="op"/> for <paramref name="dtype"/> (see <see cref="OpTable"/>).</summary>
    public bool Supports(OpKind op, DType dtype) => OpTable.Supports(op, dtype);

    /// <inheritdoc/>
    public void Dispose() => Memory.ReleaseCached();
}
