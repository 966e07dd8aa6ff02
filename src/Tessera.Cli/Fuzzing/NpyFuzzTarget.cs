using System.Buffers.Binary;
using System.Text;
using Tessera.Onnx;

namespace Tessera.Cli.Fuzzing;

/// <summary>.npy arrays: read (<see cref="NpyFile.Read(ReadOnlySpan{byte})"/>) and placed on the CPU. Mutations edit the
/// header dict (<see cref="TextHeaderMutator"/>: descr, fortran_order, shape), the data (truncated, grown) and the
/// header length field, or damage bytes.</summary>
internal sealed class NpyFuzzTarget(IReadOnlyList<byte[]> seeds) : FuzzTarget(seeds)
{

    public override string Name => "npy";

    public override string Description => "NpyFile.Read → NpyFile.ToTensor on the CPU";

    public override string Execute(byte[] input)
    {
        var a = NpyFile.Read(input);
        using var t = NpyFile.ToTensor(a, Device);
        return $"placed {a.DType} rank {a.Shape.Length}";
    }

    public override byte[] Mutate(byte[] input, Random rng)
    {
        // \x93NUMPY, major, minor, then a 2-byte (1.0) or 4-byte (2.0, 3.0) header length.
        int major = input.Length > 7 ? input[6] : 0;
        int lenBytes = major == 1 ? 2 : 4;
        int start = 8 + lenBytes;
        if (major is < 1 or > 3 || input.Length < start || rng.Next(5) == 0) return ByteMutations.Mutate(input, rng);
        long headerLen = lenBytes == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(input.AsSpan(8)) : BinaryPrimitives.ReadUInt32LittleEndian(input.AsSpan(8));
        if (headerLen > input.Length - start) return ByteMutations.Mutate(input, rng);
        string header = Encoding.Latin1.GetString(input, start, (int)headerLen);
        byte[] data = input[(start + (int)headerLen)..];
        (header, data) = TextHeaderMutator.MutateParts(header, data, rng, unit: 1);
        byte[] h = Encoding.Latin1.GetBytes(header);
        long declared = rng.Next(8) == 0 ? ByteMutations.Number(rng, h.Length) : h.Length;
        var output = new byte[start + h.Length + data.Length];
        input.AsSpan(0, 8).CopyTo(output);
        if (lenBytes == 2) BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(8), unchecked((ushort)declared));
        else BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(8), unchecked((uint)declared));
        h.CopyTo(output, start);
        data.CopyTo(output, start + h.Length);
        return output;
    }
}
