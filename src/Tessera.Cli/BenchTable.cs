using System.Globalization;
using Spectre.Console;
using Tessera.Bench;
using Tessera.Bench.Statistics;

namespace Tessera.Cli;

/// <summary>The bench report as a table on screen: one line per baseline, numbers never wrapped. On a terminal narrower
/// than the full table, the op, pass and shape stack in one column and bandwidth and roofline columns are left out
/// (they are in the JSON report); text cells wrap only between words.</summary>
internal static class BenchTable
{
    /// <summary>Columns of the full table need about this many terminal columns.</summary>
    private const int FullWidth = 150;

    private static string F(double? v, string fmt) => v is double d ? d.ToString(fmt, CultureInfo.InvariantCulture) : "-";

    public static void Write(BenchReport report)
    {
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 220);
        bool full = AnsiConsole.Profile.Width >= FullWidth;
        foreach (var line in report.HeaderLines().Where(l => !l.StartsWith("Versions:", StringComparison.Ordinal) || full))
            AnsiConsole.MarkupLine(Markup.Escape(line));
        var table = new Table().Border(TableBorder.Rounded);
        if (full) table.AddColumns("op", "pass", "shape");
        else table.AddColumn("op, pass, shape");
        table.AddColumns("median ms", "±95%", "n", "GFLOP/s");
        if (full) table.AddColumns("GB/s", "roofline %");
        table.AddColumns("baseline", "base ms", "±95%", "ratio", "verified");
        foreach (var col in table.Columns) col.NoWrap();
        int baselineCol = full ? 9 : 6;
        table.Columns[baselineCol].NoWrap = false;
        table.Columns[table.Columns.Count - 1].NoWrap = false;
        for (int i = full ? 3 : 1; i < baselineCol; i++) table.Columns[i].RightAligned();
        for (int i = baselineCol + 1; i < baselineCol + 4; i++) table.Columns[i].RightAligned();

        foreach (var r in report.Rows)
        {
            var list = r.Baselines.Count == 0 ? new BaselineResult?[] { null } : r.Baselines.Cast<BaselineResult?>().ToArray();
            for (int i = 0; i < list.Length; i++)
            {
                var b = list[i];
                string baseName = b is null ? "[grey]none[/]" : b.Missing is null ? Markup.Escape(b.Name)
                    : $"[yellow]{Markup.Escape(b.Name)}: missing ({Markup.Escape(b.Missing)})[/]";
                var cells = new List<string>();
                if (i == 0)
                {
                    if (full) cells.AddRange([Markup.Escape(r.Op), r.Pass, Markup.Escape(r.Shape)]);
                    else cells.Add($"{Markup.Escape(r.Op)} {r.Pass}\n[grey]{Markup.Escape(r.Shape)}[/]");
                    string ci = F(r.Time?.CiPct, "0.0");
                    cells.AddRange([F(r.Time?.Median, "0.###"), r.Noisy ? $"[yellow]{ci} noisy[/]" : ci, F(r.Time?.Samples, "0"), F(r.Gflops, "0.#")]);
                    if (full) cells.AddRange([F(r.Gbps, "0.#"), F(r.RooflinePct, "0.#")]);
                }
                else cells.AddRange(Enumerable.Repeat("", full ? 9 : 6));
                cells.AddRange([baseName, F(b?.TimeMs, "0.###"), BaselineCi(b, report.Header.NoiseLimitPct), Ratio(b),
                    i > 0 ? "" : r.Verified ? "[green]yes[/]" : $"[red]NO[/] {Markup.Escape(r.VerifyNote)}"]);
                table.AddRow(cells.ToArray());
            }
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape("±95%: half the width of the median's 95 % confidence interval, in % of the median; n: samples; " +
            report.StatisticsNote));
    }

    private static string BaselineCi(BaselineResult? b, double limit)
    {
        if (b?.Stats is not { } s) return "-";
        string ci = F(s.CiPct, "0.0");
        return s.CiPct > limit ? $"[yellow]{ci}[/]" : ci;
    }

    private static string Ratio(BaselineResult? b)
    {
        if (b?.Ratio is not double q) return "-";
        string text = Markup.Escape(RatioVerdict.Format(q, b.Verdict));
        return b.Verdict switch
        {
            RatioVerdict.Faster => $"[green]{text}[/]",
            RatioVerdict.Slower => $"[red]{text}[/]",
            RatioVerdict.Noisy => $"[yellow]{text}[/]",
            _ => text,
        };
    }
}
