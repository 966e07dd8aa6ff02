using System.Runtime.InteropServices;
using Tessera.Bench.Baselines;
using Tessera.Devices;

namespace Tessera.Bench;

/// <summary>What to run.</summary>
/// <param name="Threads">Threads of our kernels and of the multi-threaded baselines (OpenBLAS, ONNX Runtime).</param>
/// <param name="Cold">Rotate through copies of the inputs whose total exceeds twice the last-level cache.</param>
/// <param name="Time">False: set up and verify only (no timing, no baselines).</param>
public sealed record BenchSettings(
    BenchSize Size = BenchSize.Medium, int Threads = 1, bool Cold = false, IReadOnlyList<string>? Ops = null,
    bool Baselines = true, bool Time = true, BenchOptions? Timing = null, MachineCeilings? Ceilings = null);

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

    /// <summary>Versions of the runtime and of each baseline library ("missing: why" when absent).</summary>
    public static Dictionary<string, string> Versions() => new()
    {
        [".net"] = RuntimeInformation.FrameworkDescription,
        ["tessera"] = typeof(BenchRunner).Assembly.GetName().Version?.ToString() ?? "?",
        ["os"] = RuntimeInformation.OSDescription,
        ["openblas"] = OpenBlas.Version ?? $"missing: {OpenBlas.Unavailable}",
        ["onnxruntime"] = OnnxRuntimeBaseline.Version ?? "missing",
        ["system.numerics.tensors"] = TensorPrimitivesBaseline.Version,
    };

    public static BenchReport Run(IDevice device, BenchSettings s, Action<string>? log = null, IReadOnlyList<string>? unavailable = null)
    {
        var cases = BenchCatalog.Filter(BenchCatalog.Cases(s.Size), s.Ops ?? Array.Empty<string>());
        var rows = new List<BenchRow>();
        foreach (var c in cases)
        {
            log?.Invoke($"{c.Op} {c.Pass} {c.Shape}");
            rows.Add(RunCase(device, c, s));
            GC.Collect();
        }
        return new BenchReport(Header(device, s.Threads, s.Size.ToString().ToLowerInvariant(), s.Cold, s.Ceilings, unavailable), rows);
    }

    /// <summary>The machine header of a report: device, backend, versions, threads, what was run (<paramref name="size"/>),
    /// the ceilings the roofline uses at this thread count, the date and the backends that were not available.</summary>
    public static BenchHeader Header(IDevice device, int threads, string size, bool cold, MachineCeilings? ce, IReadOnlyList<string>? unavailable = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        var ceilings = ce is null ? null : new CeilingsInfo(ce.PeakGflops, ce.PeakGflopsOneThread, ce.CopyGBps, ce.CopyNonTemporalGBps,
            threads == 1 ? ce.PeakGflopsOneThread : ce.PeakGflops, ce.BandwidthGBps);
        return new BenchHeader(device.Name, device.Kind.ToString().ToLowerInvariant(), Versions(), threads,
            size, cold, ceilings, DateTime.UtcNow, unavailable ?? Array.Empty<string>());
    }

    /// <summary>Sets up, verifies and (when asked) times one case and its baselines.</summary>
    public static BenchRow RunCase(IDevice device, BenchCase c, BenchSettings s)
    {
        var instances = new List<BenchInstance>();
        try
        {
            Verification verification;
            try
            {
                instances.Add(c.Setup(new BenchContext(device, 1)));
                verification = instances[0].Verify();
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
            // The catalog's baselines run on the host: they compare with the CPU backend only (GPU baselines are the
            // native cuBLASLt/cuDNN program and PyTorch, run beside the bench on the GPU machine).
            if (s.Baselines && device.Kind == Devices.DeviceKind.Cpu)
                foreach (var b in c.Baselines) baselines.Add(TimeBaseline(b, instances, s.Threads, opts, verification.Ok ? ours.MedianMs : null));
            return Row(c, ours, verification, baselines, s);
        }
        finally
        {
            foreach (var i in instances) i.Dispose();
        }
    }

    /// <summary>Budgets per size: short for small (CI), triton-like for medium and large.</summary>
    public static BenchOptions DefaultTiming(BenchSize size) => size == BenchSize.Small
        ? new BenchOptions(WarmupMs: 40, RepeatMs: 80, MinSamples: 5)
        : new BenchOptions(WarmupMs: 200, RepeatMs: 500, MinSamples: 7);

    private static BaselineResult TimeBaseline(BaselineSpec spec, List<BenchInstance> instances, int threads, BenchOptions opts, double? oursMs)
    {
        var runs = new List<BaselineRun>();
        try
        {
            foreach (var inst in instances) runs.Add(spec.Create(inst, threads));
            if (instances[0].Primary is { } ours && runs[0].Output is { } theirs)
            {
                // The baseline must compute the same thing as our (verified) kernel: compare its output once.
                runs[0].Run();
                var agree = Verify.Close("baseline output", Array.ConvertAll(ours.ToArray<float>(), x => (double)x), theirs, 1e-3);
                if (!agree.Ok) return new BaselineResult(spec.Name, null, null, $"disagrees with Tessera's verified output ({agree.Note})");
            }
            int cur = 0;
            Action? rotate = runs.Count > 1 ? () => cur = (cur + 1) % runs.Count : null;
            var m = BenchTimer.Measure(() => runs[cur].Run(), opts, rotate);
            return new BaselineResult(spec.Name, m.MedianMs, oursMs is double o ? m.MedianMs / o : null, null);
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
        return new BenchRow(c.Op, c.Shape, c.DType, c.Pass, m is null ? null : new TimeMs(m.MedianMs, m.MinMs, m.MaxMs), m?.NoisePct,
            c.Work.Flops, c.Work.Bytes, gflops, gbps, roof, best, baselines, v.Ok, v.Note);
    }
}
