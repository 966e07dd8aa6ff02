using System.Buffers.Binary;
using Tessera.Onnx;
using Tessera.Onnx.Protobuf;

namespace Tessera.Cli.Fuzzing;

/// <summary>One field of a protobuf message as the wire format has it, schema-free: its number, wire type, and a scalar
/// (varint, fixed32, fixed64) or a payload (length-delimited), whose fields are <see cref="Children"/> when the payload
/// parses as a message. <see cref="ProtoMutator"/> edits these trees; <see cref="Write"/> serialises them with correct
/// lengths, so that a mutation reaches the reader's semantic checks instead of only its framing.</summary>
internal sealed class ProtoNode
{
    private const int MaxDepth = 12;

    public int Field { get; set; }

    public WireType Type { get; set; }

    /// <summary>The value of a varint or fixed field.</summary>
    public ulong Scalar { get; set; }

    /// <summary>The payload of a length-delimited field that does not parse as a message.</summary>
    public byte[] Payload { get; set; } = [];

    /// <summary>The fields of a length-delimited payload that parses as a (non-empty) message; null otherwise.</summary>
    public List<ProtoNode>? Children { get; set; }

    /// <summary>The fields of <paramref name="data"/>, or null when it is not a well-formed message.</summary>
    public static List<ProtoNode>? Parse(ReadOnlySpan<byte> data, int depth = 0)
    {
        var nodes = new List<ProtoNode>();
        try
        {
            var r = new ProtoReader(data, "ProtoNode", "message");
            while (r.TryReadTag(out int field, out var wt))
            {
                var n = new ProtoNode { Field = field, Type = wt };
                switch (wt)
                {
                    case WireType.Varint: n.Scalar = r.ReadVarint(); break;
                    case WireType.Fixed32: n.Scalar = r.ReadFixed32(); break;
                    case WireType.Fixed64: n.Scalar = r.ReadFixed64(); break;
                    default:
                        var payload = r.ReadBytes();
                        n.Children = depth < MaxDepth && payload.Length > 0 ? Parse(payload, depth + 1) : null;
                        if (n.Children is null) n.Payload = payload.ToArray();
                        break;
                }
                nodes.Add(n);
            }
        }
        catch (OnnxFormatException)
        {
            return null;
        }
        return nodes;
    }

    /// <summary>The wire bytes of <paramref name="nodes"/>.</summary>
    public static byte[] Write(IEnumerable<ProtoNode> nodes)
    {
        var w = new MemoryStream();
        foreach (var n in nodes) n.WriteTo(w);
        return w.ToArray();
    }

    private void WriteTo(MemoryStream w)
    {
        Varint(w, (ulong)(uint)Field << 3 | (uint)Type);
        Span<byte> fixedBytes = stackalloc byte[8];
        switch (Type)
        {
            case WireType.Varint: Varint(w, Scalar); break;
            case WireType.Fixed32: BinaryPrimitives.WriteUInt32LittleEndian(fixedBytes, (uint)Scalar); w.Write(fixedBytes[..4]); break;
            case WireType.Fixed64: BinaryPrimitives.WriteUInt64LittleEndian(fixedBytes, Scalar); w.Write(fixedBytes); break;
            default:
                var payload = Children is null ? Payload : Write(Children);
                Varint(w, (ulong)payload.Length);
                w.Write(payload);
                break;
        }
    }

    /// <summary>Writes <paramref name="v"/> as a protobuf varint.</summary>
    public static void Varint(Stream w, ulong v)
    {
        while (v >= 0x80) { w.WriteByte((byte)(v | 0x80)); v >>= 7; }
        w.WriteByte((byte)v);
    }

    /// <summary>A deep copy.</summary>
    public ProtoNode Clone() => new()
    {
        Field = Field, Type = Type, Scalar = Scalar, Payload = Payload,
        Children = Children?.Select(c => c.Clone()).ToList(),
    };

    /// <summary>Every node of <paramref name="nodes"/> and below, with the list that holds it.</summary>
    public static void Flatten(List<ProtoNode> nodes, List<(List<ProtoNode> Owner, ProtoNode Node)> into)
    {
        foreach (var n in nodes)
        {
            into.Add((nodes, n));
            if (n.Children is not null) Flatten(n.Children, into);
        }
    }
}
