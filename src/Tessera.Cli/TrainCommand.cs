using System.CommandLine;
using Spectre.Console;
using Tessera.Devices;
using Tessera.Distributed;
using Tessera.Cli.Training;
using Tessera.Graph.Training;

namespace Tessera.Cli;

/// <summary>`tessera train`: trains mlp, cnn or vit on Fashion-MNIST with live progress, per-epoch evaluation,
/// metrics.json, a plot of the curves, and a checkpoint per epoch (resumable).</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "mlp | cnn | vit", DefaultValueFactory = _ => "mlp" };
        model.AcceptOnlyFromAmong("mlp", "cnn", "vit");
        var data = new Option<string>("--data") { Description = "folder with the Fashion-MNIST IDX files", DefaultValueFactory = _ => FashionMnist.DefaultDirectory };
        var epochs = new Option<int>("--epochs") { Description = "passes over the training set (a resumed run continues up to this count)", DefaultValueFactory = _ => 2 };
        var batch = new Option<int>("--batch") { Description = "images per training step", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "learning rate (constant)", DefaultValueFactory = _ => 1e-3 };
        var threads = Cli.ThreadsOption();
        var device = Cli.DeviceOption();
        var seed = new Option<ulong>("--seed") { Description = "seed of the initial weights and of the shuffling", DefaultValueFactory = _ => 0UL };
        var output = new Option<string>("--out") { Description = "folder for metrics.json, curves.png and the checkpoint", DefaultValueFactory = _ => "train-out" };
        var resume = new Option<string?>("--resume") { Description = "checkpoint to continue from" };
        var optimizer = new Option<string>("--optimizer") { Description = "adam | adamw | sgd | momentum", DefaultValueFactory = _ => "adam" };
        optimizer.AcceptOnlyFromAmong("adam", "adamw", "sgd", "momentum");
        var clip = new Option<float>("--clip-norm") { Description = "clip gradients to this global L2 norm (0: off)", DefaultValueFactory = _ => 0f };
        var limit = new Option<int?>("--limit") { Description = "use only the first N training images (quick runs)" };
        var limitTest = new Option<int?>("--limit-test") { Description = "evaluate on the first N test images only (quick runs)" };
        var dataParallel = new Option<bool>("--data-parallel")
        {
            Description = "train data-parallel over the ranks of `mpirun -np N` (--batch images per rank; gradients averaged over MPI)",
        };
        var timeout = new Option<double>("--timeout")
        {
            Description = "seconds a collective may take before the rank stops with an error (--data-parallel)", DefaultValueFactory = _ => 300,
        };
        var zero = new Option<int>("--zero")
        {
            Description = "ZeRO stage with --data-parallel: 1 shards the optimizer state over the ranks (reduce-scatter, step the block, all-gather)",
            DefaultValueFactory = _ => 0,
        };
        zero.AcceptOnlyFromAmong("0", "1");
        var checkNumerics = Cli.CheckNumericsOption();
        var cmd = new Command("train", "Train a model on Fashion-MNIST.")
        {
            model, data, epochs, batch, lr, threads, device, seed, output, resume, optimizer, clip, limit, limitTest, dataParallel, timeout, zero, checkNumerics,
        };
        cmd.SetAction(r =>
        {
            var o = new TrainOptions(r.GetValue(model)!, r.GetValue(data)!, r.GetValue(epochs), r.GetValue(batch), r.GetValue(lr),
                r.GetValue(seed), r.GetValue(output)!, r.GetValue(resume), r.GetValue(optimizer)!, r.GetValue(clip), r.GetValue(limit), r.GetValue(limitTest), CheckNumerics: r.GetValue(checkNumerics), Zero: r.GetValue(zero));
            bool parallel = r.GetValue(dataParallel);
            double seconds = r.GetValue(timeout);
            return Cli.Guard(() =>
            {
                using var comm = parallel ? MpiLaunch.Open("train", "--data-parallel", seconds) : null;
                return Run(o, r.GetValue(device)!, comm is null ? r.GetValue(threads) : MpiLaunch.Threads(r.GetValue(threads)), comm);
            });
        });
        return cmd;
    }

    private static int Run(TrainOptions o, string deviceId, int threads, ICommunicator? comm)
    {
        if (comm is null || comm.Rank == 0) Cli.OutputDirectory("train", "--out", o.OutDir);
        var device = Cli.OpenDevice(comm is null ? deviceId : MpiLaunch.RankDevice(deviceId), threads);
        // On CUDA devices the gradients are all-reduced by NCCL, which MPI introduces.
        using var nccl = comm is null ? null : MpiLaunch.Nccl("train", device, comm, backend: null, comm.Timeout);
        comm = nccl ?? comm;
        var data = FashionMnist.Load(o.DataDir);
        var run = new TrainingRun(o, device, comm);
        if (comm is { Rank: > 0 })
        {
            run.Run(data); // rank 0 reports and writes the files
            return 0;
        }
        if (comm is not null)
            AnsiConsole.MarkupLine($"data-parallel over {comm.Size} ranks ({Markup.Escape(comm.Name)}), global batch {comm.Size * o.Batch}, {threads} threads per rank");
        AnsiConsole.MarkupLine($"[bold]tessera train[/] model [cyan]{o.Model}[/] on {Markup.Escape(device.Id)} ({Markup.Escape(device.Name)}), " +
                               $"{data.TrainCount} train / {data.TestCount} test images, batch {o.Batch}, lr {o.LearningRate}, seed {o.Seed}");
        void Report(EpochMetrics m) => AnsiConsole.MarkupLine(
            $"epoch {m.Epoch}: train loss {m.TrainLoss:F4}  test loss {m.TestLoss:F4}  test accuracy [green]{m.TestAccuracy:P2}[/]  {m.ImagesPerSec:F0} img/s{PerRank(m)}  {m.Seconds:F1} s");
        string PerRank(EpochMetrics m) => comm is null ? "" : $" ({m.ImagesPerSec / comm.Size:F0} per rank)";
        if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    ProgressTask? task = null;
                    int taskEpoch = 0;
                    run.Run(data,
                        p =>
                        {
                            if (task is null || taskEpoch != p.Epoch)
                            {
                                task = ctx.AddTask($"epoch {p.Epoch} ", maxValue: p.StepsPerEpoch);
                                taskEpoch = p.Epoch;
                            }
                            task.Value = p.Step;
                            task.Description = $"epoch {p.Epoch} loss {p.Loss:F4} {p.ImagesPerSec:F0} img/s";
                        },
                        Report);
                });
        }
        else
        {
            run.Run(data,
                p => { if (p.Step % Math.Max(1, p.StepsPerEpoch / 10) == 0) Console.WriteLine($"  epoch {p.Epoch} step {p.Step}/{p.StepsPerEpoch} loss {p.Loss:F4} {p.ImagesPerSec:F0} img/s"); },
                Report);
        }
        if (comm is not null)
            AnsiConsole.MarkupLine($"optimizer state per rank: {run.OptimizerStateBytes} bytes{(o.Zero == 1 ? $" (ZeRO-1 block, 1/{comm.Size} of the model's)" : "")}");
        var plot = Path.Combine(o.OutDir, "curves.png");
        Plots.TrainingCurves(run.History, run.StepLosses, run.StartEpoch, run.StepsPerEpoch, plot, $"tessera train --model {o.Model}");
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.Combine(o.OutDir, "metrics.json"))}, {Markup.Escape(plot)}, {Markup.Escape(Path.Combine(o.OutDir, TrainingRun.CheckpointName))}");
        return 0;
    }
}
