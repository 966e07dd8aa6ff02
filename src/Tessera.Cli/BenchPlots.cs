using System.Globalization;
using ScottPlot;
using Tessera.Bench;
using Tessera.Bench.Statistics;

namespace Tessera.Cli;

/// <summary>Charts of a bench report: a log-log roofline and a chart of ratios to baselines.</summary>
internal static class BenchPlots
{
    /// <summary>Roofline: arithmetic intensity (FLOP/byte) against GFLOP/s, log-log. The roof is min(peak, bandwidth ×
    /// intensity); each measured row is a point (circle: forward, triangle: backward, red: not verified) labelled
    /// where its label collides with nothing; a note explains points above the roof.</summary>
    public static void Roofline(BenchReport report, string path)
    {
        const int width = 1400, height = 900;
        var plt = new Plot();
        var rows = report.Rows.Where(r => r.Gflops is > 0 && r.Flops > 0 && r.Bytes > 0).ToList();
        double peak = report.Header.Ceilings?.RooflineGflops ?? (rows.Count > 0 ? rows.Max(r => r.Gflops ?? 1) : 1);
        double bw = report.Header.Ceilings?.RooflineGBps ?? 10;
        double ridge = peak / bw;
        double xMin = Math.Min(0.05, rows.Count > 0 ? rows.Min(r => r.Flops / r.Bytes) / 2 : 0.05);
        double xMax = Math.Max(ridge * 20, rows.Count > 0 ? rows.Max(r => r.Flops / r.Bytes) * 2 : 100);
        double yMin = Math.Min(Math.Log10(bw * xMin), rows.Count > 0 ? rows.Min(r => Math.Log10(r.Gflops!.Value)) : 0) - 0.3;
        double yMax = Math.Max(Math.Log10(peak), rows.Count > 0 ? rows.Max(r => Math.Log10(r.Gflops!.Value)) : 0) + 0.4;
        // The two ceilings extended (thin grey), and the roof itself (black), sampled in log space.
        var xs = Enumerable.Range(0, 200).Select(i => xMin * Math.Pow(xMax / xMin, i / 199.0)).ToArray();
        var lx = xs.Select(Math.Log10).ToArray();
        var slope = plt.Add.Scatter(lx, xs.Select(x => Math.Log10(bw * x)).ToArray());
        slope.MarkerSize = 0; slope.LineWidth = 1; slope.Color = Colors.Gray.WithAlpha(0.6);
        var flat = plt.Add.HorizontalLine(Math.Log10(peak), 1, Colors.Gray.WithAlpha(0.6));
        var roof = plt.Add.Scatter(lx, xs.Select(x => Math.Log10(Math.Min(peak, bw * x))).ToArray());
        roof.MarkerSize = 0; roof.LineWidth = 2.5f; roof.Color = Colors.Black;

        var palette = new ScottPlot.Palettes.Category10();
        var placer = new LabelPlacer(plt, width, height, 12);
        int i = 0, above = 0;
        foreach (var r in rows)
        {
            double ai = r.Flops / r.Bytes, x = Math.Log10(ai), y = Math.Log10(r.Gflops!.Value);
            if (r.Gflops!.Value > Math.Min(peak, bw * ai) * 1.02) above++;
            var color = r.Verified ? palette.GetColor(i++) : Colors.Red;
            plt.Add.Marker(x, y, r.Pass == "bwd" ? MarkerShape.FilledTriangleUp : MarkerShape.FilledCircle, 10, color);
            placer.Add($"{r.Op} {r.Pass}{(r.Verified ? "" : " (not verified)")}", new Coordinates(x, y), color);
        }
        Plots.LogTicks(plt.Axes.Bottom, Math.Log10(xMin), Math.Log10(xMax));
        Plots.LogTicks(plt.Axes.Left, yMin, yMax);
        plt.Axes.SetLimits(Math.Log10(xMin), Math.Log10(xMax), yMin, yMax);
        plt.Axes.Bottom.Label.Text = "arithmetic intensity (FLOP per byte moved, log scale)";
        plt.Axes.Left.Label.Text = "GFLOP/s (log scale)";
        var h = report.Header;
        plt.Title($"Roofline: {h.Device}, {h.Threads} thread{(h.Threads == 1 ? "" : "s")}, size {h.Size}{(h.Cold ? ", cold caches" : ", warm caches")}");
        plt.Legend.ManualItems.Add(Plots.Item($"roof: min({peak:0.#} GFLOP/s, {bw:0.#} GB/s × intensity)", Colors.Black, lineWidth: 2.5f));
        plt.Legend.ManualItems.Add(Plots.Item("compute peak and DRAM bandwidth, extended", Colors.Gray, lineWidth: 1));
        plt.Legend.ManualItems.Add(Plots.Item("forward pass", Colors.DimGray, MarkerShape.FilledCircle));
        plt.Legend.ManualItems.Add(Plots.Item("backward pass", Colors.DimGray, MarkerShape.FilledTriangleUp));
        if (rows.Any(r => !r.Verified)) plt.Legend.ManualItems.Add(Plots.Item("not verified against the reference", Colors.Red, MarkerShape.FilledCircle));
        plt.ShowLegend(Edge.Bottom);
        if (above > 0)
        {
            var note = plt.Add.Annotation($"{above} point{(above == 1 ? " is" : "s are")} above the roof: in a warm-cache run, data that stays in cache\n" +
                "is not bound by the DRAM bandwidth the roof uses (--cold rotates inputs larger than the cache)", Alignment.UpperLeft);
            note.LabelFontSize = 12; note.LabelBackgroundColor = Colors.White; note.LabelShadowColor = Colors.Transparent;
        }
        placer.Place();
        Plots.Save(plt, path, width, height);
    }

