using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tessera.Bench;
using Tessera.Devices;

namespace Tessera.Cli;

/// <summary><c>tessera bench</c>: the kernel catalog timed against baselines measured in the same run, with % of
/// roofline, as a table, Markdown, CSV or JSON, and roofline / ratio charts.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "cpu | opencl | cuda | all", DefaultValueFactory = _ => "cpu" };
        var ops = new Option<string[]>("--op") { Description = "op name or prefix (repeatable): " + string.Join(", ", BenchCatalog.OpNames), AllowMultipleArgumentsPerToken = false };
        var size = new Option<string>("--size") { Description = "small | medium | large", DefaultValueFactory = _ => "medium" };
        var threads = new Option<int>("--threads") { Description = "threads for our kernels and the baselines (1: judge kernels on one core)", DefaultValueFactory = _ => 1 };
        var cold = new Option<bool>("--cold") { Description = "rotate input copies larger than the last-level cache" };
        var format = new Option<string>("--format") { Description = "table | md | csv | json", DefaultValueFactory = _ => "table" };
        var output = new Option<string?>("--out") { Description = "report file (table format: the JSON report; default tessera-bench-<date>.json)" };
        var plot = new Option<string?>("--plot") { Description = "roofline chart FILE.png or FILE.svg (ratios chart written beside it as FILE-ratios.ext)" };
        var noBaselines = new Option<bool>("--no-baselines") { Description = "time Tessera only" };
        var graphReplay = new Option<int>("--graph-replay")
        {
            Description = "instead of the kernel suite: time a chain of N small element-wise nodes run node by node against its " +
                          "device-graph replay (CUDA graphs; other devices report node-by-node time only)",
        };
        var opt = OptimizationOption.Create();
        var cmd = new Command("bench", "Benchmark kernels against baselines measured in the same run (verified against the reference first).")
            { device, ops, size, threads, cold, format, output, plot, noBaselines, graphReplay, opt };
        cmd.SetAction(r => Cli.Guard(() => r.GetValue(graphReplay) > 0
            ? RunGraphReplay(r.GetValue(device)!, r.GetValue(graphReplay), r.GetValue(threads), r.GetValue(output), OptimizationOption.Parse(r.GetValue(opt)))
            : Run(r.GetValue(device)!, r.GetValue(ops) ?? Array.Empty<string>(), r.GetValue(size)!,
                r.GetValue(threads), r.GetValue(cold), r.GetValue(format)!, r.GetValue(output), r.GetValue(plot), !r.GetValue(noBaselines))));
        return cmd;
    }

    private static int RunGraphReplay(string deviceArg, int nodes, int threads, string? outPath, Tessera.Graph.Optimization.OptimizationLevel optimization)
    {
        if (nodes < 2 || nodes > 100_000) throw new TesseraArgumentException("bench", "--graph-replay", $"node count must be in [2, 100000], got {nodes}");
        var result = GraphReplayResult.Run(Cli.OpenDevice(deviceArg, threads), nodes, optimization: optimization);
        Console.WriteLine(result);
        if (outPath is not null) File.WriteAllText(outPath, result.ToJson());
        return result.OutputsAgree == false ? 1 : 0;
    }

    private static int Run(string deviceArg, string[] ops, string sizeArg, int threads, bool cold, string format, string? outPath,
        string? plotPath, bool baselines)
    {
        if (!Enum.TryParse<BenchSize>(sizeArg, ignoreCase: true, out var size))
            throw new TesseraArgumentException("bench", "--size", $"expected small, medium or large, got '{sizeArg}'");
        format = format.ToLowerInvariant();
        if (format is not ("table" or "md" or "csv" or "json"))
            throw new TesseraArgumentException("bench", "--format", $"expected table, md, csv or json, got '{format}'");
        if (threads < 1) throw new TesseraArgumentException("bench", "--threads", $"must be ≥ 1, got {threads}");
        var unknown = ops.Where(o => !BenchCatalog.OpNames.Any(n => n.StartsWith(o, StringComparison.OrdinalIgnoreCase))).ToArray();
        if (unknown.Length > 0)
            throw new TesseraArgumentException("bench", "--op", $"no op matches '{string.Join("', '", unknown)}' (ops: {string.Join(", ", BenchCatalog.OpNames)})");

        var ids = deviceArg.Equals("all", StringComparison.OrdinalIgnoreCase) ? new[] { "cpu", "opencl", "cuda" } : new[] { deviceArg.ToLowerInvariant() };
        var unavailable = new List<string>();
        var devices = new List<IDevice>();
        foreach (var id in ids)
        {
            try { devices.Add(Cli.OpenDevice(id, threads)); }
            catch (TesseraException e)
            {
                string baseline = id.StartsWith("opencl") ? "CLBlast CLBlastSgemm" : id.StartsWith("cuda") ? "cuBLAS/cuDNN, PyTorch" : "";
                unavailable.Add($"{id}: {e.Message}" + (baseline.Length > 0 ? $" (baselines {baseline}: missing, no device)" : ""));
            }
        }
        foreach (var u in unavailable) Console.Error.WriteLine($"unavailable: {u}");
        if (devices.Count == 0) return 2;

        bool screen = format == "table";
        var reports = new List<BenchReport>();
        foreach (var dev in devices)
        {
            var ceilings = MachineCeilings.LoadOrMeasure(threads, dev.Name);
            var settings = new BenchSettings(size, threads, cold, ops, baselines, Time: true, Ceilings: ceilings);
            BenchReport report = null!;
            if (screen && !Console.IsOutputRedirected)
                AnsiConsole.Status().Start($"bench on {dev.Name}", ctx => report = BenchRunner.Run(dev, settings, s => ctx.Status($"{dev.Name}: {Markup.Escape(s)}"), unavailable));
            else
                report = BenchRunner.Run(dev, settings, s => Console.Error.WriteLine($"bench: {s}"), unavailable);
            reports.Add(report);
        }

        var main = reports[0];
        if (screen)
        {
            foreach (var r in reports) WriteTable(r);
            outPath ??= $"tessera-bench-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json";
            plotPath ??= Path.ChangeExtension(outPath, null) + "-roofline.png";
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
        {
            BenchPlots.Roofline(main, plotPath);
            string ratios = Path.ChangeExtension(plotPath, null) + "-ratios" + Path.GetExtension(plotPath);
            BenchPlots.Ratios(main, ratios);
            (screen ? Console.Out : Console.Error).WriteLine($"plots: {plotPath}, {ratios}");
        }
        return main.Rows.All(r => r.Verified) ? 0 : 1;
    }

    private static string F(double? v, string fmt) => v is double d ? d.ToString(fmt, CultureInfo.InvariantCulture) : "-";

    /// <summary>The machine header as the bench prints it above its table (device, threads, size; ceilings; versions).</summary>
    public static IEnumerable<string> HeaderLines(BenchHeader h)
    {
        yield return $"{h.Device} ({h.Backend}), threads {h.Threads}, size {h.Size}{(h.Cold ? ", cold" : "")}";
        if (h.Ceilings is { } c)
            yield return FormattableString.Invariant($"ceilings: {c.RooflineGflops:0.#} GFLOP/s, {c.RooflineGBps:0.#} GB/s (copy {c.CopyGBps:0.#}, non-temporal {c.CopyNonTemporalGBps:0.#})");
        yield return string.Join(", ", h.Versions.Where(kv => kv.Key != "os").Select(kv => $"{kv.Key} {kv.Value}"));
    }

    private static void WriteTable(BenchReport report)
    {
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 220);
        var header = HeaderLines(report.Header).ToArray();
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(header[0])}[/]");
        foreach (var line in header.Skip(1)) AnsiConsole.WriteLine(line);
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("op", "pass", "shape", "median ms", "noise %", "GFLOP/s", "GB/s", "roofline %", "baseline", "base ms", "ratio", "verified");
        foreach (var col in table.Columns.Skip(3).Take(5)) col.RightAligned();
        foreach (var r in report.Rows)
        {
            var bs = r.Baselines.Count == 0 ? new BaselineResult?[] { null } : r.Baselines.Cast<BaselineResult?>().ToArray();
            for (int i = 0; i < bs.Length; i++)
            {
                var b = bs[i];
                string baseName = b is null ? "[grey]none[/]" : b.Missing is null ? Markup.Escape(b.Name) : $"[yellow]{Markup.Escape(b.Name)}: missing ({Markup.Escape(b.Missing)})[/]";
                string ratio = b?.Ratio is double q ? (q >= 1 ? $"[green]{q:0.00}[/]" : $"[red]{q:0.00}[/]") : "-";
                if (i == 0)
                    table.AddRow(Markup.Escape(r.Op), r.Pass, Markup.Escape(r.Shape), F(r.Time?.Median, "0.###"), F(r.NoisePct, "0.#"), F(r.Gflops, "0.#"),
                        F(r.Gbps, "0.#"), F(r.RooflinePct, "0.#"), baseName, F(b?.TimeMs, "0.###"), ratio,
                        r.Verified ? "[green]yes[/]" : $"[red]NO[/] {Markup.Escape(r.VerifyNote)}");
                else
                    table.AddRow("", "", "", "", "", "", "", "", baseName, F(b?.TimeMs, "0.###"), ratio, "");
            }
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("ratio = baseline time / Tessera time (> 1: Tessera faster)");
    }
}
