using System.Runtime.InteropServices;
using Tessera.Bench.Baselines;
using Tessera.Bench.Statistics;
using Tessera.Devices;

namespace Tessera.Bench;

/// <summary>What to run.</summary>
/// <param name="Threads">Threads of our kernels and of the multi-threaded baselines (OpenBLAS, ONNX Runtime).</param>
/// <param name="Cold">Rotate through copies of the inputs whose total exceeds twice the last-level cache.</param>
/// <param name="Time">False: set up and verify only (no timing, no baselines).</param>
/// <param name="NoiseLimitPct">A median whose 95 % interval is wider than ± this percentage is noisy: the row is flagged
/// and its ratios claim no winner.</param>
/// <param name="Cases">The cases to run instead of the catalog's at <paramref name="Size"/> (a shape sweep).</param>
/// <param name="Passes">Passes over all rows (pass 1 every row, pass 2 every row, …), pooled by <see cref="BenchPasses"/>:
/// each row's samples come from every pass, and the spread of its pass medians is measured.</param>
public sealed record BenchSettings(
    BenchSize Size = BenchSize.Medium, int Threads = 1, bool Cold = false, IReadOnlyList<string>? Ops = null,
    bool Baselines = true, bool Time = true, BenchOptions? Timing = null, MachineCeilings? Ceilings = null,
    double NoiseLimitPct = 5, IReadOnlyList<BenchCase>? Cases = null, int Passes = 1);

