using System.CommandLine;
using Tessera.Bench;

namespace Tessera.Cli;

/// <summary><c>tessera bench plot REPORT.json [--plot FILE]</c>: draws the charts of a saved report again (roofline and
/// ratios, or a sweep's line chart), e.g. after a change of the charts or for a report recorded elsewhere.</summary>
internal static class BenchPlotCommand
{
    public static Command Create()
    {
        var report = new Argument<string>("REPORT") { Description = "a JSON report of tessera bench" };
        var plot = new Option<string?>("--plot") { Description = "chart FILE.png or FILE.svg (default: beside the report, REPORT-roofline.png or REPORT-sweep.png)" };
        var cmd = new Command("plot", "Draw the charts of a saved bench report.") { report, plot };
        cmd.SetAction(r => Cli.Guard(() => Run(r.GetValue(report)!, r.GetValue(plot))));
        return cmd;
    }

    private static int Run(string path, string? plotPath)
    {
        var report = BenchReportFile.Read(path, "bench plot", "REPORT");
        bool sweep = report.Rows.Any(r => r.SweepValue is not null);
        plotPath ??= Path.ChangeExtension(path, null) + (sweep ? "-sweep.png" : "-roofline.png");
        Console.WriteLine($"plots: {string.Join(", ", BenchCommand.Plot(report, plotPath, sweep))}");
        return 0;
    }
}
