using Tessera.Onnx;

namespace Tessera.Cli.Fuzzing;

/// <summary>TensorProto files (the .pb of ONNX test data and of <c>--input</c>): read (<see cref="OnnxReader.ReadTensor(ReadOnlySpan{byte})"/>)
/// and, for element types Tessera computes, placed on the CPU (<see cref="OnnxTensors.ToTensor"/>, float64 narrowed).
/// Mutations are protobuf-structured (<see cref="ProtoMutator"/>).</summary>
internal sealed class TensorFuzzTarget(IReadOnlyList<byte[]> seeds) : FuzzTarget(seeds)
{
    private readonly ProtoMutator _mutator = new(seeds);

    public override string Name => "tensor";

    public override string Description => "OnnxReader.ReadTensor → OnnxTensors.ToTensor on the CPU";

    public override byte[] Mutate(byte[] input, Random rng) => _mutator.Mutate(input, rng);

    public override string Execute(byte[] input)
    {
        var t = OnnxReader.ReadTensor(input);
        if (OnnxTensors.ToDType(t.DataType) is null && t.DataType != OnnxDataType.Double) return $"read {t.DataType} rank {t.Dims.Length}";
        using var tensor = OnnxTensors.ToTensor(t, Device, convertDouble: true);
        return $"placed {t.DataType} rank {t.Dims.Length}";
    }
}
