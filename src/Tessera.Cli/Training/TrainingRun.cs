using System.Diagnostics;
using System.Text.Json;
using Tessera.Devices;
using Tessera.Distributed;
using Tessera.Graph;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;

namespace Tessera.Cli.Training;

/// <summary>A whole training run: data, model, optimizer, per-epoch evaluation, metrics.json and a checkpoint per
/// epoch (written atomically), and exact resumption from a checkpoint: the shuffle of epoch e depends only on
/// (seed, e), dropout on the optimizer step, so a resumed run continues with the same numbers. With a communicator
/// of N ranks the run is data-parallel: each global batch of N × batch images is the same on every rank, rank r trains
/// on its r-th shard (its dropout drawn as for that part of the global batch), the gradients are averaged
/// (<see cref="DataParallel"/>; batch norm uses the global batch's statistics) and the reported losses are the global
/// batch's; rank 0 writes the files. With <see cref="TrainOptions.Zero"/> = 1 the optimizer state is sharded over the
/// ranks (<see cref="ZeroOptimizer"/>) and gathered for the checkpoint, which resumes on any number of ranks with the
/// same global batch.</summary>
public sealed class TrainingRun
{
    public const string CheckpointName = "checkpoint.safetensors";

    public TrainingRun(TrainOptions options, IDevice device, ICommunicator? communicator = null)
    {
        Options = options;
        Device = device;
        Communicator = communicator;
    }

    /// <summary>The ranks that train together (null: this process alone).</summary>
    public ICommunicator? Communicator { get; }

    public TrainOptions Options { get; }
    public IDevice Device { get; }
    public List<EpochMetrics> History { get; } = new();

    /// <summary>The loss of every step this run trained (for the curves; a resumed run starts at its first new epoch).</summary>
    public List<double> StepLosses { get; } = new();

    /// <summary>The epochs finished before this run's first step (0, or the resumed checkpoint's).</summary>
    public int StartEpoch { get; private set; }

    /// <summary>Bytes of optimizer state this rank holds after the last epoch (with ZeRO-1 its block's alone).</summary>
    public long OptimizerStateBytes { get; private set; }

    /// <summary>Training steps per epoch.</summary>
    public int StepsPerEpoch { get; private set; }

