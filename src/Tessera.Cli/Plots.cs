using System.Globalization;
using ScottPlot;
using Tessera.Cli.Training;

namespace Tessera.Cli;

/// <summary>Charts written by the CLI, as PNG or SVG by extension. They use solid lines only (no dash patterns, which
/// the SVG canvas cannot draw), so the SVG shows what the PNG shows.</summary>
internal static class Plots
{
    /// <summary>Training curves: the loss of every training step (thin) with its running mean (bold), the test loss after
    /// each epoch (squares) on the left axis, and the test accuracy in percent on the right axis; the x axis counts
    /// epochs (fractions within an epoch), so a single epoch already draws a curve.</summary>
    /// <param name="stepLosses">The loss of each step this process trained, from epoch <paramref name="x0"/> on (a resumed
    /// run has no step losses of the epochs before it; their test metrics are still drawn).</param>
    public static void TrainingCurves(IReadOnlyList<EpochMetrics> history, IReadOnlyList<double> stepLosses, int x0, int stepsPerEpoch,
        string path, string title)
    {
        var plt = new Plot();
        if (stepLosses.Count > 0 && stepsPerEpoch > 0)
        {
            double[] xs = Enumerable.Range(1, stepLosses.Count).Select(i => x0 + i / (double)stepsPerEpoch).ToArray();
            var raw = plt.Add.Scatter(xs, stepLosses.ToArray());
            raw.MarkerSize = 0; raw.LineWidth = 1; raw.Color = Colors.SteelBlue.WithAlpha(0.35); raw.LegendText = "training loss, each step";
            int window = Math.Max(1, stepsPerEpoch / 20);
            var mean = new double[stepLosses.Count];
            double sum = 0;
            for (int i = 0; i < stepLosses.Count; i++)
            {
                sum += stepLosses[i];
                if (i >= window) sum -= stepLosses[i - window];
                mean[i] = sum / Math.Min(i + 1, window);
            }
            var smooth = plt.Add.Scatter(xs, mean);
            smooth.MarkerSize = 0; smooth.LineWidth = 2.5f; smooth.Color = Colors.SteelBlue; smooth.LegendText = $"training loss, mean of {window} steps";
        }
        double[] epochs = history.Select(m => (double)m.Epoch).ToArray();
        if (history.Count > 0)
        {
            var test = plt.Add.Scatter(epochs, history.Select(m => m.TestLoss).ToArray());
            test.Color = Colors.DarkOrange; test.MarkerShape = MarkerShape.FilledSquare; test.MarkerSize = 9; test.LineWidth = 2; test.LegendText = "test loss, after each epoch";
            var acc = plt.Add.Scatter(epochs, history.Select(m => 100 * m.TestAccuracy).ToArray());
            acc.Color = Colors.SeaGreen; acc.MarkerShape = MarkerShape.FilledCircle; acc.MarkerSize = 9; acc.LineWidth = 2;
            acc.LegendText = "test accuracy % (right axis)";
            acc.Axes.YAxis = plt.Axes.Right;
            foreach (var m in history)
            {
                var t = plt.Add.Text($"{100 * m.TestAccuracy:0.0} %", m.Epoch, 100 * m.TestAccuracy);
                t.Axes.YAxis = plt.Axes.Right; t.LabelFontSize = 11; t.LabelFontColor = Colors.SeaGreen; t.OffsetX = -20; t.OffsetY = -22;
            }
        }
        double maxLoss = Math.Max(stepLosses.Count > 0 ? stepLosses.Max() : 0, history.Count > 0 ? history.Max(m => Math.Max(m.TrainLoss, m.TestLoss)) : 1);
        plt.Axes.SetLimitsY(0, maxLoss * 1.08, plt.Axes.Left);
        double minAcc = history.Count > 0 ? history.Min(m => 100 * m.TestAccuracy) : 0;
        plt.Axes.SetLimitsY(Math.Max(0, Math.Floor((minAcc - 15) / 10) * 10), 100, plt.Axes.Right);
        double xStart = history.Count > 0 ? Math.Min(x0, history[0].Epoch - 1) : x0;
        double xEnd = history.Count > 0 ? history[^1].Epoch : x0 + 1;
        plt.Axes.SetLimitsX(xStart, xEnd + 0.05 * (xEnd - xStart));
        plt.Axes.Right.Label.Text = "test accuracy (%)";
        plt.Axes.Left.Label.Text = "cross-entropy loss";
        plt.Axes.Bottom.Label.Text = "epoch";
        plt.Title(title);
        // Upper middle: the loss starts high on the left and the accuracy sits high on the right.
        plt.ShowLegend(Alignment.UpperCenter);
        Save(plt, path, 900, 520);
    }

    public static void Save(Plot plt, string path, int width, int height)
    {
        if (path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase)) plt.SaveSvg(path, width, height);
        else plt.SavePng(path, width, height);
    }

    /// <summary>Ticks at the powers of ten between <paramref name="lo"/> and <paramref name="hi"/> (the axis holds
    /// log10 values), labelled with the values.</summary>
    public static void LogTicks(IAxis axis, double lo, double hi, int @base = 10, string suffix = "")
    {
        var pos = new List<double>(); var labels = new List<string>();
        double step = Math.Log10(@base);
        for (int e = (int)Math.Floor(lo / step); e <= (int)Math.Ceiling(hi / step); e++)
        {
            pos.Add(e * step);
            double v = Math.Pow(@base, e);
            labels.Add(v.ToString(v < 1 ? "0.###" : "#,0", CultureInfo.InvariantCulture) + suffix);
        }
        axis.SetTicks(pos.ToArray(), labels.ToArray());
    }

    /// <summary>A legend line for something drawn by hand (markers or lines not in the legend by themselves).</summary>
    public static LegendItem Item(string text, Color color, MarkerShape marker = MarkerShape.None, float lineWidth = 0) => new()
    {
        LabelText = text,
        MarkerShape = marker,
        MarkerSize = marker == MarkerShape.None ? 0 : 10,
        MarkerFillColor = color,
        MarkerLineColor = color,
        LineColor = color,
        LineWidth = lineWidth,
    };
}