/// <summary>Runs catalog cases on a device: verify first, then time ours and each baseline in the same run.</summary>
public static class BenchRunner
{
    /// <summary>Bytes of the last-level cache (from sysfs; 32 MiB when unknown).</summary>
    public static long LastLevelCacheBytes()
    {
        for (int idx = 4; idx >= 0; idx--)
        {
            try
            {
                var text = File.ReadAllText($"/sys/devices/system/cpu/cpu0/cache/index{idx}/size").Trim();
                long mult = text.EndsWith('K') ? 1024 : text.EndsWith('M') ? 1 << 20 : 1;
                if (long.TryParse(text.TrimEnd('K', 'M'), out long v) && v > 0) return v * mult;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return 32L << 20;
    }

    /// <summary>Versions of the runtime, of Tessera (with its commit), of the statistics library and of each baseline
    /// library ("missing: why" when absent); <paramref name="device"/> adds its driver and device libraries.</summary>
    public static Dictionary<string, string> Versions(IDevice? device = null)
    {
        var v = new Dictionary<string, string>
        {
            [".net"] = RuntimeInformation.FrameworkDescription,
            ["tessera"] = BuildInfo.Version,
            ["os"] = RuntimeInformation.OSDescription,
            ["openblas"] = OpenBlas.Version ?? $"missing: {OpenBlas.Unavailable}",
            ["onnxruntime"] = OnnxRuntimeBaseline.Version ?? "missing",
            ["system.numerics.tensors"] = TensorPrimitivesBaseline.Version,
            ["perfolizer"] = BuildInfo.AssemblyVersion(typeof(Perfolizer.Mathematics.QuantileEstimators.SimpleQuantileEstimator)),
        };
        if (device is not null)
            foreach (var (name, version) in DeviceBaselines.Versions(device)) v[name] = version;
        return v;
    }

    /// <summary>Runs the catalog's cases selected by <paramref name="s"/> on <paramref name="device"/>: each verified, then timed with its baselines; progress goes to <paramref name="log"/>, <paramref name="unavailable"/> names baselines that could not be loaded.</summary>
    public static BenchReport Run(IDevice device, BenchSettings s, Action<string>? log = null, IReadOnlyList<string>? unavailable = null)
    {
        if (s.Passes < 1) throw new TesseraArgumentException("bench", "--passes", $"must be at least 1, got {s.Passes}");
        var cases = BenchCatalog.Filter(s.Cases ?? BenchCatalog.Cases(s.Size), s.Ops ?? Array.Empty<string>());
        double? loadStart = BuildInfo.LoadAverage();
        var passes = new List<List<BenchRow>>();
        for (int pass = 0; pass < (s.Time ? s.Passes : 1); pass++)
        {
            var rows = new List<BenchRow>();
            for (int i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                log?.Invoke((s.Passes > 1 ? $"pass {pass + 1}/{s.Passes}: " : "") + $"{c.Op} {c.Pass} {c.Shape}");
                // Later passes reuse the first pass's verification (the kernel and its inputs are the same).
                rows.Add(RunCase(device, c, s, pass == 0 ? null : new Verification(passes[0][i].Verified, 0, passes[0][i].VerifyNote)));
                GC.Collect();
            }
            passes.Add(rows);
        }
        var timing = s.Timing ?? DefaultTiming(s.Size);
        var header = Header(device, s.Threads, s.Cases is null ? s.Size.ToString().ToLowerInvariant() : "sweep", s.Cold, s.Ceilings, unavailable) with
        {
            TargetCiPct = timing.TargetCiPct, NoiseLimitPct = s.NoiseLimitPct, BudgetMs = timing.RepeatMs,
            LoadStart = loadStart, LoadEnd = BuildInfo.LoadAverage(),
        };
        return BenchPasses.Merge(passes.Select(rows => new BenchReport(header, rows)).ToList(), s.NoiseLimitPct);
    }

    /// <summary>The machine header of a report: device, backend, versions, threads, what was run (<paramref name="size"/>),
    /// the ceilings the roofline uses at this thread count, the date, the build's commit, the machine and the backends that
    /// were not available.</summary>
    public static BenchHeader Header(IDevice device, int threads, string size, bool cold, MachineCeilings? ce, IReadOnlyList<string>? unavailable = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        var ceilings = ce is null ? null : new CeilingsInfo(ce.PeakGflops, ce.PeakGflopsOneThread, ce.CopyGBps, ce.CopyNonTemporalGBps,
            threads == 1 ? ce.PeakGflopsOneThread : ce.PeakGflops, ce.BandwidthGBps);
        return new BenchHeader(device.Name, device.Kind.ToString().ToLowerInvariant(), Versions(device), threads,
            size, cold, ceilings, DateTime.UtcNow, unavailable ?? Array.Empty<string>())
        {
            Commit = BuildInfo.Commit, Machine = BuildInfo.Machine, Cores = Environment.ProcessorCount,
        };
    }

    /// <summary>Sets up, verifies (unless <paramref name="verified"/> is given: a later pass) and (when asked) times one
    /// case and its baselines.</summary>
    public static BenchRow RunCase(IDevice device, BenchCase c, BenchSettings s, Verification? verified = null)
    {
        var instances = new List<BenchInstance>();
        try
        {
            Verification verification;
            try
            {
                instances.Add(c.Setup(new BenchContext(device, 1)));
                verification = verified ?? instances[0].Verify();
            }
            catch (TesseraException e)
            {
                verification = new Verification(false, double.PositiveInfinity, $"failed: {e.Message}");
            }
            if (!s.Time || instances.Count == 0)
                return Row(c, null, verification, Array.Empty<BaselineResult>(), s);

            if (s.Cold)
            {
                long llc = LastLevelCacheBytes();
                int copies = (int)Math.Clamp(Math.Ceiling(2.0 * llc / Math.Max(c.Work.Bytes, 1)), 1, 64);
                copies = (int)Math.Min(copies, Math.Max(1, (2L << 30) / (long)Math.Max(c.Work.Bytes, 1)));
                for (int i = 1; i < copies; i++) instances.Add(c.Setup(new BenchContext(device, 1 + i)));
            }
            var opts = s.Timing ?? DefaultTiming(s.Size);
            int cur = 0;
            Action? rotate = instances.Count > 1 ? () => cur = (cur + 1) % instances.Count : null;
            var ours = BenchTimer.Measure(device, () => instances[cur].Run(), opts, rotate);

            var baselines = new List<BaselineResult>();
            // A baseline runs where it computes: host libraries beside the CPU backend, device libraries (CLBlast on
            // OpenCL) on the same device and queue as our kernels.
            if (s.Baselines)
                foreach (var b in c.Baselines.Where(b => b.Device == device.Kind))
                    baselines.Add(TimeBaseline(device, b, instances, s, opts, verification.Ok ? ours : null));
            return Row(c, ours, verification, baselines, s);
        }
        finally
        {
            foreach (var i in instances) i.Dispose();
        }
    }

    /// <summary>Budgets per size: short for small (CI), longer for medium and large; every series stops earlier once its
    /// median is within ±2 % (95 % confidence).</summary>
    public static BenchOptions DefaultTiming(BenchSize size) => size == BenchSize.Small
        ? new BenchOptions(WarmupMs: 40, RepeatMs: 200, MinSamples: 10)
        : new BenchOptions(WarmupMs: 200, RepeatMs: 1000, MinSamples: 10);

    private static BaselineResult TimeBaseline(IDevice device, BaselineSpec spec, List<BenchInstance> instances, BenchSettings s,
        BenchOptions opts, Measurement? ours)
    {
        var runs = new List<BaselineRun>();
        try
        {
            foreach (var inst in instances) runs.Add(spec.Create(inst, s.Threads));
            if (instances[0].Primary is { } primary)
            {
                // The baseline must compute the same thing as our (verified) kernel: compare its output once.
                runs[0].Run();
                var theirs = runs[0].Output;
                var agree = theirs is null ? null : Verify.Close("baseline output", Array.ConvertAll(primary.ToArray<float>(), x => (double)x), theirs, 1e-3);
                if (agree is { Ok: false }) return new BaselineResult(spec.Name, null, null, $"disagrees with Tessera's verified output ({agree.Note})");
            }
            int cur = 0;
            Action? rotate = runs.Count > 1 ? () => cur = (cur + 1) % runs.Count : null;
            var m = runs[0].Measure is { } selfTimed ? selfTimed(opts) : BenchTimer.Measure(device, () => runs[cur].Run(), opts, rotate);
            var judged = ours is null ? null : RatioVerdict.Judge(ours, m, s.NoiseLimitPct);
            return new BaselineResult(spec.Name, m.MedianMs, judged?.Ratio, null)
            {
                Stats = TimeStats.From(m), RatioLow = judged?.Low, RatioHigh = judged?.High, Verdict = judged?.Verdict,
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            string why = e is BaselineUnavailableException ? e.Message : $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";
            return new BaselineResult(spec.Name, null, null, why);
        }
        finally
        {
            foreach (var r in runs) r.Dispose();
        }
    }

    private static BenchRow Row(BenchCase c, Measurement? m, Verification v, IReadOnlyList<BaselineResult> baselines, BenchSettings s)
    {
        double? gflops = null, gbps = null, roof = null;
        if (m is not null && m.MedianMs > 0)
        {
            gflops = c.Work.Flops / (m.MedianMs * 1e6);
            gbps = c.Work.Bytes / (m.MedianMs * 1e6);
            if (s.Ceilings is { } ce) roof = 100 * ce.FloorMs(c.Work.Flops, c.Work.Bytes, singleThread: s.Threads == 1) / m.MedianMs;
        }
        var best = baselines.Where(b => b.TimeMs is not null).MinBy(b => b.TimeMs) ?? (baselines.Count > 0 ? baselines[0] : null);
        return new BenchRow(c.Op, c.Shape, c.DType, c.Pass, m is null ? null : TimeStats.From(m), m?.NoisePct,
            c.Work.Flops, c.Work.Bytes, gflops, gbps, roof, best, baselines, v.Ok, v.Note)
        { Noisy = m is not null && m.CiPct > s.NoiseLimitPct, SweepAxis = c.SweepAxis, SweepValue = c.SweepValue };
    }
}
