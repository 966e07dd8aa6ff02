using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tessera.Devices;

namespace Tessera.Onnx.Import;

/// <summary>A small tensor known at import time (an initializer, a Constant, a Shape result, or anything folded from
/// those). Integers and booleans are held as <see cref="long"/> (exact for int64 sentinels such as INT64_MAX), floating
/// types as <see cref="double"/>.</summary>
public sealed class HostTensor
{
    private readonly OnnxTensor? _source;   // undecoded little-endian bytes (initializers, fed inputs, outputs)
    private long[]? _ints;
    private double[]? _floats;

    private HostTensor(OnnxDataType type, int[] dims, long[]? ints, double[]? floats, OnnxTensor? source = null)
    {
        Type = type;
        Dims = dims;
        _ints = ints;
        _floats = floats;
        _source = source;
    }

    /// <summary>The ONNX element type.</summary>
    public OnnxDataType Type { get; }
    /// <summary>The dimensions.</summary>
    public int[] Dims { get; }
    /// <summary>The number of dimensions.</summary>
    public int Rank => Dims.Length;

    /// <summary>The elements of an integer or boolean tensor (null for floating types), decoded on first use.</summary>
    public long[]? Ints => IsFloat ? null : _ints ??= DecodeInts(_source!);

    /// <summary>The elements of a floating tensor (null for the others), decoded on first use.</summary>
    public double[]? Floats => IsFloat ? _floats ??= DecodeFloats(_source!) : null;

    /// <summary>The number of elements.</summary>
    public long Count => Dims.Aggregate(1L, (a, d) => a * d);
    /// <summary>Whether the element type is a floating-point one.</summary>
    public bool IsFloat => IsFloatType(Type);

    /// <summary>Whether <paramref name="t"/> is a floating-point type.</summary>
    public static bool IsFloatType(OnnxDataType t) => t is OnnxDataType.Float or OnnxDataType.Double or OnnxDataType.Float16 or OnnxDataType.BFloat16;

    /// <summary>A host tensor of integer <paramref name="values"/> of the given type and dimensions.</summary>
    public static HostTensor Of(OnnxDataType type, int[] dims, long[] values) =>
        IsFloatType(type) ? new HostTensor(type, dims, null, values.Select(v => (double)v).ToArray()) : new HostTensor(type, dims, Normalize(type, values), null);

    /// <summary>A host tensor of floating-point <paramref name="values"/> of the given type and dimensions.</summary>
    public static HostTensor Of(OnnxDataType type, int[] dims, double[] values) =>
        IsFloatType(type) ? new HostTensor(type, dims, null, RoundTo(type, values)) : new HostTensor(type, dims, Normalize(type, values.Select(v => (long)v).ToArray()), null);

    /// <summary>A 1-D int64 host tensor of <paramref name="values"/>.</summary>
    public static HostTensor Int64s(params long[] values) => new(OnnxDataType.Int64, new[] { values.Length }, values, null);

    /// <summary>Element <paramref name="i"/> as a double.</summary>
    public double Get(long i) => Floats is not null ? Floats[i] : Ints![i];

    /// <summary>Element <paramref name="i"/> as a long (floats truncate toward zero, as a cast does).</summary>
    public long GetLong(long i) => Ints is not null ? Ints[i] : (long)Floats![i];

    /// <summary>The elements as 64-bit integers (floats truncated).</summary>
    public long[] AsLongs() => Ints ?? Floats!.Select(f => (long)f).ToArray();
    /// <summary>The elements as doubles.</summary>
    public double[] AsDoubles() => Floats ?? Ints!.Select(v => (double)v).ToArray();

    /// <summary>Elements as int32 values (shape arguments), checked.</summary>
    public int[] AsInts(string node, string what) => AsLongs().Select(v =>
        v is < int.MinValue or > int.MaxValue ? throw new TesseraArgumentException(node, what, $"value {v} is out of the int32 range") : (int)v).ToArray();

    /// <summary>A copy with new dimensions (same elements).</summary>
    public HostTensor WithDims(int[] dims) => new(Type, dims, _ints, _floats, _source is null ? null : _source with { Dims = dims.Select(d => (long)d).ToArray() });

    /// <summary>Converts to another element type the way ONNX Cast does (float to int truncates, to bool tests non-zero).</summary>
    public HostTensor CastTo(OnnxDataType to)
    {
        if (IsFloatType(to)) return Of(to, Dims, AsDoubles());
        if (to == OnnxDataType.Bool) return Of(to, Dims, AsDoubles().Select(v => v != 0 ? 1L : 0L).ToArray());
        return Of(to, Dims, Floats is not null ? Floats.Select(f => double.IsNaN(f) ? 0L : (long)f).ToArray() : Ints!);
    }

