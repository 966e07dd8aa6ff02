using System.Globalization;
using ScottPlot;
using Tessera.Bench;

namespace Tessera.Cli;

/// <summary>The line chart of a <c>--shape</c> sweep: throughput against the swept size, one line per op and pass for
/// Tessera (bold, filled circles) and one per baseline (thin, open squares), each in its own colour, with the 95 % interval
/// of each point as error bars. Compute-bound ops (more than 4 FLOP per byte) are shown in GFLOP/s, the others in GB/s;
/// a sweep of both kinds gets one chart of each.</summary>
internal static class SweepPlot
{
    /// <summary>Writes the chart to <paramref name="path"/> (a sweep of both kinds writes its memory-bound ops to
    /// PATH-gbps.ext beside it) and returns the files written.</summary>
    public static IReadOnlyList<string> Write(BenchReport report, string path)
    {
        var rows = report.Rows.Where(r => r.SweepValue is > 0 && r.Time is not null).ToList();
        var groups = rows.GroupBy(r => r.Flops / r.Bytes > 4).OrderByDescending(g => g.Key).ToList();
        if (groups.Count == 0) throw new TesseraArgumentException("bench", "--plot", "the sweep timed no row to plot");
        var written = new List<string>();
        foreach (var g in groups)
        {
            var plt = new Plot();
            Panel(plt, g.ToList(), g.Key, report.Header);
            string file = written.Count == 0 ? path : Path.ChangeExtension(path, null) + "-gbps" + Path.GetExtension(path);
            Plots.Save(plt, file, 1300, 750);
            written.Add(file);
        }
        return written;
    }

    private static void Panel(Plot plt, List<BenchRow> rows, bool compute, BenchHeader header)
    {
        string unit = compute ? "GFLOP/s" : "GB/s";
        double Rate(BenchRow r, double ms) => (compute ? r.Flops : r.Bytes) / (ms * 1e6);
        var palette = new ScottPlot.Palettes.Category10();
        int color = 0;
        var xsAll = new SortedSet<double>();
        foreach (var series in rows.GroupBy(r => (r.Op, r.Pass)))
        {
            var pts = series.OrderBy(r => r.SweepValue).ToList();
            Line(plt, pts.Select(r => (r.SweepValue!.Value, r.Time!)).ToList(), pts, Rate, palette.GetColor(color++), bold: true, $"Tessera {series.Key.Op} {series.Key.Pass}");
            foreach (var name in pts.SelectMany(r => r.Baselines).Where(b => b.Stats is not null).Select(b => b.Name).Distinct())
            {
                var bpts = pts.Where(r => r.Baselines.Any(b => b.Name == name && b.Stats is not null)).ToList();
                Line(plt, bpts.Select(r => (r.SweepValue!.Value, r.Baselines.First(b => b.Name == name).Stats!)).ToList(), bpts, Rate,
                    palette.GetColor(color++), bold: false, $"{name} ({series.Key.Op} {series.Key.Pass})");
            }
            foreach (var r in pts) xsAll.Add(Math.Log2(r.SweepValue!.Value));
        }
        var ticks = xsAll.ToArray();
        plt.Axes.Bottom.SetTicks(ticks, ticks.Select(t => Math.Pow(2, t).ToString("#,0.##", CultureInfo.InvariantCulture)).ToArray());
        double pad = ticks.Length > 1 ? 0.04 * (ticks[^1] - ticks[0]) : 0.5;
        plt.Axes.SetLimitsX(ticks[0] - pad, ticks[^1] + pad);
        // From zero to a little above the highest whisker (the fastest end of any interval).
        double top = rows.SelectMany(r => new[] { r.Time!.CiLow }.Concat(r.Baselines.Where(b => b.Stats is not null).Select(b => b.Stats!.CiLow))
            .Where(ms => ms > 0).Select(ms => Rate(r, ms))).DefaultIfEmpty(1).Max();
        plt.Axes.SetLimitsY(0, 1.1 * top);
        var axes = rows.Select(r => r.SweepAxis).Distinct().ToList();
        plt.Axes.Bottom.Label.Text = (axes.Count == 1 ? axes[0] : "size") + " (log scale)";
        plt.Axes.Left.Label.Text = unit + (compute ? " (higher is better)" : " moved (higher is better)");
        plt.Title($"Sweep: {unit} against size, {header.Device}, {header.Threads} thread{(header.Threads == 1 ? "" : "s")} " +
                  "(bold: Tessera; thin, open markers: baselines; whiskers: 95 % interval)");
        plt.ShowLegend(Alignment.UpperLeft);
    }

    private static void Line(Plot plt, List<(double X, TimeStats T)> pts, List<BenchRow> rows, Func<BenchRow, double, double> rate,
        Color color, bool bold, string legend)
    {
        if (pts.Count == 0) return;
        double[] xs = pts.Select(p => Math.Log2(p.X)).ToArray();
        double[] ys = pts.Select((p, i) => rate(rows[i], p.T.Median)).ToArray();
        var s = plt.Add.Scatter(xs, ys);
        s.Color = color; s.LineWidth = bold ? 2.5f : 1.2f; s.MarkerSize = bold ? 8 : 7;
        s.MarkerShape = bold ? MarkerShape.FilledCircle : MarkerShape.OpenSquare;
        s.LegendText = legend;
        // Throughput is inverse to time: the interval's high time is the low rate.
        var err = new ScottPlot.Plottables.ErrorBar(xs, ys, xs.Select(_ => 0.0).ToArray(), xs.Select(_ => 0.0).ToArray(),
            yErrorsPositive: pts.Select((p, i) => rate(rows[i], p.T.CiLow) - ys[i]).ToArray(),
            yErrorsNegative: pts.Select((p, i) => ys[i] - rate(rows[i], p.T.CiHigh)).ToArray());
        err.Color = color; err.LineWidth = 1; err.CapSize = 4;
        plt.Add.Plottable(err);
    }
}
