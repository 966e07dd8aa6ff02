using System.Diagnostics;
using Tessera.Bench.Statistics;

namespace Tessera.Bench;

/// <summary>How long to warm up and when to stop sampling. Warm-up runs at least <see cref="MinWarmupCalls"/> calls and
/// <see cref="WarmupMs"/> (so that .NET's tiered JIT has promoted the code before timing), unless it has already lasted
/// <see cref="MaxWarmupMs"/> (no limit by default) or made <see cref="MaxWarmupCalls"/> calls (0: a thousand times the
/// minimum). Sampling then stops as nvbench does, on noise: once there are <see cref="MinSamples"/> samples and the 95 %
/// confidence interval of the median is within ±<see cref="TargetCiPct"/> % of it, or when <see cref="RepeatMs"/> of
/// sampling (the time budget) or <see cref="MaxSamples"/> is reached, whichever comes first.</summary>
/// <param name="MinSampleMs">Calls per sample are chosen so that one sample lasts at least this long.</param>
public sealed record BenchOptions(
    double WarmupMs = 200, double RepeatMs = 1000, int MinWarmupCalls = 60, int MinSamples = 10, int MaxSamples = 2000,
    double MinSampleMs = 0.05, double TargetCiPct = 2, double MaxWarmupMs = double.PositiveInfinity, int MaxWarmupCalls = 0)
{
    /// <summary>Short warm-up and sampling (50 ms, 100 ms, at least 5 samples): for tests and smoke runs, not for measurements.</summary>
    public static BenchOptions Quick { get; } = new(WarmupMs: 50, RepeatMs: 100, MinSamples: 5);

    /// <summary>Warm-up of whole models (<c>tessera run --repeat</c>, <c>tessera compare</c>): at least 60 calls and 1 s,
    /// so that the tiered JIT has settled (it promotes methods only after 100 ms without new tier-0 code, and OSR-compiles
    /// hot loops), but no more than 5 s for a slow model, whose every call already runs each kernel many times.</summary>
    public static BenchOptions Model { get; } = new(WarmupMs: 1000, MinWarmupCalls: 60, MaxWarmupMs: 5000, MaxWarmupCalls: int.MaxValue);
}

/// <summary>What a warm-up did: the calls made and how long they took in all.</summary>
public readonly record struct Warmup(int Calls, double Ms)
{
    /// <summary>Mean milliseconds per warm-up call.</summary>
    public double MsPerCall => Ms / Math.Max(Calls, 1);
}

/// <summary>Timing statistics of one benchmarked function (per call).</summary>
/// <param name="MedianMs">Median time per call.</param>
/// <param name="NoisePct">Relative standard deviation of the samples, in percent.</param>
/// <param name="Samples">Number of timed samples (each of <paramref name="CallsPerSample"/> calls).</param>
/// <param name="P10Ms">10th percentile.</param>
/// <param name="P90Ms">90th percentile.</param>
/// <param name="CiLowMs">Lower end of the 95 % confidence interval of the median.</param>
/// <param name="CiHighMs">Upper end of that interval.</param>
/// <param name="SamplesMs">Every sample (time per call), in the order taken.</param>
public sealed record Measurement(double MedianMs, double MinMs, double MaxMs, double NoisePct, int Samples, int CallsPerSample,
    double P10Ms, double P90Ms, double CiLowMs, double CiHighMs, IReadOnlyList<double> SamplesMs)
{
    /// <summary>Half the width of the median's confidence interval, in percent of the median.</summary>
    public double CiPct => SampleStatistics.RelativeHalfWidthPct(MedianMs, CiLowMs, CiHighMs);
}

