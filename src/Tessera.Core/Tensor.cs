using System.Runtime.InteropServices;
using Tessera.Devices;
using Tessera.Memory;

namespace Tessera;

/// <summary>An n-dimensional array on a device: a storage, a dtype, a shape, strides (in elements) and an offset.
/// Views (reshape, transpose, permute, slice, expand) share the storage without copying. Disposing a tensor drops
/// its reference to the storage; memory returns to the pool when the last view is gone.</summary>
public sealed partial class Tensor : IDisposable
{
    private readonly TensorStorage _storage;
    private readonly long[] _strides;
    private int _disposed;

    private Tensor(TensorStorage storage, DType dtype, Shape shape, long[] strides, long offset)
    {
        _storage = storage;
        DType = dtype;
        Shape = shape;
        _strides = strides;
        Offset = offset;
        IsContiguous = ComputeContiguous(shape, strides);
        _scope = TensorScope.Track(this);
        if (_scope is null) _watch = TensorLeaks.Begin(this);
    }

    /// <summary>A new contiguous tensor with uninitialised contents, leased from the device's pool. A size beyond
    /// <see cref="MemoryLimits.Current"/> is refused before anything is allocated.</summary>
    public static Tensor Empty(IDevice device, DType dtype, Shape shape) => Empty(device, dtype, shape, null);

    /// <summary>A new contiguous tensor with uninitialised contents, leased from the device's pool for work ordered on
    /// <paramref name="stream"/> (null: the default stream): the pool reuses its memory in that stream's order.</summary>
    public static Tensor Empty(IDevice device, DType dtype, Shape shape, IStream? stream)
    {
        ArgumentNullException.ThrowIfNull(device);
        MemoryLimits.Current.CheckTensor("Tensor.Empty", nameof(shape), shape, dtype);
        long bytes = shape.ElementCount * dtype.SizeOf();
        var buffer = device.Memory.Rent(Math.Max(bytes, 1), stream ?? device.DefaultStream);
        return new Tensor(new TensorStorage(device, buffer), dtype, shape, shape.ContiguousStrides(), 0);
    }

    /// <inheritdoc cref="Empty(IDevice, DType, Shape)"/>
    public static Tensor Empty(IDevice device, DType dtype, params int[] shape) => Empty(device, dtype, new Shape(shape));

    /// <summary>A new tensor filled with zeros.</summary>
    public static Tensor Zeros(IDevice device, DType dtype, params int[] shape)
    {
        var t = Empty(device, dtype, new Shape(shape));
        device.Kernels.Fill(t, 0);
        return t;
    }

    /// <summary>A new float32 tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(IDevice device, float value, params int[] shape)
    {
        var t = Empty(device, DType.Float32, new Shape(shape));
        device.Kernels.Fill(t, value);
        return t;
    }

    /// <summary>A new tensor holding a copy of <paramref name="data"/> (row-major) with the given shape.</summary>
    public static Tensor FromSpan<T>(IDevice device, ReadOnlySpan<T> data, params int[] shape) where T : unmanaged
    {
        var s = Shape.Create("Tensor.FromSpan", shape);
        if (s.ElementCount != data.Length)
            throw new TesseraShapeException("Tensor.FromSpan", nameof(data), $"{data.Length} elements do not fill shape {s} ({s.ElementCount} elements)");
        var t = Empty(device, DTypeInfo.Of<T>(), s);
        t.CopyFrom(data);
        return t;
    }

    /// <inheritdoc cref="FromSpan{T}(IDevice, ReadOnlySpan{T}, int[])"/>
    public static Tensor FromArray<T>(IDevice device, T[] data, params int[] shape) where T : unmanaged =>
        FromSpan<T>(device, data, shape);

    /// <summary>A tensor over memory owned by someone else (an execution plan's arena). Disposing it never frees the memory.</summary>
    public static Tensor View(IDevice device, DeviceBuffer buffer, long byteOffset, DType dtype, Shape shape)
    {
        int size = dtype.SizeOf();
        if (byteOffset < 0 || byteOffset % size != 0)
            throw new TesseraArgumentException("Tensor.View", nameof(byteOffset), $"offset {byteOffset} is not a non-negative multiple of {size}");
        if (byteOffset + shape.ElementCount * size > buffer.Bytes)
            throw new TesseraArgumentException("Tensor.View", nameof(shape), $"{shape} at byte {byteOffset} runs past the buffer ({buffer.Bytes} bytes)");
        return new Tensor(new TensorStorage(device, buffer, owns: false), dtype, shape, shape.ContiguousStrides(), byteOffset / size);
    }

    /// <summary>The element type.</summary>
    public DType DType { get; }
    /// <summary>The dimensions.</summary>
    public Shape Shape { get; }

    /// <summary>Shape and dtype, as the argument rules (<see cref="Kernels.ShapeRules"/>) take them.</summary>
    public TensorSpec Spec => new(Shape, DType);

    /// <summary>The number of dimensions.</summary>
    public int Rank => Shape.Rank;
    /// <summary>The number of elements.</summary>
    public long ElementCount => Shape.ElementCount;

    /// <summary>Strides in elements, one per dimension (0 for broadcast dimensions).</summary>
    public ReadOnlySpan<long> Strides => _strides;

