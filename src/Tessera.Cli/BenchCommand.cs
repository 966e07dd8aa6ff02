using System.CommandLine;
using Spectre.Console;
using Tessera.Bench;
using Tessera.Devices;

namespace Tessera.Cli;

/// <summary><c>tessera bench</c>: the kernel catalog timed against baselines measured in the same run, with % of
/// roofline and statistics in every row, as a table, Markdown, CSV or JSON, with roofline / ratio charts (or, for a
/// <c>--shape</c> sweep, a line chart); <c>tessera bench compare</c> compares two reports.</summary>
internal static class BenchCommand
{
    /// <summary>What one bench invocation asked for.</summary>
    private sealed record Request(string Device, string[] Ops, string Size, string? Shape, int Threads, bool Cold, string Format,
        string? Out, string? Plot, bool Baselines, double TargetCi, double NoiseLimit, double? BudgetMs, int Passes, int Launches);

    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "cpu | opencl | cuda | all (every device in one run)", DefaultValueFactory = _ => "cpu" };
        var ops = new Option<string[]>("--op") { Description = "op name or prefix (repeatable): " + string.Join(", ", BenchCatalog.OpNames) + "; or, under mpirun, the collectives " + string.Join(", ", CollectiveBench.OpNames), AllowMultipleArgumentsPerToken = false };
        var size = new Option<string>("--size") { Description = "small | medium | large: the catalog's shapes", DefaultValueFactory = _ => "medium" };
        var shape = new Option<string?>("--shape")
        {
            Description = "sweep instead of --size: sizes as a list (256,512,1k), a doubling range (128:4096), a stepped range " +
                          "(128:1024:128), or MxNxK for gemm; each op sweeps one dimension (gemm M=N=K, attention the sequence " +
                          "length, conv2d/pooling the image side, element-wise ops the element count); writes a line chart",
        };
        var threads = Cli.ThreadsOption();
        var cold = new Option<bool>("--cold") { Description = "rotate input copies larger than the last-level cache (cold caches)" };
        var format = new Option<string>("--format") { Description = "table | md | csv | json", DefaultValueFactory = _ => "table" };
        var output = new Option<string?>("--out") { Description = "report file (table format: the JSON report; default tessera-bench-<date>.json)" };
        var plot = new Option<string?>("--plot")
        {
            Description = "chart FILE.png or FILE.svg: the roofline, with the ratio chart beside it as FILE-ratios.ext (a sweep: " +
                          "its line chart); the table format writes them beside the report by default",
        };
        var noBaselines = new Option<bool>("--no-baselines") { Description = "time Tessera only" };
        var targetCi = new Option<double>("--target-ci")
        {
            Description = "stop sampling a series once its median's 95 % confidence interval is within ± this %", DefaultValueFactory = _ => 2,
        };
        var noiseLimit = new Option<double>("--noise-limit")
        {
            Description = "flag a row as noisy (no winner claimed) when a median's 95 % interval is wider than ± this %", DefaultValueFactory = _ => 5,
        };
        var budget = new Option<double?>("--budget-ms")
        {
            Description = "sampling time budget per series in ms (default: 200 for --size small, 1000 otherwise)",
        };
        var passes = new Option<int>("--passes")
        {
            Description = "passes over all rows (pass 1 every row, then pass 2, …), each row's samples pooled from all of them and the " +
                          "median of each pass recorded, whose range bench compare allows for; each pass has the full --budget-ms",
            DefaultValueFactory = _ => 3,
        };
        var launches = new Option<int>("--launches")
        {
            Description = "processes the run is made by, one after the other (each with its --passes), pooled as more passes: what a " +
                          "process decides once (code and buffer placement) then varies between passes too; one device only",
            DefaultValueFactory = _ => 1,
        };
        var graphReplay = new Option<int>("--graph-replay")
        {
            Description = "instead of the kernel suite: time a chain of N small element-wise nodes run node by node against its " +
                          "device-graph replay (CUDA graphs; other devices report node-by-node time only)",
        };
        var opt = OptimizationOption.Create();
        var cmd = new Command("bench", "Benchmark kernels against baselines measured in the same run (verified against the reference first).")
            { device, ops, size, shape, threads, cold, format, output, plot, noBaselines, targetCi, noiseLimit, budget, passes, launches, graphReplay, opt };
        cmd.Subcommands.Add(BenchCompareCommand.Create());
        cmd.Subcommands.Add(BenchPlotCommand.Create());
        var timeout = new Option<double>("--timeout")
        {
            Description = "collectives (--op allreduce|reducescatter|allgather|broadcast under mpirun): seconds one may take", DefaultValueFactory = _ => 300,
        };
        cmd.Options.Add(timeout);
        var backend = new Option<string?>("--backend")
        {
            Description = "collectives: mpi (host buffers, any device; needs mpirun) | nccl (CUDA device memory; outside mpirun one " +
                          "rank); default nccl on a cuda device, mpi otherwise",
        };
        cmd.Options.Add(backend);
        cmd.SetAction(r => Cli.Guard(() => IsCollective(r.GetValue(ops))
            ? CollectiveBench.Run(r.GetValue(ops)!, r.GetValue(device)!, r.GetValue(threads), r.GetValue(size)!, r.GetValue(output), r.GetValue(timeout),
                r.GetValue(backend))
            : r.GetValue(graphReplay) > 0
            ? RunGraphReplay(r.GetValue(device)!, r.GetValue(graphReplay), r.GetValue(threads), r.GetValue(output), OptimizationOption.Parse(r.GetValue(opt)))
            : Run(new Request(r.GetValue(device)!, r.GetValue(ops) ?? Array.Empty<string>(), r.GetValue(size)!, r.GetValue(shape),
                r.GetValue(threads), r.GetValue(cold), r.GetValue(format)!, r.GetValue(output), r.GetValue(plot), !r.GetValue(noBaselines),
                r.GetValue(targetCi), r.GetValue(noiseLimit), r.GetValue(budget), r.GetValue(passes), r.GetValue(launches)))));
        return cmd;
    }

    private static bool IsCollective(string[]? ops) =>
        ops is { Length: > 0 } && ops.Any(o => CollectiveBench.OpNames.Contains(o.ToLowerInvariant()));

    private static int RunGraphReplay(string deviceArg, int nodes, int threads, string? outPath, Tessera.Graph.Optimization.OptimizationLevel optimization)
    {
        if (nodes < 2 || nodes > 100_000) throw new TesseraArgumentException("bench", "--graph-replay", $"node count must be in [2, 100000], got {nodes}");
        var result = GraphReplayResult.Run(Cli.OpenDevice(deviceArg, threads), nodes, optimization: optimization);
        Console.WriteLine(result);
        if (outPath is not null) File.WriteAllText(outPath, result.ToJson());
        return result.OutputsAgree == false ? 1 : 0;
    }

    private static int Run(Request q)
    {
        if (!Enum.TryParse<BenchSize>(q.Size, ignoreCase: true, out var size))
            throw new TesseraArgumentException("bench", "--size", $"expected small, medium or large, got '{q.Size}'");
        string format = q.Format.ToLowerInvariant();
        if (format is not ("table" or "md" or "csv" or "json"))
            throw new TesseraArgumentException("bench", "--format", $"expected table, md, csv or json, got '{q.Format}'");
        if (q.Threads < 1) throw new TesseraArgumentException("bench", "--threads", $"must be ≥ 1, got {q.Threads}");
        if (q.TargetCi <= 0) throw new TesseraArgumentException("bench", "--target-ci", $"must be above 0, got {q.TargetCi}");
        if (q.NoiseLimit <= 0) throw new TesseraArgumentException("bench", "--noise-limit", $"must be above 0, got {q.NoiseLimit}");
        if (q.Passes < 1) throw new TesseraArgumentException("bench", "--passes", $"must be at least 1, got {q.Passes}");
        if (q.Launches < 1) throw new TesseraArgumentException("bench", "--launches", $"must be at least 1, got {q.Launches}");
        if (q.Launches > 1 && q.Device.Equals("all", StringComparison.OrdinalIgnoreCase))
            throw new TesseraArgumentException("bench", "--launches", "takes one device, not --device all");
        if (q.BudgetMs is <= 0) throw new TesseraArgumentException("bench", "--budget-ms", $"must be above 0, got {q.BudgetMs}");
        var unknown = q.Ops.Where(o => !BenchCatalog.OpNames.Any(n => n.StartsWith(o, StringComparison.OrdinalIgnoreCase))).ToArray();
        if (unknown.Length > 0)
            throw new TesseraArgumentException("bench", "--op", $"no op matches '{string.Join("', '", unknown)}' (ops: {string.Join(", ", BenchCatalog.OpNames)})");
        var sweep = q.Shape is null ? null : BenchCatalog.Sweep(q.Ops, BenchCatalog.ParseSizes(q.Shape));

        var ids = q.Device.Equals("all", StringComparison.OrdinalIgnoreCase) ? new[] { "cpu", "opencl", "cuda" } : new[] { q.Device.ToLowerInvariant() };
        var unavailable = new List<string>();
        var devices = new List<IDevice>();
        foreach (var id in ids)
        {
            try { devices.Add(Cli.OpenDevice(id, q.Threads)); }
            catch (TesseraException e)
            {
                string baseline = id.StartsWith("opencl") ? "CLBlast CLBlastSgemm" : id.StartsWith("cuda") ? "cuBLAS/cuDNN, PyTorch" : "";
                unavailable.Add($"{id}: {e.Message}" + (baseline.Length > 0 ? $" (baselines {baseline}: missing, no device)" : ""));
            }
        }
        foreach (var u in unavailable) Console.Error.WriteLine($"unavailable: {u}");
        if (devices.Count == 0) return 2;

        var defaults = BenchRunner.DefaultTiming(size);
        var timing = defaults with { TargetCiPct = q.TargetCi, RepeatMs = q.BudgetMs ?? defaults.RepeatMs };
        bool screen = format == "table";
        var reports = new List<BenchReport>();
        foreach (var dev in devices)
        {
            var ceilings = MachineCeilings.LoadOrMeasure(q.Threads, dev.Name);
            var settings = new BenchSettings(size, q.Threads, q.Cold, q.Ops, q.Baselines, Time: true, Timing: timing, Ceilings: ceilings,
                NoiseLimitPct: q.NoiseLimit, Cases: sweep, Passes: q.Passes);
            BenchReport report = null!;
            if (q.Launches > 1)
                report = BenchLaunches.Run(q.Launches, q.NoiseLimit, s => Console.Error.WriteLine($"bench: {s}"));
            else if (screen && !Console.IsOutputRedirected)
                AnsiConsole.Status().Start($"bench on {dev.Name}", ctx => report = BenchRunner.Run(dev, settings, s => ctx.Status($"{dev.Name}: {Markup.Escape(s)}"), unavailable));
            else
                report = BenchRunner.Run(dev, settings, s => Console.Error.WriteLine($"bench: {s}"), unavailable);
            reports.Add(report);
        }

        var main = reports[0];
        string? outPath = q.Out, plotPath = q.Plot;
        if (screen)
        {
            foreach (var r in reports) BenchTable.Write(r);
            outPath ??= $"tessera-bench-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json";
            plotPath ??= Path.ChangeExtension(outPath, null) + (sweep is null ? "-roofline.png" : "-sweep.png");
            File.WriteAllText(outPath, main.ToJson());
            Console.WriteLine($"report: {outPath}");
        }
        else
        {
            string text = format switch { "md" => main.ToMarkdown(), "csv" => main.ToCsv(), _ => main.ToJson() };
            if (outPath is null) Console.WriteLine(text);
            else { File.WriteAllText(outPath, text); Console.Error.WriteLine($"report: {outPath}"); }
        }
        if (plotPath is not null)
            (screen ? Console.Out : Console.Error).WriteLine($"plots: {string.Join(", ", Plot(main, plotPath, sweep is not null))}");
        return main.Rows.All(r => r.Verified) ? 0 : 1;
    }

    /// <summary>Draws a report's charts: a sweep's line chart, or the roofline with the ratio chart beside it
    /// (FILE-ratios.ext, when a row has a ratio); returns the files written.</summary>
    public static IReadOnlyList<string> Plot(BenchReport report, string plotPath, bool sweep)
    {
        if (sweep) return SweepPlot.Write(report, plotPath);
        var written = new List<string> { plotPath };
        BenchPlots.Roofline(report, plotPath);
        string ratios = Path.ChangeExtension(plotPath, null) + "-ratios" + Path.GetExtension(plotPath);
        if (BenchPlots.Ratios(report, ratios)) written.Add(ratios);
        return written;
    }
}
