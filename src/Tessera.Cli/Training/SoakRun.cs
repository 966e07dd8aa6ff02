using System.Diagnostics;
using System.Globalization;
using Tessera.Devices;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;

namespace Tessera.Cli.Training;

/// <summary>Trains for many steps and measures whether anything grows: the device pool (leased, reserved, cached bytes)
/// and the process's resident memory, after a warm-up and at the end (issue 13: back within 1 % of the baseline).</summary>
public static class SoakRun
{
    private const int Batches = 8;
    private static readonly TimeSpan JitQuiet = TimeSpan.FromSeconds(2), MaximumWarmup = TimeSpan.FromSeconds(120);

    /// <summary>Measurements made during the warm-up: above the tiered JIT's promotion threshold (30 calls).</summary>
    private const int MeasurementWarmup = 40;

    /// <summary>Runs the soak on <paramref name="device"/>, calling <paramref name="progress"/> with each measurement.</summary>
    public static SoakReport Run(IDevice device, SoakOptions o, Action<SoakSample>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(o);
        const string op = "soak";
        if (o.Steps < 1) throw new TesseraArgumentException(op, "--steps", $"must be at least 1, got {o.Steps}");
        if (o.Warmup < 20) throw new TesseraArgumentException(op, "--warmup", $"must be at least 20 (every plan compiled and run), got {o.Warmup}");
        if (o.Batch < 2) throw new TesseraArgumentException(op, "--batch", $"must be at least 2, got {o.Batch}");
        if (o.Samples < 2) throw new TesseraArgumentException(op, "samples", $"must be at least 2, got {o.Samples}");
        var rng = new Random(7);
        // The data is made once: the loop itself allocates only what Tessera allocates.
        var x = Enumerable.Range(0, Batches).Select(_ => Enumerable.Range(0, o.Batch * o.Features).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var y = Enumerable.Range(0, Batches).Select(_ => Enumerable.Range(0, o.Batch).Select(_ => (long)rng.Next(o.Classes)).ToArray()).ToArray();
        var init = new Initializer(seed: 1);
        using var model = new Sequential(new Linear(device, init, o.Features, o.Hidden), Lambda.Relu(), new Linear(device, init, o.Hidden, o.Classes));
        using var optimizer = new Adam(model.Parameters(), lr: 1e-3);
        using var step = new TrainStep(model, optimizer, (g, v) => g.CrossEntropy(model.Forward(g, v["x"]), v["y"]),
            new TrainInput("x", DType.Float32, o.Features), new TrainInput("y", DType.Int64));
        float loss = 0;
        void Train(int i)
        {
            int b = i % Batches, n = i % 10 == 9 ? o.Batch / 2 : o.Batch;
            loss = step.Run(("x", n == o.Batch ? x[b] : x[b][..(n * o.Features)]), ("y", n == o.Batch ? y[b] : y[b][..n]));
        }
        // The warm-up runs its steps and then goes on until the JIT has compiled nothing for a while: tiered compilation
        // recompiles hot methods in the background for seconds after they were first called, and that code is memory
        // the baseline must already hold (without tiering the resident set is flat from the first steps).
        var warm = Stopwatch.StartNew();
        int done = 0;
        while (done < o.Warmup) Train(done++);
        // The measurement's own code (the collections, reading /proc) is called as often as tiering needs to promote
        // it, so that its recompilation lands before the baseline: measured only every thousand steps, it otherwise
        // reached the promotion threshold near the end of a run and added ~1.7 MiB of code there.
        for (int k = 0; k < MeasurementWarmup; k++) _ = Measure(device, 0, loss);
        var quiet = Stopwatch.StartNew();
        long jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
        while (o.SettleJit && quiet.Elapsed < JitQuiet && warm.Elapsed < MaximumWarmup)
        {
            Train(done++);
            long now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != jitted) { jitted = now; quiet.Restart(); }
        }
        var samples = new List<SoakSample> { Measure(device, 0, loss) };
        progress?.Invoke(samples[0]);
        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= o.Steps; i++)
        {
            Train(done + i - 1);
            if ((long)i * (o.Samples - 1) / o.Steps != (long)(i - 1) * (o.Samples - 1) / o.Steps)
            {
                samples.Add(Measure(device, i, loss));
                progress?.Invoke(samples[^1]);
            }
        }
        return new SoakReport(device.Id, o, done, samples, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Pool statistics and memory after a full, finalizing collection (so that the managed heap is what is alive).</summary>
    private static SoakSample Measure(IDevice device, int step, float loss)
    {
        // The last collection is aggressive: it compacts and gives the freed heap back to the system, so that the resident
        // set holds what is alive rather than what the collector last kept committed.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var s = device.Memory.Stats;
        return new SoakSample(step, s.CurrentBytes, s.ReservedBytes, s.CachedBytes, s.Allocations, ResidentBytes(), GC.GetTotalMemory(false),
            System.Runtime.JitInfo.GetCompiledMethodCount(), loss);
    }

    /// <summary>The process's resident set in bytes: the second field of /proc/self/statm (pages), or the working set where
    /// there is no /proc.</summary>
    public static long ResidentBytes()
    {
        const string statm = "/proc/self/statm";
        if (!File.Exists(statm))
        {
            using var self = Process.GetCurrentProcess();
            return self.WorkingSet64;
        }
        var fields = File.ReadAllText(statm).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(fields[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
    }
}
