using Tessera.Cpu;

namespace Tessera.Cli.Fuzzing;

/// <summary>A reader the <see cref="Fuzzer"/> drives: its seeds (valid inputs), its structure-aware mutator, and
/// <see cref="Execute"/>, which feeds one input through the reader and everything behind it. The property checked: an
/// input is either accepted or refused with a <see cref="TesseraException"/>; any other exception is a defect.</summary>
/// <param name="seeds">Valid inputs the mutations start from.</param>
internal abstract class FuzzTarget(IReadOnlyList<byte[]> seeds) : IDisposable
{
    /// <summary>The name the command and the reports use ("onnx", "tensor", "npy", "checkpoint").</summary>
    public abstract string Name { get; }

    /// <summary>What one input goes through.</summary>
    public abstract string Description { get; }

    /// <summary>Valid inputs the mutations start from.</summary>
    public IReadOnlyList<byte[]> Seeds => seeds;

    /// <summary>A mutant of <paramref name="input"/> (which is not changed).</summary>
    public abstract byte[] Mutate(byte[] input, Random rng);

    /// <summary>Feeds <paramref name="input"/> through the reader and what runs behind it; returns a short description of
    /// what was accepted (its kind of content: operators, element type), which guides the fuzzer like a refusal's
    /// message does. A refusal is a <see cref="TesseraException"/>.</summary>
    public abstract string Execute(byte[] input);

    private CpuDevice? _device;

    /// <summary>The CPU device the target places what it reads on (created on first use).</summary>
    protected CpuDevice Device => _device ??= new CpuDevice();

    /// <summary>Bytes <see cref="Device"/> holds leased; must not grow from input to input.</summary>
    public long LeasedBytes => _device?.Memory.Stats.CurrentBytes ?? 0;

    /// <summary>Releases <see cref="Device"/>.</summary>
    public void Dispose() => _device?.Dispose();

    /// <summary>The targets by name, over <paramref name="seedDir"/>'s files when given (see <see cref="FuzzSeeds"/>).</summary>
    public static FuzzTarget Create(string name, string? seedDir) => name switch
    {
        "onnx" => new OnnxFuzzTarget(FuzzSeeds.Models(seedDir)),
        "tensor" => new TensorFuzzTarget(FuzzSeeds.Tensors(seedDir)),
        "npy" => new NpyFuzzTarget(FuzzSeeds.Arrays()),
        "checkpoint" => new CheckpointFuzzTarget(FuzzSeeds.Checkpoints()),
        _ => throw new TesseraArgumentException("fuzz", "TARGET", $"unknown target '{name}' (targets: {string.Join(", ", Names)})"),
    };

    /// <summary>Every target's name.</summary>
    public static readonly string[] Names = ["onnx", "tensor", "npy", "checkpoint"];
}
