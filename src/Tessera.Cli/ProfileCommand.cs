using System.CommandLine;
using Spectre.Console;
using Tessera.Cli.Training;
using Tessera.Graph.Execution;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;

namespace Tessera.Cli;

/// <summary>`tessera profile --model mlp|cnn|vit`: per-node times of a training step (sorted, share, GFLOP/s), the memory
/// pool's statistics, planned against naive memory, and a Chrome trace-event file for Perfetto.</summary>
internal static class ProfileCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "mlp | cnn | vit", DefaultValueFactory = _ => "cnn" };
        model.AcceptOnlyFromAmong(Models.Names);
        var device = Cli.DeviceOption();
        var batch = new Option<int>("--batch") { Description = "images per training step", DefaultValueFactory = _ => 128 };
        var threads = Cli.ThreadsOption();
        var steps = new Option<int>("--steps") { Description = "profiled steps (the median per node is shown)", DefaultValueFactory = _ => 5 };
        var trace = new Option<string?>("--trace") { Description = "write a Chrome trace-event JSON of the last profiled step" };
        var top = new Option<int>("--top") { Description = "show the N slowest nodes", DefaultValueFactory = _ => 25 };
        var cmd = new Command("profile", "Profile one training step of a model node by node.") { model, device, batch, threads, steps, trace, top };
        cmd.SetAction(r => Cli.Guard(() => Run(r.GetValue(model)!, r.GetValue(device)!, r.GetValue(batch), r.GetValue(threads),
            r.GetValue(steps), r.GetValue(trace), r.GetValue(top))));
        return cmd;
    }

    private static int Run(string modelName, string deviceId, int batch, int threads, int steps, string? tracePath, int top)
    {
        if (batch < 1) throw new TesseraArgumentException("profile", "--batch", $"must be at least 1, got {batch}");
        if (steps < 1) throw new TesseraArgumentException("profile", "--steps", $"must be at least 1, got {steps}");
        var device = Cli.OpenDevice(deviceId, threads);
        using var model = Models.Create(modelName, device, 0);
        using var optimizer = new AdamOptimizer(new LearningRateSchedule.Constant(1e-3));
        using var trainer = new Trainer(model, device, batch, FashionMnist.SampleShape, optimizer);
        var rng = new Initializer(1);
        var x = rng.Uniform(batch * 784, 1).Select(v => Math.Abs(v)).ToArray();
        var y = Enumerable.Range(0, batch).Select(i => (long)(i % 10)).ToArray();
        var plan = trainer.TrainPlan;
        for (int i = 0; i < 3; i++) trainer.Step(x, y); // warm the JIT and the pool
        plan.Profile = true;
        var samples = new double[plan.Schedule.Count][];
        for (int i = 0; i < plan.Schedule.Count; i++) samples[i] = new double[steps];
        var stepMs = new double[steps];
        for (int s = 0; s < steps; s++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            trainer.Step(x, y);
            stepMs[s] = sw.Elapsed.TotalMilliseconds;
            for (int i = 0; i < plan.Schedule.Count; i++) samples[i][s] = plan.NodeMilliseconds[i];
        }
        plan.Profile = false;
        double Median(double[] a) { var b = (double[])a.Clone(); Array.Sort(b); return b[b.Length / 2]; }
        var rows = plan.Schedule.Select((n, i) => (Node: n, Ms: Median(samples[i]))).ToList();
        double total = rows.Sum(r => r.Ms);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("node", "op", "output", "ms", "share", "GFLOP/s");
        foreach (var (n, ms) in rows.OrderByDescending(r => r.Ms).Take(top))
        {
            double flops = n.Op.Flops(n);
            table.AddRow(Markup.Escape(n.Name), Markup.Escape(n.Op.Describe()), Markup.Escape(string.Join(" ", n.Outputs.Select(o => o.Shape.ToString()))),
                $"{ms:F3}", $"{100 * ms / total:F1}%", flops > 0 && ms > 0 ? $"{flops / (ms * 1e6):F1}" : "");
        }
        AnsiConsole.MarkupLine($"[bold]tessera profile[/] {modelName}, batch {batch}, {device.Id} ({Markup.Escape(device.Name)}), {threads} threads");
        AnsiConsole.Write(table);
        var stats = device.Memory.Stats;
        AnsiConsole.MarkupLine($"step: median {Median(stepMs):F2} ms including the optimizer; the {plan.Schedule.Count} nodes take {total:F2} ms (medians per node, {(device.Kind == Tessera.Devices.DeviceKind.Cpu ? "synchronised after each" : "device timing events")})");
        AnsiConsole.MarkupLine($"memory: planned arena {Mb(plan.ArenaBytes)} vs naive {Mb(plan.NaiveBytes)} ({100.0 * plan.ArenaBytes / Math.Max(1, plan.NaiveBytes):F0}%)");
        AnsiConsole.MarkupLine($"pool: in use {Mb(stats.CurrentBytes)}, peak {Mb(stats.PeakBytes)}, reserved {Mb(stats.ReservedBytes)}, " +
                               $"{stats.Allocations} allocations, {stats.Rents} rents, {stats.CacheHits} cache hits, {stats.Releases} releases");
        if (tracePath is not null)
        {
            trainer.TrainPlan.Profile = true;
            trainer.Step(x, y);
            trainer.TrainPlan.Profile = false;
            using (var f = File.Create(tracePath)) ChromeTrace.Write(plan, f, $"tessera {modelName} training step");
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(tracePath)} (open in Perfetto or chrome://tracing)");
        }
        return 0;
    }

    private static string Mb(long bytes) => $"{bytes / 1048576.0:F1} MiB";
}
