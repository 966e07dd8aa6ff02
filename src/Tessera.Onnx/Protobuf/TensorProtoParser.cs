using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Tessera.Onnx.Protobuf;

/// <summary>Parses a TensorProto and normalises its data (raw_data or the typed fields) into little-endian
/// <see cref="OnnxTensor.RawData"/>. Field numbers are those of onnx.proto.</summary>
internal static class TensorProtoParser
{
    /// <summary>Largest element count accepted for one tensor (2^31).</summary>
    public const long MaxElements = 1L << 31;

    private const int FDims = 1, FDataType = 2, FSegment = 3, FFloatData = 4, FInt32Data = 5, FStringData = 6,
        FInt64Data = 7, FName = 8, FRawData = 9, FDoubleData = 10, FUint64Data = 11, FExternalData = 13, FDataLocation = 14;

    /// <summary>Bytes per element, or 0 for types without a fixed width (string, undefined, unknown).</summary>
    public static int ElementSize(OnnxDataType t) => t switch
    {
        OnnxDataType.Float or OnnxDataType.Int32 or OnnxDataType.Uint32 => 4,
        OnnxDataType.Uint8 or OnnxDataType.Int8 or OnnxDataType.Bool => 1,
        OnnxDataType.Uint16 or OnnxDataType.Int16 or OnnxDataType.Float16 or OnnxDataType.BFloat16 => 2,
        OnnxDataType.Int64 or OnnxDataType.Uint64 or OnnxDataType.Double or OnnxDataType.Complex64 => 8,
        OnnxDataType.Complex128 => 16,
        _ => 0,
    };

    public static OnnxTensor Parse(ref ProtoReader r)
    {
        var dims = new List<long>();
        int dataType = 0;
        string name = "";
        byte[]? raw = null;
        List<byte>? floats = null, doubles = null;
        List<long>? int32s = null, int64s = null, uint64s = null;
        List<string>? strings = null;
        bool external = false;
        string? location = null;
        long offset = 0, length = -1;
        while (r.TryReadTag(out int field, out var wt))
        {
            switch (field)
            {
                case FDims: r.ReadRepeatedVarint(wt, "TensorProto.dims", dims); break;
                case FDataType: dataType = r.ReadInt32(wt, "TensorProto.data_type"); break;
                case FSegment: throw r.Error("segmented tensors (TensorProto.segment) are not supported");
                case FFloatData: r.ReadRepeatedFixed(wt, "TensorProto.float_data", 4, floats ??= []); break;
                case FInt32Data: r.ReadRepeatedVarint(wt, "TensorProto.int32_data", int32s ??= []); break;
                case FStringData: (strings ??= []).Add(r.ReadString(wt, "TensorProto.string_data")); break;
                case FInt64Data: r.ReadRepeatedVarint(wt, "TensorProto.int64_data", int64s ??= []); break;
                case FName: name = r.ReadString(wt, "TensorProto.name"); break;
                case FRawData: raw = r.ReadBytes(wt, "TensorProto.raw_data").ToArray(); break;
                case FDoubleData: r.ReadRepeatedFixed(wt, "TensorProto.double_data", 8, doubles ??= []); break;
                case FUint64Data: r.ReadRepeatedVarint(wt, "TensorProto.uint64_data", uint64s ??= []); break;
                case FDataLocation: external = r.ReadInt64(wt, "TensorProto.data_location") == 1; break;
                case FExternalData:
                    {
                        var e = r.ReadMessage(wt, "TensorProto.external_data");
                        var (key, value) = ReadEntry(ref e);
                        switch (key)
                        {
                            case "location": location = value; break;
                            case "offset": offset = ParseCount(ref r, name, key, value); break;
                            case "length": length = ParseCount(ref r, name, key, value); break;
                        }
                        break;
                    }
                default: r.Skip(wt); break;
            }
        }

        string what = name.Length > 0 ? $"tensor '{name}'" : "tensor";
        var type = (OnnxDataType)dataType;
        var shape = CheckDims(ref r, what, dims);
        long count = 1;
        foreach (long d in shape) count *= d;   // bounded by CheckDims
        if (external) return External(ref r, what, name, type, shape, count, location, offset, length);

        if (type == OnnxDataType.String)
        {
            if (raw is not null) throw r.Error($"{what} is a string tensor with raw_data (strings must use string_data)");
            var list = strings ?? [];
            if (list.Count != count) throw r.Error($"{what} has {list.Count} strings for dims [{string.Join(", ", shape)}] ({count} elements)");
            return new OnnxTensor(name, type, shape, []) { Strings = list };
        }

        int size = ElementSize(type);
        if (size == 0) throw r.Error($"{what} has unsupported data_type {dataType}");
        long expectedBytes = count * size;
        if (expectedBytes > Array.MaxLength) throw r.Error($"{what} needs {expectedBytes} bytes, more than one array can hold");
        byte[] data;
        if (raw is not null)
        {
            if (raw.LongLength != expectedBytes)
                throw r.Error($"{what} raw_data holds {raw.LongLength} bytes, dims [{string.Join(", ", shape)}] of {type} need {expectedBytes}");
            data = raw;
        }
        else
        {
            data = type switch
            {
                OnnxDataType.Float or OnnxDataType.Complex64 => Fixed(ref r, what, floats, expectedBytes, "float_data"),
                OnnxDataType.Double or OnnxDataType.Complex128 => Fixed(ref r, what, doubles, expectedBytes, "double_data"),
                OnnxDataType.Int64 => Varints(ref r, what, int64s, count, size, "int64_data"),
                OnnxDataType.Uint32 or OnnxDataType.Uint64 => Varints(ref r, what, uint64s, count, size, "uint64_data"),
                OnnxDataType.Bool => Bools(ref r, what, int32s, count),
                _ => Varints(ref r, what, int32s, count, size, "int32_data"),
            };
        }
        return new OnnxTensor(name, type, shape, data);
    }