    private static long[] Normalize(OnnxDataType type, long[] v) => type switch
    {
        OnnxDataType.Bool => v.Select(x => x != 0 ? 1L : 0L).ToArray(),
        OnnxDataType.Uint8 => v.Select(x => (long)(byte)x).ToArray(),
        OnnxDataType.Int8 => v.Select(x => (long)(sbyte)x).ToArray(),
        OnnxDataType.Int16 => v.Select(x => (long)(short)x).ToArray(),
        OnnxDataType.Uint16 => v.Select(x => (long)(ushort)x).ToArray(),
        OnnxDataType.Int32 => v.Select(x => (long)(int)x).ToArray(),
        OnnxDataType.Uint32 => v.Select(x => (long)(uint)x).ToArray(),
        _ => v,
    };

    private static double[] RoundTo(OnnxDataType type, double[] v) => type switch
    {
        OnnxDataType.Float => v.Select(x => (double)(float)x).ToArray(),
        OnnxDataType.Float16 => v.Select(x => (double)(Half)x).ToArray(),
        OnnxDataType.BFloat16 => v.Select(x => (double)BFloat16ToFloat(FloatToBFloat16((float)x))).ToArray(),
        _ => v,
    };

    /// <summary>Decodes a TensorProto (its little-endian raw bytes).</summary>
    public static HostTensor FromOnnx(OnnxTensor t, string node)
    {
        var dims = t.Dims.Select(d => d is < 0 or > int.MaxValue
            ? throw new TesseraShapeException(node, t.Name, $"dimension {d} is out of range") : (int)d).ToArray();
        long n = SizeMath.Product(node, t.Name, t.Dims);
        int size = ElementSize(t.DataType, node, t.Name);
        long need = SizeMath.Bytes(node, t.Name, n, size);
        if (t.RawData.LongLength != need)
            throw new TesseraShapeException(node, t.Name, $"holds {t.RawData.LongLength} bytes, its dims [{string.Join(", ", t.Dims)}] of {t.DataType} need {need}");
        return new HostTensor(t.DataType, dims, null, null, t);
    }

