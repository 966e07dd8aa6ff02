using Tessera.Graph.Optimization;
using Tessera.Onnx;

namespace Tessera.Cli.Fuzzing;

/// <summary>ONNX models: read (<see cref="OnnxReader"/>), imported, optimized, planned and run on the CPU through
/// <see cref="OnnxProgram"/>, with every declared input filled deterministically (<see cref="ModelInputs.Fill"/>,
/// symbolic dimensions at 2; a model with an input of more than <see cref="MaxFedElements"/> elements is read but not
/// run). Mutations are protobuf-structured (<see cref="ProtoMutator"/>): operator types, attribute
/// values, dimensions, data types, initializer payloads, value names (dangling references, cycles).</summary>
internal sealed class OnnxFuzzTarget(IReadOnlyList<byte[]> seeds) : FuzzTarget(seeds)
{
    private readonly ProtoMutator _mutator = new(seeds);

    /// <summary>Inputs with more elements than this are not filled (the model is read, not run).</summary>
    public const long MaxFedElements = 1 << 20;

    public override string Name => "onnx";

    public override string Description => "OnnxReader.ReadModel → OnnxProgram (import, optimize, plan) → run on the CPU";

    public override byte[] Mutate(byte[] input, Random rng) => _mutator.Mutate(input, rng);

    public override string Execute(byte[] input)
    {
        var model = OnnxReader.ReadModel(input);
        using var program = new OnnxProgram(model, Device, OptimizationLevel.All);
        var dims = program.Inputs.SelectMany(i => i.DimParams ?? []).OfType<string>().Distinct().ToDictionary(d => d, _ => 2);
        var feeds = new Dictionary<string, OnnxTensor>();
        foreach (var i in program.Inputs)
        {
            // Filling is the harness's work, not the reader's: huge declared inputs are read and checked, not fed.
            long elements = i.Dims?.Aggregate(1L, (a, d) => d < 0 ? a * 2 : a * Math.Max(d, 0)) ?? 0;
            if (i.Dims?.Any(d => d > MaxFedElements) == true || elements > MaxFedElements) return $"read, not run: input '{i.Name}' is too large to fill";
            feeds[i.Name] = ModelInputs.Fill("fuzz", i, dims);
        }
        var outputs = program.Run(feeds);
        return $"ran {string.Join(",", model.Graph.Nodes.Select(n => n.OpType).Distinct().Order(StringComparer.Ordinal))} → {outputs.Count}";
    }
}
