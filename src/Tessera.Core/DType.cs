namespace Tessera;

/// <summary>Element types. Float32 is computed everywhere; Float16/BFloat16 are storage types for GPU paths;
/// Int32/Int64 hold indices; Bool and UInt8 hold masks; Float64 is a storage type (fill, cast, copy, upload/download;
/// the ONNX importer computes float64 element-wise arithmetic on the host).</summary>
public enum DType
{
    /// <summary>32-bit IEEE 754 float: the type every kernel runs for.</summary>
    Float32,
    /// <summary>16-bit IEEE 754 half float.</summary>
    Float16,
    /// <summary>bfloat16: the upper 16 bits of a float32.</summary>
    BFloat16,
    /// <summary>32-bit signed integer.</summary>
    Int32,
    /// <summary>64-bit signed integer (indices, labels).</summary>
    Int64,
    /// <summary>8-bit unsigned integer.</summary>
    UInt8,
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    Bool,
    /// <summary>64-bit IEEE 754 double: a storage type (fill, cast, copy, upload and download).</summary>
    Float64,
}

/// <summary>Facts about <see cref="DType"/> values.</summary>
public static class DTypeInfo
{
    /// <summary>Size of one element in bytes.</summary>
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.Float32 => 4,
        DType.Float16 => 2,
        DType.BFloat16 => 2,
        DType.Int32 => 4,
        DType.Int64 => 8,
        DType.UInt8 => 1,
        DType.Bool => 1,
        DType.Float64 => 8,
        _ => throw new TesseraArgumentException("DType.SizeOf", nameof(dtype), $"unknown dtype {(int)dtype}"),
    };

    /// <summary>True for the floating-point types.</summary>
    public static bool IsFloat(this DType dtype) => dtype is DType.Float32 or DType.Float16 or DType.BFloat16 or DType.Float64;

    /// <summary>The dtype whose elements are the CLR type <typeparamref name="T"/>.</summary>
    public static DType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(Half)) return DType.Float16;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(byte)) return DType.UInt8;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        throw new TesseraArgumentException("DType.Of", "T", $"no dtype for CLR type {typeof(T).Name} (bfloat16 is read and written as ushort through the byte views)");
    }

    /// <summary>Lower-case name as used in kernel names and reports (f32, f16, bf16, i32, i64, u8, bool, f64).</summary>
    public static string ShortName(this DType dtype) => dtype switch
    {
        DType.Float32 => "f32",
        DType.Float16 => "f16",
        DType.BFloat16 => "bf16",
        DType.Int32 => "i32",
        DType.Int64 => "i64",
        DType.UInt8 => "u8",
        DType.Bool => "bool",
        DType.Float64 => "f64",
        _ => dtype.ToString(),
    };
}
