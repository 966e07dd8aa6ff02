using System.Diagnostics;

namespace Tessera.Bench;

/// <summary>How long to warm up and measure. Budgets are in milliseconds, as in triton's do_bench; warm-up also runs at
/// least <see cref="MinWarmupCalls"/> calls so that .NET's tiered JIT has promoted the code before timing, unless it has
/// already lasted <see cref="MaxWarmupMs"/> (no limit by default) or made <see cref="MaxWarmupCalls"/> calls (0: a
/// thousand times the minimum).</summary>
public sealed record BenchOptions(
    double WarmupMs = 200, double RepeatMs = 500, int MinWarmupCalls = 60, int MinSamples = 7, int MaxSamples = 2000,
    double MinSampleMs = 0.05, double MaxWarmupMs = double.PositiveInfinity, int MaxWarmupCalls = 0)
{
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
public sealed record Measurement(double MedianMs, double MinMs, double MaxMs, double NoisePct, int Samples, int CallsPerSample);

/// <summary>Warm-up and repetition with wall-clock timing (the CPU's timer; GPU backends time with device events).</summary>
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
    /// <paramref name="afterWarmCall"/> after each), then samples of <see cref="Plan"/>'s size, each timed by
    /// <paramref name="timeCalls"/> (milliseconds for the given number of calls).</summary>
    private static Measurement Run(Action run, BenchOptions o, Action? beforeEach, int minWarmCalls, Action? afterWarmCall,
        Func<int, double> timeCalls)
    {
        var warm = WarmUp(run, o, minWarmCalls, beforeEach, afterWarmCall);
        var (callsPerSample, samples) = Plan(o, warm.MsPerCall, beforeEach != null);
        var times = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            beforeEach?.Invoke();
            times[s] = timeCalls(callsPerSample) / callsPerSample;
        }
        return Summarise(times, callsPerSample);
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

    /// <summary>From the warm-up's cost of one call: how many calls make one sample (enough to last MinSampleMs, one when
    /// each sample needs its own set-up) and how many samples fill RepeatMs.</summary>
    private static (int CallsPerSample, int Samples) Plan(BenchOptions o, double warmMsPerCall, bool setupPerSample)
    {
        double perCall = Math.Max(warmMsPerCall, 1e-6);
        int callsPerSample = setupPerSample ? 1 : Math.Max(1, (int)Math.Ceiling(o.MinSampleMs / perCall));
        int samples = (int)Math.Clamp(o.RepeatMs / (perCall * callsPerSample), o.MinSamples, o.MaxSamples);
        return (callsPerSample, samples);
    }

    /// <summary>Median, extremes and relative standard deviation of per-call times.</summary>
    public static Measurement Summarise(double[] perCallMs, int callsPerSample = 1)
    {
        if (perCallMs.Length == 0) throw new TesseraArgumentException("BenchTimer.Summarise", nameof(perCallMs), "no samples");
        var sorted = (double[])perCallMs.Clone();
        Array.Sort(sorted);
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
        double mean = sorted.Average();
        double var = n > 1 ? sorted.Sum(x => (x - mean) * (x - mean)) / (n - 1) : 0;
        double noise = mean > 0 ? 100 * Math.Sqrt(var) / mean : 0;
        return new Measurement(median, sorted[0], sorted[^1], noise, n, callsPerSample);
    }
}
