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
        var opt = OptimizationOption.Create();
        var cmd = new Command("profile", "Profile one training step of a model node by node.") { model, device, batch, threads, steps, trace, top, opt };
        cmd.SetAction(r => Cli.Guard(() => Run(r.GetValue(model)!, r.GetValue(device)!, r.GetValue(batch), r.GetValue(threads),
            r.GetValue(steps), r.GetValue(trace), r.GetValue(top), OptimizationOption.Parse(r.GetValue(opt)))));
        return cmd;
    }

    private static int Run(string modelName, string deviceId, int batch, int threads, int steps, string? tracePath, int top,
        Tessera.Graph.Optimization.OptimizationLevel optimization)
    {
        if (batch < 1) throw new TesseraArgumentException("profile", "--batch", $"must be at least 1, got {batch}");
        if (steps < 1) throw new TesseraArgumentException("profile", "--steps", $"must be at least 1, got {steps}");
        var device = Cli.OpenDevice(deviceId, threads);
        using var model = Models.Create(modelName, device, 0);
        using var optimizer = new Adam(new LearningRateSchedule.Constant(1e-3));
        using var trainer = new Trainer(model, device, batch, FashionMnist.SampleShape, optimizer, optimization: optimization);
        var rng = new Initializer(1);
        var x = rng.Uniform(batch * 784, 1).Select(v => Math.Abs(v)).ToArray();
        var y = Enumerable.Range(0, batch).Select(i => (long)(i % 10)).ToArray();
        var plan = trainer.TrainPlan;
        for (int i = 0; i < 3; i++) trainer.Step(x, y); // warm the JIT and the pool
        plan.Profile = true;
        var samples = new double[plan.Schedule.Count][];
        for (int i = 0; i < plan.Schedule.Count; i++) samples[i] = new double[steps];
        var stepMs = new double[steps];
        var spanMs = new Dictionary<string, double[]>();
        for (int s = 0; s < steps; s++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            trainer.Step(x, y);
            stepMs[s] = sw.Elapsed.TotalMilliseconds;
            for (int i = 0; i < plan.Schedule.Count; i++) samples[i][s] = plan.NodeMilliseconds[i];
            foreach (var span in trainer.LastStepSpans)
            {
                if (!spanMs.TryGetValue(span.Name, out var a)) spanMs[span.Name] = a = new double[steps];
                a[s] = span.Milliseconds;
            }
        }
        plan.Profile = false;
        AnsiConsole.MarkupLine($"[bold]tessera profile[/] {modelName}, batch {batch}, {device.Id} ({Markup.Escape(device.Name)}), {threads} threads, --opt {optimization.ToString().ToLowerInvariant()}");
        var (nodesMs, total) = WriteTable(plan, samples, spanMs, top);
        var stats = device.Memory.Stats;
        AnsiConsole.MarkupLine($"step: median {Median(stepMs):F2} ms; the {plan.Schedule.Count} nodes take {nodesMs:F2} ms and the work after them " +
            $"({Markup.Escape(string.Join(", ", spanMs.Keys))}) {total - nodesMs:F2} ms (medians, {(device.Kind == Tessera.Devices.DeviceKind.Cpu ? "synchronised after each" : "device timing events")})");
        AnsiConsole.MarkupLine($"memory: planned arena {Mb(plan.ArenaBytes)} vs naive {Mb(plan.NaiveBytes)} ({100.0 * plan.ArenaBytes / Math.Max(1, plan.NaiveBytes):F0}%)");
        AnsiConsole.MarkupLine($"pool: in use {Mb(stats.CurrentBytes)}, peak {Mb(stats.PeakBytes)}, reserved {Mb(stats.ReservedBytes)}, " +
                               $"{stats.Allocations} allocations, {stats.Rents} rents, {stats.CacheHits} cache hits, {stats.Releases} releases");
        if (tracePath is not null)
        {
            trainer.TrainPlan.Profile = true;
            trainer.Step(x, y);
            trainer.TrainPlan.Profile = false;
            using (var f = File.Create(tracePath)) ChromeTrace.Write(plan, f, $"tessera {modelName} training step", trainer.LastStepSpans);
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(tracePath)} (open in Perfetto or chrome://tracing)");
        }
        return 0;
    }

    /// <summary>Writes the <paramref name="top"/> slowest rows — the plan's nodes (median of each node's
    /// <paramref name="samples"/>) and the named <paramref name="spans"/> of work after the plan — with their share and
    /// GFLOP/s; returns the nodes' and all rows' total milliseconds.</summary>
    internal static (double NodesMs, double TotalMs) WriteTable(ExecutionPlan plan, double[][] samples, IReadOnlyDictionary<string, double[]> spans, int top)
    {
        var rows = plan.Schedule.Select((n, i) => (Name: n.Name, Op: n.Op.Describe(), Output: string.Join(" ", n.Outputs.Select(o => o.Shape.ToString())),
            Ms: Median(samples[i]), Flops: n.Op.Flops(n)))
            .Concat(spans.Select(kv => (Name: kv.Key, Op: "after the plan: every parameter", Output: "", Ms: Median(kv.Value), Flops: 0.0))).ToList();
        double total = rows.Sum(r => r.Ms);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("node", "op", "output", "ms", "share", "GFLOP/s");
        foreach (var r in rows.OrderByDescending(r => r.Ms).Take(top))
            table.AddRow(Markup.Escape(r.Name), Markup.Escape(r.Op), Markup.Escape(r.Output),
                $"{r.Ms:F3}", $"{100 * r.Ms / total:F1}%", r.Flops > 0 && r.Ms > 0 ? $"{r.Flops / (r.Ms * 1e6):F1}" : "");
        AnsiConsole.Write(table);
        return (rows.Take(plan.Schedule.Count).Sum(r => r.Ms), total);
    }

    internal static double Median(double[] a)
    {
        var b = (double[])a.Clone();
        Array.Sort(b);
        return b[b.Length / 2];
    }

    private static string Mb(long bytes) => $"{bytes / 1048576.0:F1} MiB";
}
