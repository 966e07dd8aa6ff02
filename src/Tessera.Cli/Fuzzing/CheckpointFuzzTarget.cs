using System.Buffers.Binary;
using System.Text;
using Tessera.Cli.Training;
using Tessera.Graph.Training;

namespace Tessera.Cli.Fuzzing;

/// <summary>Checkpoints: loaded and verified (<see cref="Checkpoint.Load(byte[], string)"/>), then their metadata read
/// as <c>train --resume</c> reads it (<see cref="TrainingRun.ReadMetadata"/>). Mutations edit the JSON header
/// (<see cref="TextHeaderMutator"/>: dtypes, shapes, data offsets, metadata values and keys) or the data, and then
/// mostly re-seal the hash (<see cref="Checkpoint.Reseal"/>) so that the checks behind it are reached; the rest keep
/// the stale hash or get byte-level damage.</summary>
internal sealed class CheckpointFuzzTarget(IReadOnlyList<byte[]> seeds) : FuzzTarget(seeds)
{
    public override string Name => "checkpoint";

    public override string Description => "Checkpoint.Load → the typed metadata train --resume reads";

    public override string Execute(byte[] input)
    {
        var (tensors, metadata) = Checkpoint.Load(input, "fuzz.ckpt");
        var resume = TrainingRun.ReadMetadata(metadata);
        return $"loaded {tensors.Count} tensors, {resume.EpochsDone} epochs";
    }

    public override byte[] Mutate(byte[] input, Random rng)
    {
        if (input.Length < 8 || rng.Next(6) == 0) return ByteMutations.Mutate(input, rng);
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(input);
        if (headerLen > (ulong)(input.Length - 8)) return ByteMutations.Mutate(input, rng);
        string header = Encoding.UTF8.GetString(input, 8, (int)headerLen);
        byte[] data = input[(8 + (int)headerLen)..];
        (header, data) = TextHeaderMutator.MutateParts(header, data, rng, unit: sizeof(float));
        byte[] h = Encoding.UTF8.GetBytes(header);
        var output = new byte[8 + h.Length + data.Length];
        ulong declared = rng.Next(10) == 0 ? (ulong)ByteMutations.Number(rng, h.Length) : (ulong)h.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(output, declared);
        h.CopyTo(output, 8);
        data.CopyTo(output, 8 + h.Length);
        if (rng.Next(5) > 0) Checkpoint.Reseal(output);
        return output;
    }
}
