using System.Globalization;
using Spectre.Console;
using Tessera.Bench;
using Tessera.Bench.Statistics;

namespace Tessera.Cli;

/// <summary>The bench report as a table on screen: one line per baseline; numbers, names and shapes never broken.
/// Why a baseline is missing goes to a numbered note under the table. On a terminal narrower than the full table, op,
/// pass and shape stack in one column and the least important columns (bandwidth, roofline, the baseline's interval,
/// sample counts, GFLOP/s) are left out until the rest fits; the JSON report has them all.</summary>
internal static class BenchTable
{
    /// <summary>A column: header, importance (higher stays longer), whether its text may wrap between words, the cell of
    /// each line (row, baseline index) and right alignment.</summary>
    private sealed record Column(string Header, int Priority, bool Wrap, bool Right, Func<BenchRow, int, string> Cell);

    private static string F(double? v, string fmt) => v is double d ? d.ToString(fmt, CultureInfo.InvariantCulture) : "-";

    /// <summary>Writes the table to <paramref name="console"/> (the terminal by default).</summary>
    public static void Write(BenchReport report, IAnsiConsole? console = null)
    {
        if (console is null)
        {
            console = AnsiConsole.Console;
            if (Console.IsOutputRedirected) console.Profile.Width = Math.Max(console.Profile.Width, 220);
        }
        int width = console.Profile.Width;
        foreach (var line in report.HeaderLines().Where(l => !l.StartsWith("Versions:", StringComparison.Ordinal) || width >= 150))
            console.MarkupLine(Markup.Escape(line));

        var notes = new List<string>();
        string Note(string why)
        {
            int i = notes.IndexOf(why);
            if (i < 0) { notes.Add(why); i = notes.Count - 1; }
            return $"[{i + 1}]";
        }
        BaselineResult? B(BenchRow r, int i) => i < r.Baselines.Count ? r.Baselines[i] : null;
        string Baseline(BenchRow r, int i) => B(r, i) is not { } b ? (i == 0 ? "[grey]none[/]" : "")
            : b.Missing is null ? Markup.Escape(b.Name) : $"[yellow]{Markup.Escape(b.Name)}: missing {Markup.Escape(Note(b.Missing))}[/]";
        string Ci(BenchRow r) => r.Noisy ? $"[yellow]{F(r.Time?.CiPct, "0.0")} noisy[/]" : F(r.Time?.CiPct, "0.0");
        string Verified(BenchRow r) => r.Verified ? "[green]yes[/]" : $"[red]NO[/] {Markup.Escape(r.VerifyNote)}";
        string First(int i, string text) => i == 0 ? text : "";

        var columns = new List<Column>
        {
            new("op", 100, false, false, (r, i) => First(i, Markup.Escape(r.Op))),
            new("pass", 100, false, false, (r, i) => First(i, r.Pass)),
            new("shape", 100, true, false, (r, i) => First(i, Markup.Escape(r.Shape))),
            new("median ms", 95, false, true, (r, i) => First(i, F(r.Time?.Median, "0.###"))),
            new("±95%", 90, false, true, (r, i) => First(i, Ci(r))),
            new("n", 40, false, true, (r, i) => First(i, F(r.Time?.Samples, "0"))),
            new("GFLOP/s", 50, false, true, (r, i) => First(i, F(r.Gflops, "0.#"))),
            new("GB/s", 30, false, true, (r, i) => First(i, F(r.Gbps, "0.#"))),
            new("roofline %", 35, false, true, (r, i) => First(i, F(r.RooflinePct, "0.#"))),
            new("baseline", 90, true, false, Baseline),
            new("base ms", 85, false, true, (r, i) => F(B(r, i)?.TimeMs, "0.###")),
            new("±95%", 45, false, true, (r, i) => BaselineCi(B(r, i), report.Header.NoiseLimitPct)),
            new("ratio", 95, false, true, (r, i) => Ratio(B(r, i))),
            new("verified", 80, true, false, (r, i) => First(i, Verified(r))),
        };
        var lines = report.Rows.SelectMany(r => Enumerable.Range(0, Math.Max(1, r.Baselines.Count)).Select(i => (Row: r, I: i))).ToList();
        if (MinWidth(columns, lines) > width)
        {
            // Stack op, pass and shape (and a failed verification) in one column.
            columns.RemoveAll(c => c.Header is "op" or "pass" or "shape" or "verified");
            columns.Insert(0, new Column("op, pass, shape", 100, true, false, (r, i) => First(i,
                $"{Markup.Escape(r.Op)} {r.Pass}\n[grey]{Markup.Escape(r.Shape)}[/]" + (r.Verified ? "" : "\n" + Verified(r)))));
            while (MinWidth(columns, lines) > width && columns.Count > 4)
                columns.Remove(columns.Where(c => c.Priority < 100).MinBy(c => c.Priority)!);
        }

        var table = new Table().Border(TableBorder.Rounded);
        // Wrapping columns get a fixed width: their longest word, plus a share of what the terminal has to spare up to
        // their longest line (left to itself the table would squeeze them below a word's length).
        int slack = Math.Max(0, width - MinWidth(columns, lines));
        var wraps = columns.Where(c => c.Wrap).ToList();
        int wanted = wraps.Sum(c => Longest(c, lines, false) - Longest(c, lines, true));
        foreach (var c in columns)
        {
            var col = new TableColumn(c.Header) { NoWrap = !c.Wrap };
            if (c.Right) col.RightAligned();
            if (c.Wrap)
            {
                int min = Math.Max(c.Header.Length, Longest(c, lines, true)), extra = Longest(c, lines, false) - Longest(c, lines, true);
                col.Width = min + (wanted == 0 ? 0 : Math.Min(extra, slack * extra / wanted));
            }
            table.AddColumn(col);
        }
        foreach (var (r, i) in lines) table.AddRow(columns.Select(c => c.Cell(r, i)).ToArray());
        console.Write(table);
        for (int k = 0; k < notes.Count; k++) console.MarkupLine($"[yellow]{Markup.Escape($"[{k + 1}]")}[/] {Markup.Escape(notes[k])}");
        console.MarkupLine(Markup.Escape("±95%: half the width of the median's 95 % confidence interval, in % of the median; n: samples; " +
            report.StatisticsNote));
    }

    /// <summary>The narrowest the table can be without breaking a word: per column its header and its longest
    /// unbreakable text (the whole cell when it does not wrap), plus borders and padding.</summary>
    private static int MinWidth(List<Column> columns, List<(BenchRow Row, int I)> lines) =>
        1 + columns.Sum(c => 3 + Math.Max(c.Header.Length, Longest(c, lines, c.Wrap)));

    /// <summary>The longest word (<paramref name="words"/>) or line of a column's cells.</summary>
    private static int Longest(Column c, List<(BenchRow Row, int I)> lines, bool words) => lines.Count == 0 ? 0 : lines.Max(l =>
    {
        string text = Markup.Remove(c.Cell(l.Row, l.I));
        return (words ? text.Split(' ', '\n') : text.Split('\n')).Max(p => p.Length);
    });

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
