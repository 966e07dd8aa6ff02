using System.CommandLine;
using System.Text.Json;
using Tessera.Bench;
using Tessera.Cli.Training;

namespace Tessera.Cli;

/// <summary>`tessera soak [--steps N] [--warmup N] [--batch N] [--device D] [--threads T] [--tolerance F] [--report FILE]`:
/// trains a small perceptron through the public training path for many steps (<see cref="SoakRun"/>) and measures the
/// device pool and the process's resident memory after the warm-up and at the end. Exit 0 when the end is within the
/// tolerance of the baseline, 1 when memory grew beyond it (a leak: a bug in Tessera).</summary>
internal static class SoakCommand
{
    public static Command Create()
    {
        var defaults = new SoakOptions();
        var steps = new Option<int>("--steps") { Description = "training steps measured after the warm-up", DefaultValueFactory = _ => defaults.Steps };
        var warmup = new Option<int>("--warmup") { Description = "steps before the baseline is measured", DefaultValueFactory = _ => defaults.Warmup };
        var batch = new Option<int>("--batch") { Description = "samples per step (every tenth step takes half as many)", DefaultValueFactory = _ => defaults.Batch };
        var tolerance = new Option<double>("--tolerance") { Description = "largest growth from the baseline that passes (0.01: 1 %)", DefaultValueFactory = _ => 0.01 };
        var threads = Cli.ThreadsOption();
        var device = Cli.DeviceOption();
        var report = new Option<string?>("--report") { Description = "JSON file for the measurements" };
        var cmd = new Command("soak", "Train for many steps and check that pool memory and resident memory stay where the warm-up left them.")
        {
            steps, warmup, batch, tolerance, threads, device, report,
        };
        cmd.SetAction(r => Cli.Guard(() => Run(new SoakOptions(r.GetValue(steps), r.GetValue(warmup), r.GetValue(batch)), r.GetValue(tolerance),
            r.GetValue(device)!, r.GetValue(threads), r.GetValue(report))));
        return cmd;
    }

    private static int Run(SoakOptions o, double tolerance, string deviceId, int threads, string? reportFile)
    {
        if (tolerance is < 0 or > 1 || double.IsNaN(tolerance))
            throw new TesseraArgumentException("soak", "--tolerance", $"must be between 0 and 1, got {tolerance}");
        var device = Cli.OpenDevice(deviceId, threads);
        Console.WriteLine($"tessera {BuildInfo.Version}; {BuildInfo.Machine}");
        var r = SoakRun.Run(device, o, s => Console.Error.WriteLine(
            $"note: step {s.Step}: pool in use {s.PoolInUseBytes} B, reserved {s.PoolReservedBytes} B, RSS {s.ResidentBytes >> 10} KiB, loss {s.Loss:F4}"));
        Console.WriteLine(r.Describe(tolerance));
        if (reportFile is not null)
            File.WriteAllText(reportFile, JsonSerializer.Serialize(new SoakReportFile(BuildInfo.Version, BuildInfo.Machine, Environment.CommandLine, threads,
                r.Device, o, r.WarmupSteps, r.Seconds, r.ResidentDrift, r.PoolReservedDrift, r.PoolInUseDrift, r.Samples), TrainingMetricsJson.Default.SoakReportFile));
        if (r.WorstDrift <= tolerance) return 0;
        Console.Error.WriteLine($"error: soak: memory grew by {r.WorstDrift:P3} from the post-warm-up baseline, beyond {tolerance:P1} (a leak in Tessera: please report it)");
        return Cli.InternalError;
    }
}