    /// <summary>Runs the remaining epochs; <paramref name="onStep"/> sees every step. Returns the metrics of all epochs.</summary>
    public IReadOnlyList<EpochMetrics> Run(FashionMnist data, Action<StepProgress>? onStep = null, Action<EpochMetrics>? onEpoch = null)
    {
        var o = Options;
        if (o.Epochs < 1) throw new TesseraArgumentException("train", "--epochs", $"must be at least 1, got {o.Epochs}");
        if (o.Batch < 1) throw new TesseraArgumentException("train", "--batch", $"must be at least 1, got {o.Batch}");
        if (!(o.LearningRate > 0) || !double.IsFinite(o.LearningRate)) throw new TesseraArgumentException("train", "--lr", $"must be a positive number, got {o.LearningRate}");
        if (o.LimitTest is < 1) throw new TesseraArgumentException("train", "--limit-test", $"must be at least 1, got {o.LimitTest}");
        int trainN = Math.Min(o.LimitTrain ?? data.TrainCount, data.TrainCount);
        int testN = Math.Min(o.LimitTest ?? data.TestCount, data.TestCount);
        int rank = Communicator?.Rank ?? 0, ranks = Communicator?.Size ?? 1;
        int global = checked(o.Batch * ranks);
        if (trainN < global) throw new TesseraArgumentException("train", "--batch", $"global batch {global} ({ranks} × {o.Batch}) is larger than the {trainN} training images");
        bool writer = rank == 0;
        if (writer) Directory.CreateDirectory(o.OutDir);

        if (o.Zero is not (0 or 1)) throw new TesseraArgumentException("train", "--zero", $"ZeRO stage {o.Zero} is not supported (0: off, 1: sharded optimizer state)");
        if (o.Zero == 1 && Communicator is null) throw new TesseraArgumentException("train", "--zero", "needs --data-parallel (ZeRO-1 shards the optimizer state over the ranks)");
        if (o.Zero == 1 && o.ClipNorm > 0) throw new TesseraArgumentException("train", "--clip-norm", "is not supported with --zero 1 (each rank holds a block of the gradients)");

        using var model = Models.Create(o.Model, Device, o.Seed);
        var schedule = new LearningRateSchedule.Constant(o.LearningRate);
        var plain = o.Optimizer switch
        {
            "adam" => (Optimizer)new Adam(schedule),
            "adamw" => new Adam(schedule, weightDecay: 0.01f, decoupled: true),
            "sgd" => new Sgd(schedule),
            "momentum" => new Momentum(schedule, 0.9f),
            _ => throw new TesseraArgumentException("train", "--optimizer", $"unknown optimizer '{o.Optimizer}' (adam, adamw, sgd, momentum)"),
        };
        using var dataParallel = Communicator is null ? null : new DataParallel(Communicator, model.State());
        using var optimizer = o.Zero == 1 ? new ZeroOptimizer(dataParallel!, plain) : plain;
        int startEpoch = 0;
        if (o.Resume is not null) startEpoch = Restore(o.Resume, model, optimizer);

        dataParallel?.BroadcastParameters(model.Parameters().Concat(model.State()));
        using var trainer = new Trainer(model, Device, o.Batch, FashionMnist.SampleShape, optimizer, o.ClipNorm,
            reducer: optimizer is ZeroOptimizer ? null : dataParallel);
        trainer.TrainPlan.Context.SampleOffset = (long)rank * o.Batch;
        trainer.TrainPlan.Context.Replicas = dataParallel;
        trainer.TrainPlan.CheckNumerics = o.CheckNumerics;
        using var globalLoss = dataParallel is null ? null : Tensor.Zeros(Device, DType.Float32, 1);
        int steps = trainN / global;
        StartEpoch = startEpoch;
        StepsPerEpoch = steps;
        var xb = new float[o.Batch * FashionMnist.ImageSize];
        var yb = new long[o.Batch];
        for (int epoch = startEpoch; epoch < o.Epochs; epoch++)
        {
            var order = Shuffle(trainN, o.Seed, epoch);
            var sw = Stopwatch.StartNew();
            double lossSum = 0;
            for (int s = 0; s < steps; s++)
            {
                for (int i = 0; i < o.Batch; i++)
                {
                    int idx = order[s * global + rank * o.Batch + i];
                    data.TrainImages.AsSpan(idx * FashionMnist.ImageSize, FashionMnist.ImageSize).CopyTo(xb.AsSpan(i * FashionMnist.ImageSize));
                    yb[i] = data.TrainLabels[idx];
                }
                float loss = trainer.Step(xb, yb);
                if (globalLoss is not null)
                {
                    globalLoss.CopyFrom<float>([loss]);
                    Communicator!.AllReduce(globalLoss, ReduceOp.Average);
                    loss = globalLoss.Item<float>();
                }
                if (!float.IsFinite(loss)) throw new TesseraException("train", $"loss became {loss} at epoch {epoch + 1}, step {s + 1}");
                lossSum += loss;
                StepLosses.Add(loss);
                onStep?.Invoke(new StepProgress(epoch + 1, s + 1, steps, lossSum / (s + 1), (s + 1) * global / sw.Elapsed.TotalSeconds));
            }
            double seconds = sw.Elapsed.TotalSeconds;
            var (testLoss, acc) = Evaluate(trainer, data, testN, o.Batch);
            var m = new EpochMetrics(epoch + 1, lossSum / steps, testLoss, acc, steps * global / seconds, seconds);
            History.Add(m);
            OptimizerStateBytes = optimizer.StateBytes;
            if (writer)
            {
                SaveCheckpoint(Path.Combine(o.OutDir, CheckpointName), model, optimizer, epoch + 1);
                WriteMetrics();
            }
            else if (optimizer is ZeroOptimizer) _ = optimizer.ExportState(); // gathering the state is a collective
            onEpoch?.Invoke(m);
        }
        return History;
    }