    /// <summary>A tensor whose data lies in a file next to the model: its <see cref="OnnxTensor.External"/> says where;
    /// the data is read when the model is read from its path (<see cref="OnnxReader.ReadModel(string)"/>).</summary>
    private static OnnxTensor External(ref ProtoReader r, string what, string name, OnnxDataType type, long[] shape, long count,
        string? location, long offset, long length)
    {
        if (string.IsNullOrEmpty(location)) throw r.Error($"{what} has data_location = EXTERNAL but no 'location' in external_data");
        int size = ElementSize(type);
        if (size == 0 || type == OnnxDataType.String) throw r.Error($"{what} has unsupported data_type {(int)type} for external data");
        long expected = count * size;
        if (expected > Array.MaxLength) throw r.Error($"{what} needs {expected} bytes, more than one array can hold");
        if (length >= 0 && length != expected)
            throw r.Error($"{what} external_data length is {length} bytes, dims [{string.Join(", ", shape)}] of {type} need {expected}");
        return new OnnxTensor(name, type, shape, []) { External = new OnnxExternalData(location, offset, expected) };
    }

    private static (string Key, string Value) ReadEntry(ref ProtoReader r)
    {
        string key = "", value = "";
        while (r.TryReadTag(out int field, out var wt))
        {
            switch (field)
            {
                case 1: key = r.ReadString(wt, "StringStringEntryProto.key"); break;
                case 2: value = r.ReadString(wt, "StringStringEntryProto.value"); break;
                default: r.Skip(wt); break;
            }
        }
        return (key, value);
    }

    private static long ParseCount(ref ProtoReader r, string name, string key, string value) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v)
            ? v
            : throw r.Error($"tensor '{name}' external_data '{key}' is '{value}', not a non-negative integer");

    private static long[] CheckDims(ref ProtoReader r, string what, List<long> dims)
    {
        if (dims.Count > 64) throw r.Error($"{what} has rank {dims.Count} (at most 64 is accepted)");
        long count = 1;
        foreach (long d in dims)
        {
            if (d < 0) throw r.Error($"{what} has negative dimension {d} in dims [{string.Join(", ", dims)}]");
            if (d > int.MaxValue) throw r.Error($"{what} has absurd dimension {d} in dims [{string.Join(", ", dims)}]");
            count *= d;   // each factor <= 2^31 - 1 and count <= 2^31 before the multiply: no overflow
            if (count > MaxElements) throw r.Error($"{what} dims [{string.Join(", ", dims)}] exceed {MaxElements} elements");
        }
        return [.. dims];
    }

    private static byte[] Fixed(ref ProtoReader r, string what, List<byte>? values, long expectedBytes, string field)
    {
        int have = values?.Count ?? 0;
        if (have != expectedBytes) throw r.Error($"{what} {field} holds {have} bytes of data, its dims need {expectedBytes}");
        return values is null ? [] : [.. CollectionsMarshal.AsSpan(values)];
    }

    private static byte[] Varints(ref ProtoReader r, string what, List<long>? values, long count, int size, string field)
    {
        int have = values?.Count ?? 0;
        if (have != count) throw r.Error($"{what} {field} holds {have} values, its dims need {count}");
        var data = new byte[count * size];
        for (int i = 0; i < have; i++)
        {
            long v = values![i];
            var dst = data.AsSpan((int)((long)i * size), size);
            switch (size)
            {
                case 1: dst[0] = unchecked((byte)v); break;
                case 2: BinaryPrimitives.WriteUInt16LittleEndian(dst, unchecked((ushort)v)); break;
                case 4: BinaryPrimitives.WriteUInt32LittleEndian(dst, unchecked((uint)v)); break;
                default: BinaryPrimitives.WriteInt64LittleEndian(dst, v); break;
            }
        }
        return data;
    }

    private static byte[] Bools(ref ProtoReader r, string what, List<long>? values, long count)
    {
        int have = values?.Count ?? 0;
        if (have != count) throw r.Error($"{what} int32_data holds {have} values, its dims need {count}");
        var data = new byte[count];
        for (int i = 0; i < have; i++) data[i] = values![i] != 0 ? (byte)1 : (byte)0;
        return data;
    }
}
