namespace Tessera.Cli.Training;

/// <summary>Options of a Fashion-MNIST training run (what `tessera train` takes). <see cref="CheckNumerics"/>: the
/// training plan stops at the first node writing NaN or ±∞ (<see cref="Tessera.Graph.Execution.ExecutionPlan.CheckNumerics"/>).
/// <see cref="Zero"/>: 1 shards the optimizer state over the data-parallel ranks (<see cref="Tessera.Distributed.ZeroOptimizer"/>).</summary>
public sealed record TrainOptions(
    string Model = "mlp", string DataDir = FashionMnist.DefaultDirectory, int Epochs = 2, int Batch = 128,
    double LearningRate = 1e-3, ulong Seed = 0, string OutDir = "train-out", string? Resume = null,
    string Optimizer = "adam", float ClipNorm = 0, int? LimitTrain = null, int? LimitTest = null,
    bool CheckNumerics = false, int Zero = 0);

/// <summary>Metrics of one finished epoch (a line of metrics.json).</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy, double ImagesPerSec, double Seconds);

/// <summary>Progress within an epoch, reported after every step.</summary>
public readonly record struct StepProgress(int Epoch, int Step, int StepsPerEpoch, double Loss, double ImagesPerSec);
