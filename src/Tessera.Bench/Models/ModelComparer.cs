using System.Diagnostics;
using Tessera.Onnx;

namespace Tessera.Bench.Models;

/// <summary>How to compare: rounds of interleaved timing, each round timing every engine for about
/// <see cref="RoundMs"/> (whole calls, at least one), after each engine's warm-up (<see cref="BenchOptions.Model"/> when
/// null).</summary>
public sealed record CompareSettings(int Rounds = 15, double RoundMs = 25, BenchOptions? Warmup = null);

/// <summary>Runs two loaded sessions of one model on the same inputs: checks their outputs against each other (and a
/// reference), warms each up, then times them interleaved — ONNX Runtime, Tessera, ONNX Runtime, Tessera... — so that
/// both see the same machine state (frequency, contention) over the run; statistics are over the rounds.</summary>
public static class ModelComparer
{
    /// <summary>Largest accepted <see cref="OutputDiff.Normalized"/> between Tessera and ONNX Runtime or the reference:
    /// float32 engines that sum in different orders differ by about sqrt(K)·2⁻²⁴ of the output's scale per layer of
    /// K-term dot products; over the model set that stays near 1e-5 (measured: at most 1.2e-5, mobilenet_v2, where ONNX
    /// Runtime is 1.1e-5 from PyTorch too), so 1e-4 leaves an eightfold margin while a wrong operator gives 1e-2 and
    /// more.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Feeds <paramref name="inputs"/> to both sessions, compares their first outputs, then times them.</summary>
    public static ModelComparison Compare(IOnnxSession onnxRuntime, IOnnxSession tessera, IReadOnlyDictionary<string, OnnxTensor> inputs,
        IReadOnlyList<OnnxTensor>? reference = null, CompareSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(onnxRuntime);
        ArgumentNullException.ThrowIfNull(tessera);
        var s = settings ?? new CompareSettings();
        if (s.Rounds < 1) throw new TesseraArgumentException("ModelComparer", "rounds", $"must be at least 1, got {s.Rounds}");
        onnxRuntime.Prepare(inputs);
        tessera.Prepare(inputs);
        onnxRuntime.Run();
        tessera.Run();
        var ort = onnxRuntime.Outputs();
        var ours = tessera.Outputs();
        var diff = OutputDiff.Between(ours, ort);
        var oursVsRef = reference is null ? null : OutputDiff.Between(ours, reference);
        var ortVsRef = reference is null ? null : OutputDiff.Between(ort, reference);
        var t = Interleave([("onnxruntime", onnxRuntime.Run), ("tessera", tessera.Run)], s);
        return new ModelComparison(t[0], t[1], s.Rounds, diff, oursVsRef, ortVsRef);
    }

    /// <summary>Warms each run up in turn and times three batches of its calls, then times them in interleaved rounds (A,
    /// B, A, B...): in each round every run makes the number of calls that its settled time per call says fill
    /// <see cref="CompareSettings.RoundMs"/>, and that round's per-call time is one sample.</summary>
    public static IReadOnlyList<EngineTiming> Interleave(IReadOnlyList<(string Name, Action Run)> runs, CompareSettings settings)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(settings);
        var options = settings.Warmup ?? BenchOptions.Model;
        var warm = new Warmup[runs.Count];
        var calls = new int[runs.Count];
        for (int e = 0; e < runs.Count; e++)
        {
            warm[e] = BenchTimer.WarmUp(runs[e].Run, options);
            calls[e] = Math.Max(1, (int)Math.Ceiling(settings.RoundMs / SettledMsPerCall(runs[e].Run, settings.RoundMs)));
        }
        var samples = runs.Select(_ => new double[settings.Rounds]).ToArray();
        for (int round = 0; round < settings.Rounds; round++)
            for (int e = 0; e < runs.Count; e++)
            {
                var run = runs[e].Run;
                long t0 = Stopwatch.GetTimestamp();
                for (int c = 0; c < calls[e]; c++) run();
                samples[e][round] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds / calls[e];
            }
        return runs.Select((r, e) => new EngineTiming(r.Name, TimeStats.Of(samples[e]), warm[e], calls[e])).ToArray();
    }

    /// <summary>Milliseconds per call of a warmed-up run: the fastest of three timed batches, each of calls lasting about
    /// a fifth of a round. The warm-up's mean is not used: it includes the first calls (JIT tiers, one-time packing),
    /// which made a round of the slower-starting engine several times shorter than the other's, and so made it pay the
    /// cold caches after each switch over fewer calls.</summary>
    private static double SettledMsPerCall(Action run, double roundMs)
    {
        double best = double.PositiveInfinity;
        int calls = 1;
        for (int batch = 0; batch < 3; batch++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int c = 0; c < calls; c++) run();
            double perCall = Stopwatch.GetElapsedTime(t0).TotalMilliseconds / calls;
            best = Math.Min(best, perCall);
            calls = Math.Max(1, (int)(roundMs / 5 / Math.Max(best, 1e-6)));
        }
        return Math.Max(best, 1e-6);
    }
}
