using Tessera.Onnx.Protobuf;

namespace Tessera.Cli.Fuzzing;

/// <summary>Structure-aware mutation of protobuf messages (ONNX models, TensorProto files): the input is parsed into
/// <see cref="ProtoNode"/> trees and one to three edits are made at random nodes — a varint set to a boundary value
/// (dimensions, data types, attribute values, indices), a float set to NaN, infinity or an extreme, a field renumbered
/// or given another wire type, a field deleted or repeated, a payload truncated, grown or replaced by a string or a
/// subtree from the seeds (another operator, another value name, another tensor) — and the tree is written back with
/// correct lengths. One input in five also gets byte-level damage afterwards (<see cref="ByteMutations"/>), which breaks
/// the framing the tree keeps intact.</summary>
internal sealed class ProtoMutator
{
    private static readonly uint[] FloatBits =
    [
        0x7FC00000, 0x7F800000, 0xFF800000, 0x00000000, 0x80000000, 0x7F7FFFFF, 0x00000001, 0x4F000000, 0xCF000000, 0x3F800000,
    ];

    private readonly List<byte[]> _strings = new();
    private readonly List<ProtoNode> _subtrees = new();

    /// <param name="seeds">The seeds whose strings (short payloads) and subtrees the mutator splices into inputs.</param>
    public ProtoMutator(IEnumerable<byte[]> seeds)
    {
        var seenStrings = new HashSet<string>(StringComparer.Ordinal);
        foreach (var seed in seeds)
        {
            var tree = ProtoNode.Parse(seed);
            if (tree is null) continue;
            var all = new List<(List<ProtoNode>, ProtoNode Node)>();
            ProtoNode.Flatten(tree, all);
            foreach (var (_, n) in all)
            {
                if (n.Type == WireType.LengthDelimited && n.Children is null && n.Payload.Length is > 0 and <= 64
                    && seenStrings.Add(Convert.ToHexString(n.Payload)))
                    _strings.Add(n.Payload);
                if (n.Children is not null && _subtrees.Count < 4096) _subtrees.Add(n);
            }
        }
    }

    /// <summary>A mutant of <paramref name="input"/>.</summary>
    public byte[] Mutate(byte[] input, Random rng)
    {
        var tree = ProtoNode.Parse(input);
        byte[] output;
        if (tree is null || tree.Count == 0) output = ByteMutations.Mutate(input, rng);
        else
        {
            int edits = 1 + rng.Next(3);
            for (int i = 0; i < edits; i++) Edit(tree, rng);
            output = ProtoNode.Write(tree);
        }
        return rng.Next(5) == 0 ? ByteMutations.Mutate(output, rng) : output;
    }

    private void Edit(List<ProtoNode> tree, Random rng)
    {
        var all = new List<(List<ProtoNode> Owner, ProtoNode Node)>();
        ProtoNode.Flatten(tree, all);
        if (all.Count == 0) return;
        var (owner, n) = all[rng.Next(all.Count)];
        switch (rng.Next(10))
        {
            case 0 or 1 or 2:
                EditValue(n, rng);
                break;
            case 3:
                owner.Remove(n);
                break;
            case 4:
                owner.Insert(rng.Next(owner.Count + 1), n.Clone());
                break;
            case 5:
                n.Field = Math.Max(1, n.Field + rng.Next(-2, 3));
                break;
            case 6:
                n.Type = (WireType)(rng.Next(3) switch { 0 => 0, 1 => 2, _ => rng.Next(2) == 0 ? 1 : 5 });
                if (n.Type == WireType.LengthDelimited && n.Children is null && n.Payload.Length == 0) n.Payload = [(byte)n.Scalar];
                break;
            case 7 when _subtrees.Count > 0:
            {
                // Splice a subtree of a seed (a node, a tensor, an attribute) in beside this node, or in its place.
                var graft = _subtrees[rng.Next(_subtrees.Count)].Clone();
                if (rng.Next(2) == 0) owner[owner.IndexOf(n)] = graft;
                else owner.Insert(rng.Next(owner.Count + 1), graft);
                break;
            }
            default:
                if (n.Type == WireType.LengthDelimited) EditPayload(n, rng);
                else EditValue(n, rng);
                break;
        }
    }

    private void EditValue(ProtoNode n, Random rng)
    {
        switch (n.Type)
        {
            case WireType.Fixed32:
                n.Scalar = rng.Next(3) == 0 ? (uint)rng.Next() : FloatBits[rng.Next(FloatBits.Length)];
                break;
            case WireType.Varint or WireType.Fixed64:
                n.Scalar = (ulong)ByteMutations.Number(rng, (long)n.Scalar);
                break;
            default:
                if (n.Children is { Count: > 0 } c) EditValue(c[rng.Next(c.Count)], rng);
                else EditPayload(n, rng);
                break;
        }
    }

    private void EditPayload(ProtoNode n, Random rng)
    {
        var payload = n.Children is null ? n.Payload : ProtoNode.Write(n.Children);
        n.Children = null;
        n.Payload = rng.Next(5) switch
        {
            0 when _strings.Count > 0 => _strings[rng.Next(_strings.Count)],
            4 => EditPacked(payload, rng),
            1 => payload[..rng.Next(payload.Length + 1)],
            2 => [.. payload, .. payload],
            _ => ByteMutations.Mutate(payload, rng),
        };
        if (rng.Next(2) == 0) n.Children = n.Payload.Length > 0 ? ProtoNode.Parse(n.Payload, 1) : null;
    }

    /// <summary>A payload read as packed varints (repeated dims, ints, int64_data) with one of them set to a boundary
    /// value; other payloads get byte-level damage.</summary>
    private static byte[] EditPacked(byte[] payload, Random rng)
    {
        var values = new List<ulong>();
        try
        {
            var r = new ProtoReader(payload, "ProtoMutator", "packed");
            while (!r.AtEnd) values.Add(r.ReadVarint());
        }
        catch (Tessera.Onnx.OnnxFormatException)
        {
            return ByteMutations.Mutate(payload, rng);
        }
        if (values.Count == 0) return ByteMutations.Mutate(payload, rng);
        int at = rng.Next(values.Count);
        values[at] = (ulong)ByteMutations.Number(rng, (long)values[at]);
        var w = new MemoryStream();
        foreach (ulong v in values) ProtoNode.Varint(w, v);
        return w.ToArray();
    }
}