    /// <summary>Ratios to baselines as horizontal bars on a log scale around 1 (right: Tessera faster), one per row and
    /// baseline with a time, with the 95 % interval of the ratio as error bars, coloured by what may be claimed.
    /// Returns false (and writes nothing) when no row has a ratio.</summary>
    public static bool Ratios(BenchReport report, string path)
    {
        var bars = new List<(string Label, BaselineResult B)>();
        foreach (var r in report.Rows.Where(r => r.Verified))
            foreach (var b in r.Baselines.Where(b => b.Ratio is > 0))
                bars.Add(($"{r.Op} {r.Pass} vs {b.Name}", b));
        if (bars.Count == 0) return false;
        var plt = new Plot();
        int n = bars.Count;
        var colors = new Dictionary<string, Color>
        {
            [RatioVerdict.Faster] = Colors.SeaGreen, [RatioVerdict.Slower] = Colors.IndianRed,
            [RatioVerdict.Same] = Colors.Gray, [RatioVerdict.Noisy] = Colors.Orange,
        };
        double lo = 0, hi = 0;
        for (int i = 0; i < n; i++)
        {
            var b = bars[i].B;
            double y = n - 1 - i, v = Math.Log2(b.Ratio!.Value);
            double eLo = Math.Log2(b.RatioLow ?? b.Ratio.Value), eHi = Math.Log2(b.RatioHigh ?? b.Ratio.Value);
            var color = colors.GetValueOrDefault(b.Verdict ?? RatioVerdict.Same, Colors.Gray);
            plt.Add.Bar(new Bar { Position = y, Value = v, ValueBase = 0, FillColor = color, Orientation = Orientation.Horizontal, Size = 0.7 });
            var err = new ScottPlot.Plottables.ErrorBar([v], [y], xErrorsPositive: [eHi - v], xErrorsNegative: [v - eLo], [0.0], [0.0]);
            plt.Add.Plottable(err);
            err.Color = Colors.Black; err.LineWidth = 1.5f; err.CapSize = 5;
            // The value beside the whisker's outer end, away from the 1× line.
            string text = b.Ratio.Value.ToString("0.00", CultureInfo.InvariantCulture) + "×" +
                (b.Verdict == RatioVerdict.Same ? " ≈" : b.Verdict == RatioVerdict.Noisy ? " noisy" : "");
            var t = plt.Add.Text(text, v >= 0 ? Math.Max(v, eHi) : Math.Min(v, eLo), y);
            t.LabelFontSize = 11; t.LabelAlignment = v >= 0 ? Alignment.MiddleLeft : Alignment.MiddleRight; t.OffsetX = v >= 0 ? 6 : -6;
            lo = Math.Min(lo, Math.Min(v, eLo)); hi = Math.Max(hi, Math.Max(v, eHi));
        }
        plt.Add.VerticalLine(0, 1.5f, Colors.Black);
        plt.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), bars.Select(b => b.Label).ToArray());
        plt.Axes.Left.TickLabelStyle.FontSize = 12;
        lo = Math.Floor(lo) - 1; hi = Math.Ceiling(hi) + 1;
        int every = hi - lo > 12 ? 2 : 1;
        var ticks = Enumerable.Range((int)lo, (int)(hi - lo) + 1).Where(e => e % every == 0).Select(e => (double)e).ToArray();
        plt.Axes.Bottom.SetTicks(ticks, ticks.Select(e => e < 0 ? $"1/{Math.Pow(2, -e).ToString("0", CultureInfo.InvariantCulture)}×"
            : Math.Pow(2, e).ToString("0", CultureInfo.InvariantCulture) + "×").ToArray());
        plt.Axes.SetLimits(lo, hi, -0.7, n - 0.3);
        plt.Axes.Bottom.Label.Text = "baseline time / Tessera time (log scale; right of 1×: Tessera faster; whiskers: 95 % interval)";
        plt.Axes.Bottom.Label.FontSize = 14;
        var h = report.Header;
        plt.Title($"Tessera against each baseline: {h.Device}, {h.Threads} thread{(h.Threads == 1 ? "" : "s")}, size {h.Size}");
        plt.Legend.ManualItems.Add(Plots.Item("Tessera faster (whole interval above 1×)", colors[RatioVerdict.Faster], MarkerShape.FilledSquare));
        plt.Legend.ManualItems.Add(Plots.Item("Tessera slower (whole interval below 1×)", colors[RatioVerdict.Slower], MarkerShape.FilledSquare));
        plt.Legend.ManualItems.Add(Plots.Item("≈ no winner: the interval holds 1×", colors[RatioVerdict.Same], MarkerShape.FilledSquare));
        plt.Legend.ManualItems.Add(Plots.Item($"? noisy: a median known only to ±{h.NoiseLimitPct:0.#} % or worse", colors[RatioVerdict.Noisy], MarkerShape.FilledSquare));
        plt.ShowLegend(Edge.Bottom);
        Plots.Save(plt, path, 1300, Math.Max(500, 30 * n + 260));
        return true;
    }
}
