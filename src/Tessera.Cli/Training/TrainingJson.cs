using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Cli.Training;

/// <summary>The JSON of a training run (checkpoint history, metrics.json), source-generated: no reflection, so a
/// trimmed or Native AOT build reads and writes it as the JIT build does.</summary>
[JsonSerializable(typeof(List<EpochMetrics>))]
[JsonSerializable(typeof(TrainingMetricsFile))]
internal sealed partial class TrainingJson : JsonSerializerContext
{
    /// <summary>The same metadata, writing indented JSON (metrics.json).</summary>
    public static TrainingJson Indented { get; } = new(new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>metrics.json: the run's settings and one line per finished epoch.</summary>
internal sealed record TrainingMetricsFile(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("seed")] ulong Seed,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("lr")] double LearningRate,
    [property: JsonPropertyName("epochs")] IReadOnlyList<TrainingMetricsFile.Epoch> Epochs)
{
    /// <summary>One finished epoch.</summary>
    internal sealed record Epoch(
        [property: JsonPropertyName("epoch")] int Number,
        [property: JsonPropertyName("train_loss")] double TrainLoss,
        [property: JsonPropertyName("test_loss")] double TestLoss,
        [property: JsonPropertyName("test_accuracy")] double TestAccuracy,
        [property: JsonPropertyName("images_per_sec")] double ImagesPerSec,
        [property: JsonPropertyName("seconds")] double Seconds);
}
