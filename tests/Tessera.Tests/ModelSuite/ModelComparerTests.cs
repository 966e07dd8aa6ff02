using Tessera.Bench;
using Tessera.Bench.Baselines;
using Tessera.Bench.Models;
using Tessera.Onnx;
using Tessera.Onnx.Protobuf;
using Tessera.Tests.Onnx;
using Tessera.Tests.Support;

namespace Tessera.Tests.ModelSuite;

/// <summary>The side-by-side machinery of <c>tessera compare</c>: interleaved rounds, the ratio, output differences
/// against ONNX Runtime and a reference, and the statistics it prints.</summary>
public class ModelComparerTests
{
    private static readonly BenchOptions ShortWarmup = new(WarmupMs: 20, MinWarmupCalls: 60, MaxWarmupMs: 2000);

    [Fact]
    public void Tessera_and_onnxruntime_agree_on_a_small_model_and_are_timed_over_every_round()
    {
        Requirement.Require(OnnxRuntimeBaseline.Version is not null, "onnxruntime native library");
        var model = TinyModels.Mlp(batch: 4);
        var x = ImportModels.Data(7, 4 * TinyModels.In);
        var expected = TinyModels.Expected(x);
        var inputs = new Dictionary<string, OnnxTensor> { ["x"] = ImportModels.Floats("x", x, 4, TinyModels.In) };
        using var ort = new OrtEngine().Load(OnnxWriter.WriteModel(model), 1);
        using var ours = new TesseraEngine(TestDevices.Cpu).Load(model);
        var c = ModelComparer.Compare(ort, ours, inputs, [ImportModels.Floats("y", expected, 4, TinyModels.Out)],
            new CompareSettings(Rounds: 5, RoundMs: 1, Warmup: ShortWarmup));

        Assert.True(c.Diff.Normalized < 1e-6, $"tessera vs onnxruntime {c.Diff}");
        Assert.True(c.TesseraVsReference!.Normalized < 1e-6, $"tessera vs reference {c.TesseraVsReference}");
        Assert.True(c.OnnxRuntimeVsReference!.Normalized < 1e-6, $"onnxruntime vs reference {c.OnnxRuntimeVsReference}");
        Assert.True(c.Agrees);
        foreach (var e in new[] { c.OnnxRuntime, c.Tessera })
        {
            Assert.Equal(5, e.Time.Samples);
            Assert.True(e.Warmup.Calls >= 60, $"{e.Engine}: {e.Warmup.Calls} warm-up calls");
            Assert.True(e.Time.Min <= e.Time.P10 && e.Time.P10 <= e.Time.Median && e.Time.Median <= e.Time.P90 && e.Time.P90 <= e.Time.Max);
            Assert.True(e.Time.Median > 0);
        }
        Assert.Equal(c.OnnxRuntime.Time.Median / c.Tessera.Time.Median, c.Ratio, 12);
    }

    [Fact]
    public void A_reference_that_differs_is_reported_and_fails_the_agreement()
    {
        Requirement.Require(OnnxRuntimeBaseline.Version is not null, "onnxruntime native library");
        var model = TinyModels.Mlp(batch: 2);
        var x = ImportModels.Data(8, 2 * TinyModels.In);
        var wrong = TinyModels.Expected(x).Select(v => v + 0.5f).ToArray();
        var inputs = new Dictionary<string, OnnxTensor> { ["x"] = ImportModels.Floats("x", x, 2, TinyModels.In) };
        using var ort = new OrtEngine().Load(OnnxWriter.WriteModel(model), 1);
        using var ours = new TesseraEngine(TestDevices.Cpu).Load(model);
        var c = ModelComparer.Compare(ort, ours, inputs, [ImportModels.Floats("y", wrong, 2, TinyModels.Out)],
            new CompareSettings(Rounds: 1, RoundMs: 1, Warmup: ShortWarmup));
        Assert.Equal(0.5, c.TesseraVsReference!.MaxAbs, 5);
        Assert.False(c.Agrees);
    }

    [Fact]
    public void Rounds_interleave_the_engines_after_each_warm_up()
    {
        var log = new List<char>();
        void A() { log.Add('A'); Thread.Sleep(2); }
        void B() { log.Add('B'); Thread.Sleep(2); }
        var t = ModelComparer.Interleave([("a", A), ("b", B)],
            new CompareSettings(Rounds: 4, RoundMs: 1, Warmup: new BenchOptions(WarmupMs: 0, MinWarmupCalls: 3)));
        // Each engine: three warm-up calls, three one-call timing batches; then the rounds.
        Assert.Equal("AAA" + "AAA" + "BBB" + "BBB" + "ABABABAB", new string([.. log]));
        Assert.All(t, e => Assert.Equal(1, e.CallsPerRound));
        Assert.All(t, e => Assert.True(e.Time.Min >= 1.5, $"{e.Engine}: {e.Time}"));
    }

    [Fact]
    public void Calls_per_round_come_from_the_settled_time_not_the_slow_first_calls()
    {
        // A starts slow (a JIT's first tiers: 30 ms a call for its first three), then takes 2 ms; B takes 2 ms from the
        // start. Both should fill a 20 ms round with about ten calls.
        int aCalls = 0;
        void A() { Thread.Sleep(aCalls++ < 3 ? 30 : 2); }
        void B() { Thread.Sleep(2); }
        var t = ModelComparer.Interleave([("a", A), ("b", B)],
            new CompareSettings(Rounds: 2, RoundMs: 20, Warmup: new BenchOptions(WarmupMs: 0, MinWarmupCalls: 4)));
        Assert.InRange(t[0].CallsPerRound, 5, 10);
        Assert.InRange(t[0].CallsPerRound, t[1].CallsPerRound - 2, t[1].CallsPerRound + 2);
    }

    [Fact]
    public void Outputs_of_other_shapes_or_types_are_refused_by_name()
    {
        var a = ImportModels.Floats("y", [1, 2, 3, 4], 2, 2);
        var e = Assert.Throws<TesseraShapeException>(() => OutputDiff.Between([a], [ImportModels.Floats("y", [1, 2, 3, 4], 4)]));
        Assert.Contains("'y'", e.Message);
        Assert.Throws<TesseraDTypeException>(() => OutputDiff.Between([a], [ImportModels.Int64s("y", [1, 2, 3, 4], 2, 2)]));
        Assert.Throws<TesseraArgumentException>(() => OutputDiff.Between([a], []));
    }

    [Fact]
    public void Output_differences_are_absolute_relative_and_relative_to_the_scale()
    {
        var expected = ImportModels.Floats("y", [100, 0, -100, 0], 4);
        var actual = ImportModels.Floats("y", [101, 0.5f, -100, 0], 4);
        var d = OutputDiff.Between([actual], [expected]);
        Assert.Equal(1, d.MaxAbs, 6);
        Assert.Equal(0.5, d.MaxRel, 6);                       // 0.5 / (1 + 0)
        Assert.Equal(0.5 / Math.Sqrt(5000), d.Normalized, 6);  // rms = sqrt((100² + 100²) / 4)
        var nan = OutputDiff.Between([ImportModels.Floats("y", [float.NaN], 1)], [ImportModels.Floats("y", [1], 1)]);
        Assert.True(double.IsPositiveInfinity(nan.MaxAbs) && double.IsPositiveInfinity(nan.Normalized));
    }
}