    /// <summary>The permutation of the training set for one epoch (Fisher–Yates from (seed, epoch)).</summary>
    public static int[] Shuffle(int n, ulong seed, int epoch)
    {
        var rng = new Initializer(seed * 1_000_003UL + (ulong)epoch + 17);
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)(rng.NextUInt64() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private static (double Loss, double Accuracy) Evaluate(Trainer trainer, FashionMnist data, int n, int batch)
    {
        double lossSum = 0;
        int correct = 0;
        for (int start = 0; start < n; start += batch)
        {
            int count = Math.Min(batch, n - start);
            var logits = trainer.Predict(data.TestImages.AsSpan(start * FashionMnist.ImageSize, count * FashionMnist.ImageSize), count).ToArray<float>();
            for (int i = 0; i < count; i++)
            {
                var row = logits.AsSpan(i * 10, 10);
                int label = data.TestLabels[start + i];
                float max = float.NegativeInfinity;
                int arg = 0;
                for (int c = 0; c < 10; c++) if (row[c] > max) { max = row[c]; arg = c; }
                double sum = 0;
                for (int c = 0; c < 10; c++) sum += Math.Exp(row[c] - max);
                lossSum += Math.Log(sum) + max - row[label];
                if (arg == label) correct++;
            }
        }
        return (lossSum / n, (double)correct / n);
    }

    private void SaveCheckpoint(string path, Module model, Optimizer optimizer, int epochsDone)
    {
        var meta = new Dictionary<string, string>
        {
            ["model"] = Options.Model,
            ["epochs_done"] = epochsDone.ToString(),
            ["seed"] = Options.Seed.ToString(),
            ["batch"] = Options.Batch.ToString(),
            ["ranks"] = (Communicator?.Size ?? 1).ToString(),
            ["history"] = JsonSerializer.Serialize(History, TrainingJson.Default.ListEpochMetrics),
        };
        model.SaveCheckpoint(path, optimizer, meta);
    }

    private int Restore(string path, Module model, Optimizer optimizer)
    {
        var (entries, values) = Checkpoint.Load(path);
        var (savedModel, batch, epochsDone, steps, history) = ReadMetadata(values);
        if (savedModel != Options.Model)
            throw new TesseraArgumentException("train", "--resume", $"checkpoint is for model '{savedModel}', not '{Options.Model}'");
        int savedRanks = values.ContainsKey("ranks") ? (int)new CheckpointMetadata(values, "train --resume").Whole("ranks", 1, int.MaxValue) : 1;
        int ranks = Communicator?.Size ?? 1;
        if ((long)batch * savedRanks != (long)Options.Batch * ranks)
            throw new TesseraArgumentException("train", "--resume",
                $"checkpoint used a global batch of {(long)batch * savedRanks} ({savedRanks} × {batch}), not {(long)Options.Batch * ranks} ({ranks} × {Options.Batch}); exact resumption needs the same global batch");
        model.Restore(entries, optimizer, steps, "train", "--resume");
        History.AddRange(history);
        return epochsDone;
    }

    /// <summary>The metadata <c>train --resume</c> needs, read typed and range-checked before anything is restored (a
    /// bad value names its key): the model, the batch, the epochs done, the optimizer's steps and the history of those
    /// epochs.</summary>
    internal static (string Model, int Batch, int EpochsDone, long Steps, List<EpochMetrics> History) ReadMetadata(IReadOnlyDictionary<string, string> values)
    {
        var meta = new CheckpointMetadata(values, "train --resume");
        string savedModel = meta.Required("model");
        int batch = (int)meta.Whole("batch", 1, int.MaxValue);
        int epochsDone = (int)meta.Whole("epochs_done", 0, int.MaxValue);
        long steps = meta.Whole("optimizer_steps", 0, long.MaxValue);
        meta.Natural("seed");
        var history = meta.Has("history") ? meta.Json("history", TrainingJson.Default.ListEpochMetrics) : new List<EpochMetrics>();
        if (history.Count != epochsDone || history.Select((m, i) => m is null || m.Epoch != i + 1).Any(bad => bad))
            throw new TesseraArgumentException("train", "--resume", $"checkpoint history lists epochs [{string.Join(", ", history.Select(m => m?.Epoch))}], not 1..{epochsDone}");
        return (savedModel, batch, epochsDone, steps, history);
    }

    private void WriteMetrics()
    {
        var path = Path.Combine(Options.OutDir, "metrics.json");
        var json = JsonSerializer.Serialize(
            new TrainingMetricsFile(Options.Model, Device.Id, Options.Seed, Options.Batch, Communicator?.Size ?? 1, Options.LearningRate, History),
            TrainingMetricsJson.Default.TrainingMetricsFile);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, json);
        File.Move(tmp, path, overwrite: true);
    }
}
