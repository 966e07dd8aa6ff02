using System.Buffers.Binary;
using System.Text;

namespace Tessera.Onnx.Protobuf;

/// <summary>A bounds-checked reader of one protobuf message's wire format over a byte span. Every length is checked
/// against the bytes that remain before it is used, nested messages carry a depth that is limited to
/// <see cref="MaxDepth"/>, and nothing is allocated from a number that was not checked against the input first.
/// Errors are <see cref="OnnxFormatException"/>s naming <see cref="Context"/> (the message being read).</summary>
internal ref struct ProtoReader
{
    /// <summary>Deepest message nesting accepted (a model's graph, node, attribute, sub-graph... each count one).</summary>
    public const int MaxDepth = 64;

    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    /// <summary>A reader over a whole top-level message.</summary>
    public ProtoReader(ReadOnlySpan<byte> data, string op, string context) : this(data, op, context, 0) { }

    private ProtoReader(ReadOnlySpan<byte> data, string op, string context, int depth)
    {
        _data = data;
        _pos = 0;
        Op = op;
        Context = context;
        Depth = depth;
    }

    /// <summary>The API that is reading (used as the exception's op).</summary>
    public string Op { get; }

    /// <summary>The message being read (used in error messages).</summary>
    public string Context { get; }

    /// <summary>Nesting depth of this message (0 at the top).</summary>
    public int Depth { get; }

    /// <summary>Bytes not yet read.</summary>
    public readonly int Remaining => _data.Length - _pos;

    /// <summary>True when the whole message has been read.</summary>
    public readonly bool AtEnd => _pos >= _data.Length;

    /// <summary>Reads the next field tag; false at the end of the message.</summary>
    public bool TryReadTag(out int field, out WireType wireType)
    {
        if (AtEnd) { field = 0; wireType = default; return false; }
        ulong tag = ReadVarint();
        if (tag > uint.MaxValue) throw Error($"field tag {tag} is out of range");
        int wt = (int)(tag & 7);
        ulong number = tag >> 3;
        if (number == 0 || number > (1u << 29) - 1) throw Error($"invalid field number {number}");
        if (wt is 6 or 7) throw Error($"field {number} has invalid wire type {wt}");
        if (wt is 3 or 4) throw Error($"field {number} uses deprecated protobuf groups (wire type {wt})");
        field = (int)number;
        wireType = (WireType)wt;
        return true;
    }

    /// <summary>Reads a base-128 varint (at most 10 bytes).</summary>
    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int i = 0; i < 10; i++)
        {
            if (_pos >= _data.Length) throw Error("truncated varint");
            byte b = _data[_pos++];
            if (i == 9 && b > 1) throw Error("varint overflows 64 bits");
            result |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return result;
        }
        throw Error("varint longer than 10 bytes");
    }

    /// <summary>Reads a little-endian 32-bit value.</summary>
    public uint ReadFixed32()
    {
        if (Remaining < 4) throw Error($"truncated fixed32 ({Remaining} bytes left)");
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(_data.Slice(_pos, 4));
        _pos += 4;
        return v;
    }

    /// <summary>Reads a little-endian 64-bit value.</summary>
    public ulong ReadFixed64()
    {
        if (Remaining < 8) throw Error($"truncated fixed64 ({Remaining} bytes left)");
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(_data.Slice(_pos, 8));
        _pos += 8;
        return v;
    }

    /// <summary>Reads a length-delimited payload (a view into the input, not a copy).</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        ulong len = ReadVarint();
        if (len > (ulong)Remaining) throw Error($"length {len} runs past the end of the message ({Remaining} bytes left)");
        var s = _data.Slice(_pos, (int)len);
        _pos += (int)len;
        return s;
    }

    /// <summary>Reads a length-delimited UTF-8 string (invalid sequences become U+FFFD).</summary>
    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    /// <summary>Reads a length-delimited embedded message; its reader is one level deeper.</summary>
    public ProtoReader ReadMessage(string context)
    {
        if (Depth + 1 > MaxDepth) throw Error($"messages nested deeper than {MaxDepth} levels");
        var payload = ReadBytes();
        return new ProtoReader(payload, Op, context, Depth + 1);
    }

    /// <summary>Checks that <paramref name="actual"/> is <paramref name="expected"/> for <paramref name="name"/>.</summary>
    public readonly void Expect(WireType actual, WireType expected, string name)
    {
        if (actual != expected) throw Error($"field '{name}' has wire type {actual}, expected {expected}");
    }

    /// <summary>Reads a varint field as int64 (two's complement, as protobuf int32/int64/enum are written).</summary>
    public long ReadInt64(WireType wt, string name) { Expect(wt, WireType.Varint, name); return (long)ReadVarint(); }

    /// <summary>Reads a varint field as int32 (negative values are sign-extended 10-byte varints).</summary>
    public int ReadInt32(WireType wt, string name) { Expect(wt, WireType.Varint, name); return unchecked((int)(long)ReadVarint()); }

    /// <summary>Reads a float (fixed32) field.</summary>
    public float ReadFloat(WireType wt, string name) { Expect(wt, WireType.Fixed32, name); return BitConverter.UInt32BitsToSingle(ReadFixed32()); }

    /// <summary>Reads a string (length-delimited) field.</summary>
    public string ReadString(WireType wt, string name) { Expect(wt, WireType.LengthDelimited, name); return ReadString(); }

    /// <summary>Reads a bytes (length-delimited) field.</summary>
    public ReadOnlySpan<byte> ReadBytes(WireType wt, string name) { Expect(wt, WireType.LengthDelimited, name); return ReadBytes(); }

    /// <summary>Reads an embedded message field.</summary>
    public ProtoReader ReadMessage(WireType wt, string name) { Expect(wt, WireType.LengthDelimited, name); return ReadMessage(name); }

    /// <summary>Reads one occurrence of a repeated varint field, packed (many values) or unpacked (one value).</summary>
    public void ReadRepeatedVarint(WireType wt, string name, List<long> into)
    {
        if (wt == WireType.Varint) { into.Add((long)ReadVarint()); return; }
        Expect(wt, WireType.LengthDelimited, name);
        var packed = new ProtoReader(ReadBytes(), Op, name, Depth);
        while (!packed.AtEnd) into.Add((long)packed.ReadVarint());
    }

    /// <summary>Reads one occurrence of a repeated fixed-width field (<paramref name="width"/> 4 or 8 bytes), packed or
    /// unpacked, appending its little-endian bytes unchanged.</summary>
    public void ReadRepeatedFixed(WireType wt, string name, int width, List<byte> into)
    {
        var single = width == 4 ? WireType.Fixed32 : WireType.Fixed64;
        if (wt == single)
        {
            if (Remaining < width) throw Error($"truncated {name} value");
            AddRange(into, _data.Slice(_pos, width));
            _pos += width;
            return;
        }
        Expect(wt, WireType.LengthDelimited, name);
        var bytes = ReadBytes();
        if (bytes.Length % width != 0) throw Error($"packed '{name}' holds {bytes.Length} bytes, not a multiple of {width}");
        AddRange(into, bytes);
    }

    /// <summary>Reads a repeated float field into a list of floats.</summary>
    public void ReadRepeatedFloat(WireType wt, string name, List<float> into)
    {
        var bytes = new List<byte>();
        ReadRepeatedFixed(wt, name, 4, bytes);
        for (int i = 0; i < bytes.Count; i += 4)
            into.Add(BitConverter.Int32BitsToSingle(bytes[i] | bytes[i + 1] << 8 | bytes[i + 2] << 16 | bytes[i + 3] << 24));
    }

    /// <summary>Skips a field of an unknown number.</summary>
    public void Skip(WireType wt)
    {
        switch (wt)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64: ReadFixed64(); break;
            case WireType.Fixed32: ReadFixed32(); break;
            case WireType.LengthDelimited: ReadBytes(); break;
            default: throw Error($"cannot skip wire type {(int)wt}");
        }
    }

    /// <summary>An exception naming the op and the message being read.</summary>
    public readonly OnnxFormatException Error(string message) =>
        new(Op, $"{Context}: {message} (at byte {_pos} of {_data.Length})");

    private static void AddRange(List<byte> into, ReadOnlySpan<byte> bytes) => into.AddRange(bytes);
}