    private static double[] DecodeFloats(OnnxTensor t)
    {
        int n = SizeMath.HostArrayLength("HostTensor", t.Name, t.ElementCount, sizeof(double));
        var b = t.RawData.AsSpan();
        var f = new double[n];
        switch (t.DataType)
        {
            case OnnxDataType.Float:
                for (int i = 0; i < n; i++) f[i] = BinaryPrimitives.ReadSingleLittleEndian(b[(i * 4)..]);
                break;
            case OnnxDataType.Double:
                for (int i = 0; i < n; i++) f[i] = BinaryPrimitives.ReadDoubleLittleEndian(b[(i * 8)..]);
                break;
            case OnnxDataType.Float16:
                for (int i = 0; i < n; i++) f[i] = (double)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(b[(i * 2)..]));
                break;
            default:
                for (int i = 0; i < n; i++) f[i] = BFloat16ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(b[(i * 2)..]));
                break;
        }
        return f;
    }

    private static long[] DecodeInts(OnnxTensor t)
    {
        int n = SizeMath.HostArrayLength("HostTensor", t.Name, t.ElementCount, sizeof(long));
        var b = t.RawData.AsSpan();
        var l = new long[n];
        for (int i = 0; i < n; i++)
            l[i] = t.DataType switch
            {
                OnnxDataType.Bool => b[i] != 0 ? 1 : 0,
                OnnxDataType.Uint8 => b[i],
                OnnxDataType.Int8 => (sbyte)b[i],
                OnnxDataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(b[(i * 2)..]),
                OnnxDataType.Uint16 => BinaryPrimitives.ReadUInt16LittleEndian(b[(i * 2)..]),
                OnnxDataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(b[(i * 4)..]),
                OnnxDataType.Uint32 => BinaryPrimitives.ReadUInt32LittleEndian(b[(i * 4)..]),
                OnnxDataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(b[(i * 8)..]),
                _ => (long)BinaryPrimitives.ReadUInt64LittleEndian(b[(i * 8)..]),
            };
        return l;
    }

    /// <summary>Bytes per element of an ONNX type Tessera can hold on the host.</summary>
    public static int ElementSize(OnnxDataType type, string node, string what) => type switch
    {
        OnnxDataType.Bool or OnnxDataType.Uint8 or OnnxDataType.Int8 => 1,
        OnnxDataType.Int16 or OnnxDataType.Uint16 or OnnxDataType.Float16 or OnnxDataType.BFloat16 => 2,
        OnnxDataType.Int32 or OnnxDataType.Uint32 or OnnxDataType.Float => 4,
        OnnxDataType.Int64 or OnnxDataType.Uint64 or OnnxDataType.Double => 8,
        _ => throw new OnnxUnsupportedException(node, "tensor", $"element type {type} of '{what}'"),
    };

    /// <summary>The Tessera dtype for an ONNX element type, or null when Tessera has none.</summary>
    public static DType? ToDType(OnnxDataType t) => t switch
    {
        OnnxDataType.Float => DType.Float32,
        OnnxDataType.Float16 => DType.Float16,
        OnnxDataType.BFloat16 => DType.BFloat16,
        OnnxDataType.Int32 => DType.Int32,
        OnnxDataType.Int64 => DType.Int64,
        OnnxDataType.Uint8 => DType.UInt8,
        OnnxDataType.Bool => DType.Bool,
        _ => null,
    };

    /// <summary>The dtype a value of ONNX type <paramref name="t"/> is computed in: its own; for float64, Float64 when
    /// <paramref name="keepFloat64"/> (the importer keeps float64 where only host-computed ops touch it), else float32
    /// (Tessera's kernels compute float32; outputs are converted back to the declared type).
    /// Narrow integer types widen losslessly to int32 and uint64 to int64 (values below 2^63).</summary>
    public static DType? ComputeDType(OnnxDataType t, bool keepFloat64 = false) => t switch
    {
        OnnxDataType.Double => keepFloat64 ? DType.Float64 : DType.Float32,
        OnnxDataType.Int8 or OnnxDataType.Int16 or OnnxDataType.Uint16 or OnnxDataType.Uint32 => DType.Int32,
        OnnxDataType.Uint64 => DType.Int64,
        _ => ToDType(t),
    };

    /// <summary>The ONNX element type of a Tessera dtype.</summary>
    public static OnnxDataType ToOnnx(DType t) => t switch
    {
        DType.Float32 => OnnxDataType.Float,
        DType.Float16 => OnnxDataType.Float16,
        DType.BFloat16 => OnnxDataType.BFloat16,
        DType.Int32 => OnnxDataType.Int32,
        DType.Int64 => OnnxDataType.Int64,
        DType.UInt8 => OnnxDataType.Uint8,
        DType.Float64 => OnnxDataType.Double,
        _ => OnnxDataType.Bool,
    };

    /// <summary>A device tensor holding these values (the ONNX type must have a Tessera dtype); float64 is kept as
    /// Float64 when <paramref name="keepFloat64"/>, else narrowed to float32.</summary>
    public Tensor ToTensor(IDevice device, string node, string what, bool keepFloat64 = false)
    {
        var dtype = ComputeDType(Type, keepFloat64) ?? throw new OnnxUnsupportedException(node, "tensor", $"element type {Type} of '{what}'");
        var t = Tensor.Empty(device, dtype, Shape.Create(node, Dims));
        try
        {
            Upload(t, node, what);
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    private void Upload(Tensor t, string node, string what)
    {
        var dtype = t.DType;
        if (_source is not null && _floats is null && _ints is null && ToDType(Type) == dtype && BitConverter.IsLittleEndian && Type != OnnxDataType.Bool)
        {
            // Same element type on both sides: upload the little-endian bytes as they are.
            var raw = _source.RawData.AsSpan();
            switch (dtype)
            {
                case DType.Float32: t.CopyFrom<float>(MemoryMarshal.Cast<byte, float>(raw)); break;
                case DType.Float16: t.CopyFrom<Half>(MemoryMarshal.Cast<byte, Half>(raw)); break;
                case DType.BFloat16: t.CopyFrom<ushort>(MemoryMarshal.Cast<byte, ushort>(raw)); break;
                case DType.Int32: t.CopyFrom<int>(MemoryMarshal.Cast<byte, int>(raw)); break;
                case DType.Int64: t.CopyFrom<long>(MemoryMarshal.Cast<byte, long>(raw)); break;
                default: t.CopyFrom<byte>(raw); break;
            }
            return;
        }
        if (Type == OnnxDataType.Double && dtype == DType.Float32 && Floats!.FirstOrDefault(v => double.IsFinite(v) && Math.Abs(v) > float.MaxValue) is var big && big != 0)
            throw new OnnxUnsupportedException(node, "tensor", $"float64 value {big:G6} of '{what}' exceeds the float32 range (float64 is computed in float32)");
        if (Type == OnnxDataType.Uint64 && Ints!.Any(v => v < 0))
            throw new OnnxUnsupportedException(node, "tensor", $"uint64 value of '{what}' at or above 2^63 (uint64 is computed in int64)");
        switch (dtype)
        {
            case DType.Float32: t.CopyFrom<float>(AsDoubles().Select(v => (float)v).ToArray()); break;
            case DType.Float64: t.CopyFrom<double>(AsDoubles()); break;
            case DType.Float16: t.CopyFrom<Half>(AsDoubles().Select(v => (Half)v).ToArray()); break;
            case DType.BFloat16: t.CopyFrom<ushort>(AsDoubles().Select(v => FloatToBFloat16((float)v)).ToArray()); break;
            case DType.Int32: t.CopyFrom<int>(AsLongs().Select(v => (int)v).ToArray()); break;
            case DType.Int64: t.CopyFrom<long>(AsLongs()); break;
            default: t.CopyFrom<byte>(AsLongs().Select(v => (byte)v).ToArray()); break;
        }
    }

    /// <summary>Reads a device tensor back (contiguous copies).</summary>
    public static HostTensor FromTensor(Tensor t)
    {
        var dims = t.Shape.ToArray();
        var type = ToOnnx(t.DType);
        byte[] raw = t.DType switch
        {
            DType.Float32 => MemoryMarshal.AsBytes(t.ToArray<float>().AsSpan()).ToArray(),
            DType.Float16 => MemoryMarshal.AsBytes(t.ToArray<Half>().AsSpan()).ToArray(),
            DType.BFloat16 => MemoryMarshal.AsBytes(t.ToArray<ushort>().AsSpan()).ToArray(),
            DType.Int32 => MemoryMarshal.AsBytes(t.ToArray<int>().AsSpan()).ToArray(),
            DType.Int64 => MemoryMarshal.AsBytes(t.ToArray<long>().AsSpan()).ToArray(),
            DType.Float64 => MemoryMarshal.AsBytes(t.ToArray<double>().AsSpan()).ToArray(),
            _ => t.ToArray<byte>(),
        };
        if (!BitConverter.IsLittleEndian) throw new TesseraException("HostTensor.FromTensor", "big-endian hosts are not supported");
        return new HostTensor(type, dims, null, null, new OnnxTensor("", type, dims.Select(d => (long)d).ToArray(), raw));
    }

    /// <summary>Encodes as a TensorProto with little-endian raw bytes.</summary>
    public OnnxTensor ToOnnx(string name)
    {
        if (_source is not null && _floats is null && _ints is null && Type != OnnxDataType.Bool) return _source with { Name = name };
        int size = ElementSize(Type, name, name);
        int n = SizeMath.HostArrayLength("HostTensor.ToOnnx", name, Count, size);
        var raw = new byte[n * size];
        var b = raw.AsSpan();
        for (int i = 0; i < n; i++)
        {
            switch (Type)
            {
                case OnnxDataType.Float: BinaryPrimitives.WriteSingleLittleEndian(b[(i * 4)..], (float)Floats![i]); break;
                case OnnxDataType.Double: BinaryPrimitives.WriteDoubleLittleEndian(b[(i * 8)..], Floats![i]); break;
                case OnnxDataType.Float16: BinaryPrimitives.WriteUInt16LittleEndian(b[(i * 2)..], BitConverter.HalfToUInt16Bits((Half)Floats![i])); break;
                case OnnxDataType.BFloat16: BinaryPrimitives.WriteUInt16LittleEndian(b[(i * 2)..], FloatToBFloat16((float)Floats![i])); break;
                default:
                    long v = Ints![i];
                    for (int k = 0; k < size; k++) b[i * size + k] = (byte)(v >> (8 * k));
                    break;
            }
        }
        return new OnnxTensor(name, Type, Dims.Select(d => (long)d).ToArray(), raw);
    }

    private static float BFloat16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    private static ushort FloatToBFloat16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return 0x7FC0;
        u += 0x7FFF + ((u >> 16) & 1);   // round to nearest even
        return (ushort)(u >> 16);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Type}[{string.Join(", ", Dims)}]";
}