/// <summary>Warm-up and noise-based sampling with wall-clock timing (the CPU's timer; GPU backends time with device
/// events).</summary>
public static class BenchTimer
{
    /// <summary>Times <paramref name="run"/>. <paramref name="beforeEach"/> (untimed) runs before every sample, e.g. to
    /// rotate input buffers for cold-cache runs.</summary>
    public static Measurement Measure(Action run, BenchOptions? options = null, Action? beforeEach = null)
    {
        var o = options ?? new BenchOptions();
        return Run(run, o, beforeEach, o.MinWarmupCalls, afterWarmCall: null, (calls) =>
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int c = 0; c < calls; c++) run();
            return (Stopwatch.GetTimestamp() - t0) * 1000.0 / Stopwatch.Frequency;
        });
    }

    /// <summary>Times <paramref name="run"/> on <paramref name="device"/>. On the CPU (whose kernels return when done)
    /// this is <see cref="Measure(Action, BenchOptions?, Action?)"/>; elsewhere launches are asynchronous, so each sample
    /// is bracketed by timing events on the default stream and read after synchronising, and warm-up synchronises
    /// too (the queue never runs ahead of the measurement).</summary>
    public static Measurement Measure(Devices.IDevice device, Action run, BenchOptions? options = null, Action? beforeEach = null)
    {
        if (device.Kind == Devices.DeviceKind.Cpu) return Measure(run, options, beforeEach);
        var o = options ?? new BenchOptions();
        var stream = device.DefaultStream;
        using var start = device.CreateEvent(timing: true);
        using var end = device.CreateEvent(timing: true);
        return Run(run, o, beforeEach, Math.Min(o.MinWarmupCalls, 10), stream.Synchronize, (calls) =>
        {
            start.Record(stream);
            for (int c = 0; c < calls; c++) run();
            end.Record(stream);
            end.Synchronize();
            return end.ElapsedMillisecondsSince(start);
        });
    }

    /// <summary>The measurement both timers share: warm-up (at least <paramref name="minWarmCalls"/> calls and WarmupMs,
    /// <paramref name="afterWarmCall"/> after each), then samples of a size fixed from the warm-up's cost per call, each
    /// timed by <paramref name="timeCalls"/> (milliseconds for the given number of calls), until the median is precise
    /// enough or the budget is spent.</summary>
    private static Measurement Run(Action run, BenchOptions o, Action? beforeEach, int minWarmCalls, Action? afterWarmCall,
        Func<int, double> timeCalls)
    {
        var warm = WarmUp(run, o, minWarmCalls, beforeEach, afterWarmCall);
        double perCall = Math.Max(warm.MsPerCall, 1e-6);
        // One call per sample when each sample needs its own set-up; otherwise enough calls to last MinSampleMs.
        int callsPerSample = beforeEach != null ? 1 : Math.Max(1, (int)Math.Ceiling(o.MinSampleMs / perCall));
        int minSamples = Math.Max(1, o.MinSamples), maxSamples = Math.Max(minSamples, o.MaxSamples);
        var times = new List<double>(Math.Min(maxSamples, 256));
        var sw = Stopwatch.StartNew();
        int nextCheck = minSamples;
        while (times.Count < maxSamples)
        {
            beforeEach?.Invoke();
            times.Add(timeCalls(callsPerSample) / callsPerSample);
            if (times.Count < minSamples) continue;
            if (sw.Elapsed.TotalMilliseconds >= o.RepeatMs) break;
            if (times.Count >= nextCheck)
            {
                // The interval is recomputed as the sample grows by an eighth: sorting stays a small share of the time.
                if (Precision(times) <= o.TargetCiPct) break;
                nextCheck = times.Count + Math.Max(2, times.Count / 8);
            }
        }
        return Summarise(times.ToArray(), callsPerSample);
    }

    /// <summary>Calls <paramref name="run"/> until it has run at least <paramref name="minCalls"/> times (default
    /// <see cref="BenchOptions.MinWarmupCalls"/>) and for at least <see cref="BenchOptions.WarmupMs"/>, or for
    /// <see cref="BenchOptions.MaxWarmupMs"/>, or <see cref="BenchOptions.MaxWarmupCalls"/>, whichever comes first;
    /// <paramref name="beforeEach"/> and <paramref name="afterEach"/> run around every call.</summary>
    public static Warmup WarmUp(Action run, BenchOptions o, int? minCalls = null, Action? beforeEach = null, Action? afterEach = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(o);
        int min = minCalls ?? o.MinWarmupCalls;
        long max = o.MaxWarmupCalls > 0 ? o.MaxWarmupCalls : o.MinWarmupCalls * 1000L;
        var sw = Stopwatch.StartNew();
        int warm = 0;
        while (warm < min || sw.Elapsed.TotalMilliseconds < o.WarmupMs)
        {
            if (warm > 0 && sw.Elapsed.TotalMilliseconds >= o.MaxWarmupMs) break;
            beforeEach?.Invoke();
            run();
            afterEach?.Invoke();
            warm++;
            if (warm >= max) break;
        }
        return new Warmup(warm, sw.Elapsed.TotalMilliseconds);
    }

    private static double Precision(List<double> times)
    {
        var sorted = times.ToArray();
        Array.Sort(sorted);
        var (lo, hi) = SampleStatistics.MedianInterval(sorted);
        return SampleStatistics.RelativeHalfWidthPct(SampleStatistics.Quantile(sorted, 0.5), lo, hi);
    }

    /// <summary>Median, p10/p90, extremes, the median's 95 % confidence interval and the relative standard deviation of
    /// per-call times.</summary>
    public static Measurement Summarise(double[] perCallMs, int callsPerSample = 1)
    {
        if (perCallMs.Length == 0) throw new TesseraArgumentException("BenchTimer.Summarise", nameof(perCallMs), "no samples");
        var sorted = (double[])perCallMs.Clone();
        Array.Sort(sorted);
        int n = sorted.Length;
        double mean = sorted.Average();
        double var = n > 1 ? sorted.Sum(x => (x - mean) * (x - mean)) / (n - 1) : 0;
        double noise = mean > 0 ? 100 * Math.Sqrt(var) / mean : 0;
        var (lo, hi) = SampleStatistics.MedianInterval(sorted);
        return new Measurement(SampleStatistics.Quantile(sorted, 0.5), sorted[0], sorted[^1], noise, n, callsPerSample,
            SampleStatistics.Quantile(sorted, 0.1), SampleStatistics.Quantile(sorted, 0.9), lo, hi, (double[])perCallMs.Clone());
    }
}
