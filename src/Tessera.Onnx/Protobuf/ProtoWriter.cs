using System.Buffers.Binary;
using System.Text;

namespace Tessera.Onnx.Protobuf;

/// <summary>Writes protobuf wire format into a growable buffer. Embedded messages are written by a nested writer and
/// copied in behind their length (<see cref="Message"/>).</summary>
internal sealed class ProtoWriter
{
    private byte[] _buf = new byte[256];
    private int _len;

    /// <summary>Bytes written so far.</summary>
    public int Length => _len;

    /// <summary>A copy of the bytes written.</summary>
    public byte[] ToArray() => _buf.AsSpan(0, _len).ToArray();

    /// <summary>The bytes written (valid until the next write).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buf.AsSpan(0, _len);

    private Span<byte> Grow(int n)
    {
        if (_len + n > _buf.Length)
        {
            long want = Math.Max((long)_buf.Length * 2, (long)_len + n);
            if (want > Array.MaxLength) want = (long)_len + n;
            if (want > Array.MaxLength) throw new OnnxFormatException("ProtoWriter", "message exceeds the largest array .NET can hold");
            Array.Resize(ref _buf, (int)want);
        }
        var s = _buf.AsSpan(_len, n);
        _len += n;
        return s;
    }

    private void Tag(int field, WireType wt) => VarintRaw((ulong)(uint)field << 3 | (uint)wt);

    /// <summary>A bare varint (no tag).</summary>
    public void VarintRaw(ulong v)
    {
        while (v >= 0x80) { Grow(1)[0] = (byte)(v | 0x80); v >>= 7; }
        Grow(1)[0] = (byte)v;
    }

    /// <summary>A varint field (int32, int64, enum, bool; negative values take ten bytes, as protobuf writes them).</summary>
    public void Varint(int field, long v) { Tag(field, WireType.Varint); VarintRaw((ulong)v); }

    /// <summary>A float field.</summary>
    public void Float(int field, float v)
    {
        Tag(field, WireType.Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(Grow(4), v);
    }

    /// <summary>A bytes field.</summary>
    public void Bytes(int field, ReadOnlySpan<byte> v)
    {
        Tag(field, WireType.LengthDelimited);
        VarintRaw((ulong)v.Length);
        v.CopyTo(Grow(v.Length));
    }

    /// <summary>A string field (UTF-8).</summary>
    public void String(int field, string v) => Bytes(field, Encoding.UTF8.GetBytes(v));

    /// <summary>An embedded message field written by <paramref name="body"/>.</summary>
    public void Message(int field, Action<ProtoWriter> body)
    {
        var inner = new ProtoWriter();
        body(inner);
        Bytes(field, inner.WrittenSpan);
    }

    /// <summary>A packed repeated varint field (nothing is written for an empty list).</summary>
    public void PackedVarints(int field, IReadOnlyList<long> values)
    {
        if (values.Count == 0) return;
        var inner = new ProtoWriter();
        foreach (long v in values) inner.VarintRaw((ulong)v);
        Bytes(field, inner.WrittenSpan);
    }

    /// <summary>A packed repeated float field (nothing is written for an empty list).</summary>
    public void PackedFloats(int field, IReadOnlyList<float> values)
    {
        if (values.Count == 0) return;
        Tag(field, WireType.LengthDelimited);
        VarintRaw((ulong)values.Count * 4);
        var dst = Grow(values.Count * 4);
        for (int i = 0; i < values.Count; i++) BinaryPrimitives.WriteSingleLittleEndian(dst[(i * 4)..], values[i]);
    }
}