    /// <summary>Offset of element [0,...,0] from the start of the storage, in elements.</summary>
    public long Offset { get; }

    /// <summary>True when the elements are dense and row-major.</summary>
    public bool IsContiguous { get; }

    /// <summary>The device that holds the tensor's memory.</summary>
    /// <exception cref="TesseraDisposedException">The tensor was disposed.</exception>
    public IDevice Device { get { ThrowIfDisposed("Tensor.Device"); return _storage.Device; } }

    /// <summary>The storage (shared by views).</summary>
    public TensorStorage Storage { get { ThrowIfDisposed("Tensor.Storage"); return _storage; } }

    /// <summary>Byte address of element [0,...,0]: storage handle plus offset.</summary>
    public nint Address { get { ThrowIfDisposed("Tensor.Address"); return _storage.Buffer.Handle + (nint)(Offset * DType.SizeOf()); } }

    /// <summary>Whether the tensor was disposed (its storage is released when the last view of it is disposed).</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The scope that will dispose this tensor, if any.</summary>
    internal TensorScope? Scope
    {
        get => _scope;
        set
        {
            _scope = value;
            if (value is not null)
            {
                _watch?.Dispose();
                _watch = null;
            }
            else if (_watch is null && !IsDisposed) _watch = TensorLeaks.Begin(this);   // detached: the caller disposes it
        }
    }

    private TensorScope? _scope;
    private TensorLeaks.Watch? _watch;   // set while TensorLeaks watches this tensor (created or left outside any scope)

    /// <summary>The size of one dimension; <paramref name="axis"/> may be negative (from the last).</summary>
    public int Dim(int axis) => Shape[Shape.Axis(axis, "Tensor.Dim")];

    /// <summary>Copies <paramref name="source"/> (row-major) into this contiguous tensor.</summary>
    public void CopyFrom<T>(ReadOnlySpan<T> source) where T : unmanaged
    {
        const string op = "Tensor.CopyFrom";
        ThrowIfDisposed(op);
        CheckElementType<T>(op);
        if (!IsContiguous) throw new TesseraArgumentException(op, "this", "cannot upload into a non-contiguous view; upload into a contiguous tensor and copy");
        if (source.Length != ElementCount)
            throw new TesseraShapeException(op, nameof(source), $"{source.Length} elements for a tensor of shape {Shape} ({ElementCount} elements)");
        Device.CopyFromHost(MemoryMarshal.AsBytes(source), _storage.Buffer, Offset * DType.SizeOf());
    }

    /// <summary>Copies the elements (row-major, whatever the strides) into <paramref name="destination"/>.</summary>
    public void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        const string op = "Tensor.CopyTo";
        ThrowIfDisposed(op);
        CheckElementType<T>(op);
        if (destination.Length != ElementCount)
            throw new TesseraShapeException(op, nameof(destination), $"{destination.Length} elements for a tensor of shape {Shape}");
        if (IsContiguous)
        {
            Device.CopyToHost(_storage.Buffer, Offset * DType.SizeOf(), MemoryMarshal.AsBytes(destination));
            return;
        }
        using var dense = Contiguous();
        dense.CopyTo(destination);
    }

    /// <summary>A new array holding the elements in row-major order.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var a = new T[ElementCount];
        CopyTo<T>(a);
        return a;
    }

    /// <summary>The single element of a one-element tensor.</summary>
    public T Item<T>() where T : unmanaged
    {
        if (ElementCount != 1)
            throw new TesseraShapeException("Tensor.Item", "this", $"shape {Shape} has {ElementCount} elements, not 1");
        return ToArray<T>()[0];
    }

    private void CheckElementType<T>(string op) where T : unmanaged
    {
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        bool ok = DType switch
        {
            DType.BFloat16 => typeof(T) == typeof(ushort),
            DType.Float16 => typeof(T) == typeof(Half) || typeof(T) == typeof(ushort),
            DType.Bool => typeof(T) == typeof(bool) || typeof(T) == typeof(byte),
            _ => DTypeInfo.Of<T>() == DType,
        };
        if (!ok || size != DType.SizeOf())
            throw new TesseraDTypeException(op, "T", $"element type {typeof(T).Name} does not match tensor dtype {DType}");
    }

    internal void ThrowIfDisposed(string op)
    {
        if (IsDisposed) throw new TesseraDisposedException(op, $"tensor {Shape} {DType}");
    }

    /// <summary>Releases this view's hold on the storage; the memory returns to the device's pool with the last view. Idempotent and thread-safe.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _scope?.Forget(this);
        _scope = null;
        _watch?.Dispose();
        _storage.Release();
    }

    /// <summary>The dtype, shape and state, as "Tensor(f32 [2, 3])".</summary>
    public override string ToString() => $"Tensor({DType.ShortName()} {Shape}{(IsContiguous ? "" : " strided")}{(IsDisposed ? " disposed" : "")})";

    private static bool ComputeContiguous(Shape shape, long[] strides)
    {
        long expected = 1;
        for (int i = shape.Rank - 1; i >= 0; i--)
        {
            if (shape[i] == 1) continue;
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }
}
