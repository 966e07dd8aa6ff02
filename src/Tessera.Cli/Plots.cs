using ScottPlot;
using Tessera.Cli.Training;
using Tessera.Graph.Training;

namespace Tessera.Cli;

/// <summary>Charts written by the CLI (PNG or SVG by extension).</summary>
internal static class Plots
{
    /// <summary>Training curves: train and test loss (left axis) and test accuracy (right axis) per epoch.</summary>
    public static void TrainingCurves(IReadOnlyList<EpochMetrics> history, string path, string title)
    {
        var plt = new Plot();
        double[] epochs = history.Select(m => (double)m.Epoch).ToArray();
        var train = plt.Add.Scatter(epochs, history.Select(m => m.TrainLoss).ToArray());
        train.LegendText = "train loss";
        var test = plt.Add.Scatter(epochs, history.Select(m => m.TestLoss).ToArray());
        test.LegendText = "test loss";
        var acc = plt.Add.Scatter(epochs, history.Select(m => m.TestAccuracy).ToArray());
        acc.LegendText = "test accuracy";
        acc.Axes.YAxis = plt.Axes.Right;
        plt.Axes.Right.Label.Text = "accuracy";
        plt.Axes.Left.Label.Text = "loss";
        plt.Axes.Bottom.Label.Text = "epoch";
        plt.Title(title);
        plt.ShowLegend();
        Save(plt, path, 800, 500);
    }

    public static void Save(Plot plt, string path, int width, int height)
    {
        if (path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase)) plt.SaveSvg(path, width, height);
        else plt.SavePng(path, width, height);
    }
}
