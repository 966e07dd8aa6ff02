using System.Globalization;
using ScottPlot;
using Tessera.Bench.Compare;

namespace Tessera.Cli;

/// <summary>The chart of <c>tessera bench compare</c>: the change of each Tessera row (B against A) as a horizontal bar
/// with its 95 % interval, coloured by the rank test's verdict, the ±threshold band shaded.</summary>
internal static class CompareChart
{
    public static void Write(BenchComparison cmp, string nameA, string nameB, string path)
    {
        var rows = cmp.Changes.Where(c => c.IsTessera).ToList();
        if (rows.Count == 0) throw new TesseraArgumentException("bench compare", "--plot", "no row is in both reports");
        var plt = new Plot();
        int n = rows.Count;
        double t = cmp.ThresholdPct;
        double lo = -t * 2, hi = t * 2;
        // The axis spans the intervals of the compared rows; noisy rows' bars and wide pass ranges are cut at its edges.
        var scaled = rows.Where(c => c.Verdict != BenchComparison.Noisy).ToList();
        foreach (var c in scaled.Count > 0 ? scaled : rows) { lo = Math.Min(lo, 100 * c.ChangeLow); hi = Math.Max(hi, 100 * c.ChangeHigh); }
        // Room for the value labels beside the outermost whiskers.
        double span = hi - lo;
        lo -= 0.2 * span; hi += 0.2 * span;
        var band = plt.Add.Rectangle(-t, t, -0.7, n - 0.3);
        band.FillColor = Colors.Gray.WithAlpha(0.15); band.LineWidth = 0;
        for (int i = 0; i < n; i++)
        {
            var c = rows[i];
            double y = n - 1 - i, v = 100 * c.Change;
            var color = c.Verdict switch
            {
                BenchComparison.Slower => Colors.IndianRed, BenchComparison.Faster => Colors.SeaGreen, BenchComparison.Noisy => Colors.Orange,
                BenchComparison.Unclear => Colors.SteelBlue, _ => Colors.Gray,
            };
            plt.Add.Bar(new Bar { Position = y, Value = v, ValueBase = 0, FillColor = color, Orientation = Orientation.Horizontal, Size = 0.7 });
            var err = new ScottPlot.Plottables.ErrorBar([v], [y], xErrorsPositive: [100 * c.ChangeHigh - v], xErrorsNegative: [v - 100 * c.ChangeLow], [0.0], [0.0]);
            err.Color = Colors.Black; err.LineWidth = 1.5f; err.CapSize = 5;
            plt.Add.Plottable(err);
            if (c.PassHigh > c.PassLow)
            {
                // The pass range (every pass of B against every pass of A): the verdict needs it beyond the threshold too.
                var wide = plt.Add.Line(100 * c.PassLow, y - 0.3, 100 * c.PassHigh, y - 0.3);
                wide.LineWidth = 1.5f; wide.Color = Colors.DimGray; wide.LinePattern = LinePattern.Dotted;
            }
            var label = plt.Add.Text($"{(v >= 0 ? "+" : "")}{v.ToString("0.0", CultureInfo.InvariantCulture)} % {c.Verdict}",
                v >= 0 ? 100 * c.ChangeHigh : 100 * c.ChangeLow, y);
            label.LabelFontSize = 11; label.LabelAlignment = v >= 0 ? Alignment.MiddleLeft : Alignment.MiddleRight; label.OffsetX = v >= 0 ? 6 : -6;
        }
        plt.Add.VerticalLine(0, 1.5f, Colors.Black);
        plt.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), rows.Select(r => r.Row).ToArray());
        plt.Axes.Left.TickLabelStyle.FontSize = 12;
        plt.Axes.SetLimits(lo, hi, -0.7, n - 0.3);
        // Legend rows beyond five are cut at the bottom of the image: the lines and the band are explained on the axis.
        plt.Axes.Bottom.Label.Text = "change of the median, B against A (%; right: B slower); whiskers: 95 % interval; " +
            $"dotted: pass range; shaded: ±{t:0.##} %";
        plt.Axes.Bottom.Label.FontSize = 13;
        plt.Title($"bench compare: {Path.GetFileName(nameB)} against {Path.GetFileName(nameA)}" +
            (cmp.Normalized && cmp.MachineDrift is double g ? $" (B divided by the baselines' drift {g.ToString("0.###", CultureInfo.InvariantCulture)})" : ""));
        plt.Legend.ManualItems.Add(Plots.Item($"slower beyond {t:0.##} % (interval and pass range, and the rank test at level {cmp.Alpha:0.###})", Colors.IndianRed, MarkerShape.FilledSquare));
        plt.Legend.ManualItems.Add(Plots.Item($"faster beyond {t:0.##} %", Colors.SeaGreen, MarkerShape.FilledSquare));
        plt.Legend.ManualItems.Add(Plots.Item("no significant change", Colors.Gray, MarkerShape.FilledSquare));
        plt.Legend.ManualItems.Add(Plots.Item($"unclear: interval beyond {t:0.##} %, but the passes overlap or the rank test disagrees", Colors.SteelBlue, MarkerShape.FilledSquare));
        plt.Legend.ManualItems.Add(Plots.Item("noisy: not compared (a run could not pin its median down)", Colors.Orange, MarkerShape.FilledSquare));
        plt.ShowLegend(Edge.Bottom);
        if (cmp.Differences.Count > 0)
        {
            var note = plt.Add.Annotation("A and B differ in: " + string.Join("; ", cmp.Differences.Select(d => d.Split(':')[0])), Alignment.UpperLeft);
            note.LabelFontSize = 11;
        }
        Plots.Save(plt, path, 1300, Math.Max(500, 30 * n + 270));
    }
}
