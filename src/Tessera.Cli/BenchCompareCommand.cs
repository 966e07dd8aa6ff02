using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tessera.Bench;
using Tessera.Bench.Compare;

namespace Tessera.Cli;

/// <summary><c>tessera bench compare A.json B.json</c>: B against A row by row — the change of each median, whether it is
/// significant beyond a threshold (a rank test), a summary, a chart — with the differences between the two runs said
/// first, and the machine drift the unchanged baselines measured. Exit code 1 when a Tessera row of B is slower than in A
/// by <see cref="BenchComparison"/>'s rule.</summary>
internal static class BenchCompareCommand
{
    public static Command Create()
    {
        var a = new Argument<string>("A") { Description = "the reference report (JSON of tessera bench)" };
        var b = new Argument<string>("B") { Description = "the report compared with it" };
        var threshold = new Option<double>("--threshold")
        {
            Description = "a change counts only beyond this many %, by the rule above", DefaultValueFactory = _ => 5,
        };
        var alpha = new Option<double>("--alpha") { Description = "significance level of the rank test", DefaultValueFactory = _ => 0.01 };
        var plot = new Option<string?>("--plot") { Description = "chart of the changes, FILE.png or FILE.svg" };
        var all = new Option<bool>("--all") { Description = "list the baselines' changes too (default: Tessera's rows only)" };
        var normalize = new Option<bool>("--normalize-baselines")
        {
            Description = "divide B's times by the machine drift (the median B/A ratio of the baselines, whose code is the same in both " +
                          "runs) before judging; helps when the whole machine got uniformly faster or slower, not when rows drift apart",
        };
        var cmd = new Command("compare", "Compare two bench reports (A: before, B: after): per row the change and whether it is significant. " +
            "Rule: " + BenchComparison.Rule(5, 0.01).Replace("±5 %", "± --threshold %", StringComparison.Ordinal).Replace("level 0.01", "level --alpha", StringComparison.Ordinal) +
            ". Exit code 1 when a Tessera row is slower.")
            { a, b, threshold, alpha, plot, all, normalize };
        cmd.SetAction(r => Cli.Guard(() => Run(r.GetValue(a)!, r.GetValue(b)!, r.GetValue(threshold), r.GetValue(alpha), r.GetValue(plot),
            r.GetValue(all), r.GetValue(normalize))));
        return cmd;
    }

