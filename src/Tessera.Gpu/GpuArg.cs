using System.Runtime.InteropServices;

namespace Tessera.Gpu;

/// <summary>What a <see cref="GpuArg"/> holds and how many kernel parameters it becomes.</summary>
public enum GpuArgKind : byte
{
    /// <summary>A contiguous tensor: two parameters, the buffer (device pointer or cl_mem) and an i64 element offset.</summary>
    Tensor,
    /// <summary>A strided view: two parameters, the buffer and a <see cref="Strided"/> by value.</summary>
    View,
    /// <summary>A buffer alone (device pointer or cl_mem), for scratch memory.</summary>
    Buffer,
    /// <summary>A 32-bit integer parameter.</summary>
    Int32,
    /// <summary>A 64-bit integer parameter.</summary>
    Int64,
    /// <summary>A 32-bit float parameter.</summary>
    Float32,
}

/// <summary>One argument of a kernel launch. Tensors expand to (buffer, offset) and views to (buffer, Strided), so every
/// portable kernel receives tensors as <c>GLOBAL T* p, i64 p_off</c> or <c>GLOBAL T* p, Strided p_v</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct GpuArg
{
    /// <summary>What the argument holds.</summary>
    public GpuArgKind Kind;
    /// <summary>The buffer (device pointer or cl_mem) of a tensor, view or buffer argument.</summary>
    public nint Buffer;
    /// <summary>The element offset of a tensor, or the value of an integer argument.</summary>
    public long Int;
    /// <summary>The value of a float argument.</summary>
    public float Real;
    /// <summary>The layout of a view argument.</summary>
    public Strided View;

    /// <summary>A tensor, which must be contiguous (the kernel indexes it densely from its offset).</summary>
    public static GpuArg Dense(Tensor t, string op)
    {
        if (!t.IsContiguous) throw new TesseraArgumentException(op, "tensor", $"the GPU kernel needs a contiguous tensor, got a strided view {t.Shape}");
        return new GpuArg { Kind = GpuArgKind.Tensor, Buffer = t.Storage.Buffer.Handle, Int = t.Offset };
    }

    /// <summary>A tensor with its strides (any view).</summary>
    public static GpuArg Viewed(Tensor t, string op) =>
        new() { Kind = GpuArgKind.View, Buffer = t.Storage.Buffer.Handle, View = Strided.Of(t, op) };

    /// <summary>A tensor broadcast to <paramref name="shape"/>.</summary>
    public static GpuArg Viewed(Tensor t, Shape shape, string op) =>
        new() { Kind = GpuArgKind.View, Buffer = t.Storage.Buffer.Handle, View = Strided.Broadcast(t, shape, op) };

    /// <summary>A raw device buffer (scratch).</summary>
    public static GpuArg Raw(Devices.DeviceBuffer b) => new() { Kind = GpuArgKind.Buffer, Buffer = b.Handle };

    /// <summary>A 32-bit integer argument.</summary>
    public static GpuArg I32(int v) => new() { Kind = GpuArgKind.Int32, Int = v };
    /// <summary>A 64-bit integer argument.</summary>
    public static GpuArg I64(long v) => new() { Kind = GpuArgKind.Int64, Int = v };
    /// <summary>A 32-bit float argument.</summary>
    public static GpuArg F32(float v) => new() { Kind = GpuArgKind.Float32, Real = v };
}
