using System.Globalization;

namespace Tessera.Cli.Training;

/// <summary>What a soak run trains and for how long: a two-layer perceptron on synthetic data through the public training
/// path (<see cref="Tessera.Graph.Training.TrainStep"/>: graph, autodiff, Adam), every tenth step a half batch (a second compiled plan).</summary>
/// <param name="Steps">Training steps measured, after the warm-up.</param>
/// <param name="Warmup">Steps before the baseline is taken (plans compiled, kernels and methods jitted, caches filled);
/// with <paramref name="SettleJit"/> the warm-up then goes on until the JIT has compiled no method for two seconds.</param>
/// <param name="Batch">Samples per full step.</param>
/// <param name="Features">Input features.</param>
/// <param name="Hidden">Hidden units.</param>
/// <param name="Classes">Output classes.</param>
/// <param name="Samples">How many measurements are taken along the way (the baseline and the end included).</param>
/// <param name="SettleJit">Whether the warm-up waits for the JIT to go quiet (false: exactly <paramref name="Warmup"/> steps;
/// the pool figures do not depend on it, the resident set does).</param>
public sealed record SoakOptions(int Steps = 10_000, int Warmup = 1000, int Batch = 32, int Features = 64, int Hidden = 128, int Classes = 10,
    int Samples = 11, bool SettleJit = true);

/// <summary>One measurement, taken after forcing a full garbage collection: the device pool's bytes leased, reserved and
/// cached and its allocation count, the process's resident set (from /proc/self/statm), the managed heap and the methods
/// the JIT has compiled so far (a growing count explains a growing resident set).</summary>
public sealed record SoakSample(int Step, long PoolInUseBytes, long PoolReservedBytes, long PoolCachedBytes, long PoolAllocations,
    long ResidentBytes, long ManagedBytes, long JitMethods, float Loss);

/// <summary>A soak run's measurements and how far the end is from the post-warm-up baseline; <paramref name="WarmupSteps"/>
/// is how many steps the warm-up took.</summary>
public sealed record SoakReport(string Device, SoakOptions Options, int WarmupSteps, IReadOnlyList<SoakSample> Samples, double Seconds)
{
    /// <summary>The measurement right after the warm-up.</summary>
    public SoakSample Baseline => Samples[0];

    /// <summary>The measurement after the last step.</summary>
    public SoakSample End => Samples[^1];

    /// <summary>The end's resident set relative to the baseline's (0.01: 1 % more).</summary>
    public double ResidentDrift => Drift(Baseline.ResidentBytes, End.ResidentBytes);

    /// <summary>The end's pool reservation relative to the baseline's.</summary>
    public double PoolReservedDrift => Drift(Baseline.PoolReservedBytes, End.PoolReservedBytes);

    /// <summary>The end's leased pool bytes relative to the baseline's.</summary>
    public double PoolInUseDrift => Drift(Baseline.PoolInUseBytes, End.PoolInUseBytes);

    /// <summary>The largest of the three drifts, in absolute value.</summary>
    public double WorstDrift => new[] { ResidentDrift, PoolReservedDrift, PoolInUseDrift }.Max(Math.Abs);

    private static double Drift(long baseline, long end) => baseline == 0 ? (end == 0 ? 0 : double.PositiveInfinity) : (end - baseline) / (double)baseline;

    /// <summary>One line per measurement and a verdict line.</summary>
    public string Describe(double tolerance)
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            $"soak on {Device}: {Options.Steps} steps after {WarmupSteps} warm-up steps, MLP {Options.Features}-{Options.Hidden}-{Options.Classes}, " +
            $"batch {Options.Batch}, Adam; {Seconds.ToString("F1", c)} s",
            "    step   pool in use   pool reserved   pool cached   allocations        RSS    managed   jitted     loss",
        };
        foreach (var s in Samples)
            lines.Add(string.Create(c, $"{s.Step,8} {Mib(s.PoolInUseBytes),13} {Mib(s.PoolReservedBytes),15} {Mib(s.PoolCachedBytes),13} {s.PoolAllocations,13} {Mib(s.ResidentBytes),10} {Mib(s.ManagedBytes),10} {s.JitMethods,8} {s.Loss,8:F4}"));
        lines.Add(string.Create(c, $"drift from the baseline: RSS {ResidentDrift:+0.000%;-0.000%}, pool reserved {PoolReservedDrift:+0.000%;-0.000%}, " +
            $"pool in use {PoolInUseDrift:+0.000%;-0.000%} ({(WorstDrift <= tolerance ? "within" : "BEYOND")} {tolerance:0.#%})"));
        return string.Join(Environment.NewLine, lines);
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F2", CultureInfo.InvariantCulture) + " MiB";
}