    private static int Run(string pathA, string pathB, double thresholdPct, double alpha, string? plotPath, bool all, bool normalize)
    {
        var ra = BenchReportFile.Read(pathA, "bench compare", "A");
        var rb = BenchReportFile.Read(pathB, "bench compare", "B");
        var cmp = BenchComparison.Compare(ra, rb, thresholdPct, alpha, normalize);
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 200);
        AnsiConsole.MarkupLine($"[bold]A[/] {Markup.Escape(pathA)} ({Markup.Escape(ra.Header.Device)}, {ra.Header.Date:yyyy-MM-dd HH:mm} UTC, commit {Markup.Escape(Short(ra.Header.Commit))})");
        AnsiConsole.MarkupLine($"[bold]B[/] {Markup.Escape(pathB)} ({Markup.Escape(rb.Header.Device)}, {rb.Header.Date:yyyy-MM-dd HH:mm} UTC, commit {Markup.Escape(Short(rb.Header.Commit))})");
        foreach (var (name, h) in new[] { ("A", ra.Header), ("B", rb.Header) })
            if (BenchReport.Busy(h) is { } busy) AnsiConsole.MarkupLine($"[yellow]{name}: {Markup.Escape(busy)}[/]");
        if (cmp.Differences.Count == 0) AnsiConsole.MarkupLine("A and B ran on the same machine, device, settings and library versions.");
        else
        {
            AnsiConsole.MarkupLine("[yellow]A and B differ in:[/]");
            foreach (var d in cmp.Differences) AnsiConsole.MarkupLine($"  [yellow]{Markup.Escape(d)}[/]");
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumns("row", "series", "A median ms", "B median ms", "change", "95 % interval", "pass range", "p", "verdict");
        foreach (var c in table.Columns.Skip(2).Take(6)) c.RightAligned();
        foreach (var c in table.Columns.Skip(2)) c.NoWrap();
        foreach (var c in cmp.Changes.Where(c => all || c.IsTessera))
        {
            string color = c.Verdict switch
            {
                BenchComparison.Slower => "red", BenchComparison.Faster => "green", BenchComparison.Noisy => "yellow", BenchComparison.Unclear => "blue", _ => "grey",
            };
            table.AddRow(Markup.Escape(c.Row), Markup.Escape(c.Series), F(c.MedianA), F(c.MedianB), Pct(c.Change),
                $"{Pct(c.ChangeLow)} … {Pct(c.ChangeHigh)}", $"{Pct(c.PassLow)} … {Pct(c.PassHigh)}", double.IsNaN(c.PValue) ? "-" : c.PValue.ToString("0.####", CultureInfo.InvariantCulture),
                $"[{color}]{c.Verdict}[/]");
        }
        AnsiConsole.Write(table);
        foreach (var k in cmp.OnlyInA) AnsiConsole.MarkupLine($"[grey]only in A: {Markup.Escape(k)}[/]");
        foreach (var k in cmp.OnlyInB) AnsiConsole.MarkupLine($"[grey]only in B: {Markup.Escape(k)}[/]");
        var ours = cmp.Changes.Where(c => c.IsTessera).ToList();
        AnsiConsole.MarkupLine($"Tessera rows: [green]{ours.Count(c => c.Verdict == BenchComparison.Faster)} faster[/], " +
            $"[red]{ours.Count(c => c.Verdict == BenchComparison.Slower)} slower[/], {ours.Count(c => c.Verdict == BenchComparison.Same)} same" +
            (ours.Any(c => c.Verdict == BenchComparison.Unclear) ? $", [blue]{ours.Count(c => c.Verdict == BenchComparison.Unclear)} unclear[/] (interval beyond the threshold, but the passes overlap or the rank test disagrees: not claimed)" : "") +
            (ours.Any(c => c.Verdict == BenchComparison.Noisy) ? $", [yellow]{ours.Count(c => c.Verdict == BenchComparison.Noisy)} noisy[/] (not compared: a run could not pin the median down)" : "") +
            (ours.Any(c => c.Verdict == BenchComparison.NoSamples) ? $", {ours.Count(c => c.Verdict == BenchComparison.NoSamples)} without samples (an older report)" : "") +
            " (B against A)");
        AnsiConsole.MarkupLine($"[grey]Rule: {Markup.Escape(BenchComparison.Rule(thresholdPct, alpha))}.[/]");
        if (ra.Header.Passes <= 1 || rb.Header.Passes <= 1)
            AnsiConsole.MarkupLine("[yellow]A run with one pass has no pass range: drift of the machine between the runs is not allowed for " +
                "(tessera bench --passes 3 measures it).[/]");
        if (cmp.MachineDrift is double g)
            AnsiConsole.MarkupLine($"Machine drift: the {cmp.DriftSeries} baseline series ran at {Pct(g - 1)} in B (median B/A ratio {g.ToString("0.###", CultureInfo.InvariantCulture)})" +
                (cmp.Normalized ? "; B's times are divided by it (--normalize-baselines)" : "; --normalize-baselines would divide B's times by it"));
        var baselines = cmp.Changes.Where(c => !c.IsTessera && c.Verdict is BenchComparison.Slower or BenchComparison.Faster).ToList();
        if (baselines.Count > 0)
            AnsiConsole.MarkupLine($"[yellow]{baselines.Count} baseline series changed too[/] (their code did not: the machine's speed moved between the runs; --all lists them)");
        if (plotPath is not null)
        {
            CompareChart.Write(cmp, pathA, pathB, plotPath);
            AnsiConsole.MarkupLine($"plot: {Markup.Escape(plotPath)}");
        }
        return cmp.Regressions.Count > 0 ? 1 : 0;
    }

    private static string Short(string commit) => commit.Length > 12 && commit != "unknown" ? commit[..12] + (commit.EndsWith("+dirty", StringComparison.Ordinal) ? "+dirty" : "") : commit;
    private static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
    private static string Pct(double v) => (v >= 0 ? "+" : "") + (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + " %";
}
