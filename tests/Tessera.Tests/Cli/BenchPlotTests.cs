using Tessera.Bench;
using Tessera.Cli;

namespace Tessera.Tests.Cli;

/// <summary>The bench charts are written as PNG and as SVG with the same content: solid lines only (the SVG canvas
/// cannot draw dash patterns), every row and baseline present.</summary>
public class BenchPlotTests
{
    private static BenchReport Report(bool sweep)
    {
        TimeStats T(double ms) => TimeStats.From(BenchTimer.Summarise(Enumerable.Range(0, 12).Select(i => ms * (1 + 0.01 * (i % 3))).ToArray()));
        var header = new BenchHeader("cpu0", "cpu", new Dictionary<string, string>(), 1, sweep ? "sweep" : "small", false,
            new CeilingsInfo(100, 100, 20, 30, 100, 30), DateTime.UnixEpoch, []) { NoiseLimitPct = 5 };
        var rows = new List<BenchRow>();
        foreach (var (op, pass, size, flops, bytes) in new[] { ("gemm", "fwd", 64.0, 5e8, 1e6), ("gemm", "fwd", 128.0, 4e9, 4e6), ("relu", "fwd", 64.0, 1e6, 8e6),
                                                               ("attention", "bwd", 64.0, 2e9, 1e7) })
        {
            var baseline = new BaselineResult("OpenBLAS cblas_sgemm", 1.2, 1.2, null) { Stats = T(1.2), RatioLow = 1.1, RatioHigh = 1.3, Verdict = "faster" };
            rows.Add(new BenchRow(op, $"{size}", "f32", pass, T(1), 1, flops, bytes, flops / 1e6, bytes / 1e6, 50, baseline, [baseline], true, "")
                { SweepAxis = sweep ? "M=N=K" : null, SweepValue = sweep ? size : null });
        }
        return new BenchReport(header, rows);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ChartsAreWrittenAsPngAndSvgWithoutDashPatterns(bool sweep)
    {
        var dir = Directory.CreateTempSubdirectory("tessera-plots").FullName;
        var report = Report(sweep);
        var png = BenchCommand.Plot(report, Path.Combine(dir, "r.png"), sweep);
        var svg = BenchCommand.Plot(report, Path.Combine(dir, "r.svg"), sweep);
        Assert.Equal(png.Count, svg.Count);
        Assert.True(png.Count >= (sweep ? 1 : 2));
        foreach (var f in png) Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(f)[..4]);
        foreach (var f in svg)
        {
            string text = File.ReadAllText(f);
            Assert.StartsWith("<?xml", text, StringComparison.Ordinal);
            Assert.DoesNotContain("stroke-dasharray", text, StringComparison.Ordinal);
        }
        if (!sweep)
        {
            // Every point is labelled on the roofline, every bar on the ratio chart, with spelled-out names.
            string roof = File.ReadAllText(svg[0]), ratios = File.ReadAllText(svg[1]);
            foreach (var label in new[] { "gemm fwd", "relu fwd", "attention bwd", "forward pass", "backward pass" }) Assert.Contains(label, roof);
            Assert.Contains("vs OpenBLAS cblas_sgemm", ratios);
            Assert.Contains("no winner", ratios);
        }
    }
}
