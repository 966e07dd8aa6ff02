using ScottPlot;
using Tessera.Bench;

namespace Tessera.Cli;

/// <summary>Charts of a bench report: a log-log roofline and a bar chart of ratios to baselines.</summary>
internal static class BenchPlots
{
    /// <summary>Roofline: arithmetic intensity (FLOP/byte) against GFLOP/s, log-log; the bandwidth slope and the compute
    /// ceiling are lines, each measured row a labelled point.</summary>
    public static void Roofline(BenchReport report, string path)
    {
        var plt = new Plot();
        var rows = report.Rows.Where(r => r.Gflops is > 0 && r.Flops > 0 && r.Bytes > 0).ToList();
        double peak = report.Header.Ceilings?.RooflineGflops ?? rows.Max(r => r.Gflops ?? 1);
        double bw = report.Header.Ceilings?.RooflineGBps ?? 10;
        double ridge = peak / bw;
        double xMin = Math.Min(0.05, rows.Count > 0 ? rows.Min(r => r.Flops / r.Bytes) / 2 : 0.05);
        double xMax = Math.Max(ridge * 20, rows.Count > 0 ? rows.Max(r => r.Flops / r.Bytes) * 2 : 100);
        // Roof: min(peak, bw · intensity), sampled in log space.
        var xs = Enumerable.Range(0, 200).Select(i => xMin * Math.Pow(xMax / xMin, i / 199.0)).ToArray();
        var roof = plt.Add.Scatter(xs.Select(Math.Log10).ToArray(), xs.Select(x => Math.Log10(Math.Min(peak, bw * x))).ToArray());
        roof.LegendText = $"roofline: {peak:0.#} GFLOP/s, {bw:0.#} GB/s";
        roof.MarkerSize = 0; roof.LineWidth = 2; roof.Color = Colors.Black;
        var bwLine = plt.Add.Scatter(xs.Select(Math.Log10).ToArray(), xs.Select(x => Math.Log10(bw * x)).ToArray());
        bwLine.MarkerSize = 0; bwLine.LinePattern = LinePattern.Dashed; bwLine.Color = Colors.Gray; bwLine.LegendText = "bandwidth slope";
        var peakLine = plt.Add.HorizontalLine(Math.Log10(peak));
        peakLine.LinePattern = LinePattern.Dotted; peakLine.Color = Colors.Gray;

        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (var r in rows)
        {
            double x = Math.Log10(r.Flops / r.Bytes), y = Math.Log10(r.Gflops!.Value);
            var color = r.Verified ? palette.GetColor(i++) : Colors.Red;
            plt.Add.Marker(x, y, r.Pass == "bwd" ? MarkerShape.FilledTriangleUp : MarkerShape.FilledCircle, 8, color);
            var label = plt.Add.Text($"{r.Op} {r.Pass}{(r.Verified ? "" : " (unverified)")}", x, y);
            label.LabelFontSize = 10; label.LabelFontColor = color; label.OffsetX = 6; label.OffsetY = -6;
        }
        LogTicks(plt.Axes.Bottom, Math.Log10(xMin), Math.Log10(xMax));
        double yMin = Math.Min(Math.Log10(bw * xMin), rows.Count > 0 ? rows.Min(r => Math.Log10(r.Gflops!.Value)) : 0) - 0.3;
        LogTicks(plt.Axes.Left, yMin, Math.Log10(peak) + 0.5);
        plt.Axes.SetLimits(Math.Log10(xMin), Math.Log10(xMax), yMin, Math.Log10(peak) + 0.5);
        plt.Axes.Bottom.Label.Text = "arithmetic intensity (FLOP / byte, log)";
        plt.Axes.Left.Label.Text = "GFLOP/s (log)";
        var h = report.Header;
        plt.Title($"Roofline: {h.Device}, {h.Threads} thread(s), size {h.Size}{(h.Cold ? ", cold" : "")}");
        plt.ShowLegend(Alignment.LowerRight);
        Plots.Save(plt, path, 1200, 800);
    }

    /// <summary>One bar per (row, baseline) with a time: baseline time / our time (above 1: Tessera faster).</summary>
    public static void Ratios(BenchReport report, string path)
    {
        var plt = new Plot();
        var bars = new List<(string Label, double Ratio)>();
        foreach (var r in report.Rows.Where(r => r.Verified))
            foreach (var b in r.Baselines.Where(b => b.Ratio is not null))
                bars.Add(($"{r.Op} {r.Pass} vs {b.Name.Replace("onnxruntime", "ORT").Replace("TensorPrimitives", "TP")}", b.Ratio!.Value));
        for (int i = 0; i < bars.Count; i++)
        {
            var bar = plt.Add.Bar(position: i, value: bars[i].Ratio);
            bar.Color = bars[i].Ratio >= 1 ? Colors.SeaGreen : Colors.IndianRed;
        }
        var one = plt.Add.HorizontalLine(1);
        one.LinePattern = LinePattern.Dashed; one.Color = Colors.Black;
        plt.Axes.Bottom.SetTicks(Enumerable.Range(0, bars.Count).Select(i => (double)i).ToArray(), bars.Select(b => b.Label).ToArray());
        plt.Axes.Bottom.TickLabelStyle.Rotation = 50;
        plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plt.Axes.Bottom.MinimumSize = 330;
        plt.Axes.Right.MinimumSize = 160;
        plt.Axes.Left.Label.Text = "baseline time / Tessera time";
        plt.Axes.Margins(bottom: 0);
        var h = report.Header;
        plt.Title($"Ratios to baselines: {h.Device}, {h.Threads} thread(s), size {h.Size} (> 1: Tessera faster)");
        Plots.Save(plt, path, Math.Max(1000, 45 * bars.Count + 300), 900);
    }

    private static void LogTicks(ScottPlot.IAxis axis, double lo, double hi)
    {
        var pos = new List<double>(); var labels = new List<string>();
        for (int e = (int)Math.Floor(lo); e <= (int)Math.Ceiling(hi); e++)
        {
            pos.Add(e);
            labels.Add(Math.Pow(10, e).ToString(e < 0 ? "0.###" : "0", System.Globalization.CultureInfo.InvariantCulture));
        }
        axis.SetTicks(pos.ToArray(), labels.ToArray());
    }
}
