using System.Text.Json.Serialization;

namespace Tessera.Cli.Training;

/// <summary>The JSON of a training run's checkpoint (the epoch history), source-generated: no reflection, so a trimmed
/// or Native AOT build reads and writes it as the JIT build does.</summary>
[JsonSerializable(typeof(List<EpochMetrics>))]
internal sealed partial class TrainingJson : JsonSerializerContext;

/// <summary>metrics.json, indented, its names in snake case (<c>train_loss</c>), source-generated like
/// <see cref="TrainingJson"/>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TrainingMetricsFile))]
[JsonSerializable(typeof(SoakReportFile))]
internal sealed partial class TrainingMetricsJson : JsonSerializerContext;

/// <summary>metrics.json: the run's settings (<see cref="Ranks"/>: processes of a data-parallel run, else 1) and one line per
/// finished epoch.</summary>
internal sealed record TrainingMetricsFile(string Model, string Device, ulong Seed, int Batch, int Ranks, double Lr, IReadOnlyList<EpochMetrics> Epochs);

/// <summary>The JSON of `tessera soak --report`: the build, the machine and the command line, the settings, the drifts from
/// the post-warm-up baseline and every measurement.</summary>
internal sealed record SoakReportFile(string Version, string Machine, string Command, int Threads, string Device, SoakOptions Options,
    int WarmupSteps, double Seconds, double ResidentDrift, double PoolReservedDrift, double PoolInUseDrift, IReadOnlyList<SoakSample> Samples);
