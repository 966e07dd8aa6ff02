using System.Text.RegularExpressions;
using Tessera.Onnx.Protobuf;

namespace Tessera.Tests.ModelSuite;

/// <summary><c>tessera run --repeat N</c> warms up like the bench before timing and prints median, p10 and p90.</summary>
public partial class RunCommandTests
{
    [GeneratedRegex(@"latency over 7 runs on cpu \(1 threads\) after (\d+) warm-up runs \(([0-9.]+) s\): median ([0-9.]+) ms, p10 ([0-9.]+) ms, p90 ([0-9.]+) ms")]
    private static partial Regex Latency();

    [Fact]
    public void Repeat_warms_up_then_prints_median_and_percentiles()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("tessera-run").FullName, "mlp.onnx");
        File.WriteAllBytes(file, OnnxWriter.WriteModel(TinyModels.Mlp(batch: 2)));
        var (exit, stdout, stderr) = TesseraCli.Run("run", file, "--repeat", "7", "--threads", "1");
        Assert.True(exit == 0, stderr + stdout);
        var m = Latency().Match(stdout);
        Assert.True(m.Success, stdout);
        double P(int g) => double.Parse(m.Groups[g].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(P(1) >= 60 && P(2) >= 1.0, $"warm-up: {m.Value}");
        Assert.True(P(4) <= P(3) && P(3) <= P(5), m.Value);
    }
}
