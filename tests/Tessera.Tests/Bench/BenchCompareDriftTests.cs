using Tessera.Bench;
using Tessera.Bench.Compare;
using Tessera.Tests.ModelSuite;

namespace Tessera.Tests.Bench;

/// <summary><c>tessera bench compare</c> against machine drift, on synthetic reports (no timing): passes pooled by
/// <see cref="BenchPasses"/>, the drift between passes and the baselines' drift allowed for, one consistent rule, and the
/// exit code of the command line.</summary>
public class BenchCompareDriftTests
{
    /// <summary>Right-skewed timing noise of about ±2 % around <paramref name="median"/>, as a quiet machine gives.</summary>
    private static double[] Samples(double median, int n, Random rng) =>
        Enumerable.Range(0, n).Select(_ => median * (1 + 0.02 * (rng.NextDouble() - 0.5) + 0.01 * Math.Pow(rng.NextDouble(), 4))).ToArray();

    private static TimeStats Stats(double[] samples) => TimeStats.From(BenchTimer.Summarise(samples));

    /// <summary>The pooled statistics of passes at speed levels <paramref name="levels"/> (1: nominal) of one series.</summary>
    private static TimeStats Passes(double median, double[] levels, Random rng) =>
        BenchPasses.Pool(levels.Select(l => (TimeStats?)Stats(Samples(median * l, 20, rng))))!.Value.Stats;

    private const string Base1 = "TensorPrimitives.Add", Base2 = "ONNX Runtime Add";

    /// <summary>A report of three rows (add, relu, gelu; Tessera and two baselines each) whose every series ran its
    /// passes at <paramref name="levels"/>; <paramref name="slowAdd"/> multiplies Tessera's add by that factor.</summary>
    private static BenchReport Report(int seed, double[] levels, double slowAdd = 1, double drift = 1)
    {
        var rng = new Random(seed);
        var header = new BenchHeader("cpu0", "cpu", new Dictionary<string, string>(), 1, "small", false, null, DateTime.UnixEpoch, [])
        {
            Machine = "m", Commit = "c", NoiseLimitPct = 5, Passes = levels.Length,
        };
        var rows = new List<BenchRow>();
        foreach (var (op, ours) in new[] { ("add", 1.0), ("relu", 0.5), ("gelu", 0.8) })
        {
            double f = op == "add" ? slowAdd : 1;
            var baselines = new[] { (Base1, 2.0), (Base2, 1.5) }
                .Select(b => Passes(b.Item2 * drift, levels, rng))
                .Select((s, i) => new BaselineResult(i == 0 ? Base1 : Base2, s.Median, null, null) { Stats = s }).ToList();
            rows.Add(new BenchRow(op, "64", "f32", "fwd", Passes(ours * f * drift, levels, rng), 1, 1, 1, 1, 1, null, null, baselines, true, ""));
        }
        return new BenchReport(header, rows);
    }

    [Fact]
    public void PassesArePooledWithTheirMedians()
    {
        var rng = new Random(1);
        var passes = new[] { 1.0, 1.1, 0.9 }.Select(l => Stats(Samples(l, 15, rng))).ToArray();
        var pooled = BenchPasses.Pool(passes)!.Value;
        Assert.Equal(45, pooled.Stats.Samples);
        Assert.Equal(passes.Select(p => p.Median), pooled.Stats.PassMedians!);
        Assert.InRange(pooled.Stats.Median, 0.98, 1.03);
        var report = Report(2, [1, 1]);
        var back = BenchReport.FromJson((report with { Rows = [report.Rows[0] with { Time = pooled.Stats }] }).ToJson());
        Assert.Equal(pooled.Stats.PassMedians, back.Rows[0].Time!.PassMedians!);
        Assert.Equal(2, back.Header.Passes);
    }

    [Fact]
    public void MergingPassReportsPoolsEveryRowAndJudgesRatiosAgain()
    {
        var rng = new Random(3);
        BenchReport Pass(double level)
        {
            var ours = Stats(Samples(level, 20, rng));
            var theirs = Stats(Samples(2 * level, 20, rng));
            var b = new BaselineResult(Base1, theirs.Median, theirs.Median / ours.Median, null) { Stats = theirs, Verdict = "faster" };
            return new BenchReport(Report(0, [1]).Header, [new BenchRow("add", "64", "f32", "fwd", ours, 1, 1, 1, 10, 5, 50, b, [b], true, "")]);
        }
        var passes = new[] { Pass(1), Pass(1.2), Pass(0.9) };
        var merged = BenchPasses.Merge(passes, noiseLimitPct: 5);
        var row = Assert.Single(merged.Rows);
        Assert.Equal(3, merged.Header.Passes);
        Assert.Equal(60, row.Time!.Samples);
        Assert.Equal(3, row.Time.PassMedians!.Count);
        Assert.Equal(3, row.Baselines[0].Stats!.PassMedians!.Count);
        Assert.InRange(row.Baselines[0].Ratio!.Value, 1.9, 2.1);
        Assert.True(row.Baselines[0].RatioLow > 1 && row.Baselines[0].Verdict == "faster");
        // GFLOP/s and % of roofline follow the pooled median.
        Assert.Equal(10 * passes[0].Rows[0].Time!.Median / row.Time.Median, row.Gflops!.Value, 6);
        Assert.Equal(50 * passes[0].Rows[0].Time!.Median / row.Time.Median, row.RooflinePct!.Value, 6);
    }

    [Fact]
    public void DriftOfEveryRowIncludingBaselinesIsSameWithNormalisation()
    {
        // One pass each; B's machine runs every series, the baselines too, 12 % slower.
        var a = Report(10, [1]);
        var b = Report(11, [1], drift: 1.12);
        var raw = BenchComparison.Compare(a, b);
        Assert.NotEmpty(raw.Regressions);   // without the drift discounted, the shift looks like a regression
        var cmp = BenchComparison.Compare(a, b, normalize: true);
        Assert.InRange(cmp.MachineDrift!.Value, 1.10, 1.14);
        Assert.Equal(6, cmp.DriftSeries);
        Assert.True(cmp.Normalized);
        Assert.All(cmp.Changes, c => Assert.Equal(BenchComparison.Same, c.Verdict));
        Assert.Empty(cmp.Regressions);
    }

    [Fact]
    public void DriftBetweenPassesAndRunsIsNotClaimedAsAChange()
    {
        // Three passes each; the machine's speed moves by up to ±8 % from pass to pass, and B's passes run at other levels
        // than A's. The passes of the two runs overlap.
        var a = Report(20, [1.0, 1.08, 0.95]);
        var b = Report(21, [1.07, 1.09, 1.0]);
        var cmp = BenchComparison.Compare(a, b);
        Assert.All(cmp.Changes, c => Assert.True(c.PassLow < 0.05 && c.PassHigh > 0.05, $"{c.Row} {c.Series}: passes {c.PassLow} … {c.PassHigh}"));
        Assert.All(cmp.Changes, c => Assert.DoesNotContain(c.Verdict, new[] { BenchComparison.Slower, BenchComparison.Faster }));
        Assert.Empty(cmp.Regressions);
    }

    [Fact]
    public void ARealSlowdownBeyondTheDriftIsSlower()
    {
        var a = Report(30, [1.0, 1.08, 0.95]);
        var b = Report(31, [1.07, 1.09, 1.0], slowAdd: 2);
        var cmp = BenchComparison.Compare(a, b);
        var add = Assert.Single(cmp.Regressions);
        Assert.StartsWith("add", add.Row, StringComparison.Ordinal);
        Assert.InRange(add.Change, 0.9, 1.3);
        Assert.True(add.ChangeLow > 0.05 && add.PassLow > 0.05);
        Assert.All(cmp.Changes.Where(c => c != add), c => Assert.NotEqual(BenchComparison.Slower, c.Verdict));
    }

    [Fact]
    public void TheRuleIsConsistent()
    {
        // The adam row of bench-2026-12-04: +8.5 %, interval +6.6 … +9.9 %, the rank test not significant: unclear, not same.
        Assert.Equal(BenchComparison.Unclear, BenchComparison.Verdict(0.066, 0.099, 0.085, 0.085, 5, () => 0));
        Assert.Equal(BenchComparison.Slower, BenchComparison.Verdict(0.066, 0.099, 0.085, 0.085, 5, () => 1));
        // The same interval with passes that overlap (one pass of B within 1 % of one of A) is not claimed.
        Assert.Equal(BenchComparison.Unclear, BenchComparison.Verdict(0.066, 0.099, 0.01, 0.15, 5, () => 1));
        // A bimodal row (one pass of A in the slow mode, B's medians all there): a 30-fold interval, yet not claimed.
        Assert.Equal(BenchComparison.Unclear, BenchComparison.Verdict(29.7, 32.2, -0.16, 35, 5, () => 1));
        Assert.Equal(BenchComparison.Faster, BenchComparison.Verdict(-0.3, -0.2, -0.35, -0.1, 5, () => -1));
        // An interval reaching into the threshold band is the same, whatever the passes and the rank test say.
        Assert.Equal(BenchComparison.Same, BenchComparison.Verdict(0.04, 0.09, 0.06, 0.08, 5, () => 1));
        // Over many synthetic comparisons: slower/faster only with the interval beyond the threshold (so beyond 0), and a
        // series whose interval lies beyond the threshold never "same".
        for (int seed = 0; seed < 40; seed++)
        {
            var rng = new Random(seed);
            var a = Report(100 + seed, [1, 1 + 0.1 * rng.NextDouble()]);
            var b = Report(200 + seed, [1, 1 + 0.1 * rng.NextDouble()], slowAdd: 0.8 + 0.4 * rng.NextDouble());
            foreach (var c in BenchComparison.Compare(a, b, thresholdPct: 5).Changes)
            {
                if (c.Verdict == BenchComparison.Slower) Assert.True(c.ChangeLow > 0.05 && c.PassLow > 0.05, c.ToString());
                if (c.Verdict == BenchComparison.Faster) Assert.True(c.ChangeHigh < -0.05 && c.PassHigh < -0.05, c.ToString());
                if (c.ChangeLow > 0.05 || c.ChangeHigh < -0.05) Assert.NotEqual(BenchComparison.Same, c.Verdict);
            }
        }
    }

    [Fact]
    public void NormalisingNeedsBaselines()
    {
        var a = Report(40, [1]);
        var bare = a with { Rows = a.Rows.Select(r => r with { Baselines = [] }).ToList() };
        var e = Assert.Throws<TesseraArgumentException>(() => BenchComparison.Compare(bare, bare, normalize: true));
        Assert.Contains("--normalize-baselines", e.Message);
        Assert.Null(BenchComparison.Compare(bare, bare).MachineDrift);
    }

    [Fact]
    public void TheCommandExitsNonZeroOnARegressionOnly()
    {
        string dir = Directory.CreateTempSubdirectory("tessera-bench-compare").FullName;
        string Write(string name, BenchReport r) { string f = Path.Combine(dir, name); File.WriteAllText(f, r.ToJson()); return f; }
        string a = Write("a.json", Report(50, [1.0, 1.08, 0.95]));
        string drifted = Write("drifted.json", Report(51, [1.07, 1.09, 1.0]));
        string slowed = Write("slowed.json", Report(52, [1.07, 1.09, 1.0], slowAdd: 2));
        // One pass each (no pass range), B's machine 15 % slower on every series: a regression unless the
        // baselines' drift is discounted.
        string single = Write("single.json", Report(54, [1]));
        string shifted = Write("shifted.json", Report(53, [1], drift: 1.15));
        var (exit, stdout, stderr) = TesseraCli.Run("bench", "compare", a, drifted);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("0 slower", stdout);
        Assert.Contains("Rule: slower/faster", stdout);
        (exit, stdout, stderr) = TesseraCli.Run("bench", "compare", a, slowed);
        Assert.True(exit == 1, stderr + stdout);
        Assert.Contains("1 slower", stdout);
        (exit, stdout, stderr) = TesseraCli.Run("bench", "compare", single, shifted);
        Assert.True(exit == 1, stderr + stdout);
        Assert.Contains("no pass range", stdout);
        (exit, stdout, stderr) = TesseraCli.Run("bench", "compare", single, shifted, "--normalize-baselines");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("B's times are divided by it", stdout);
    }
}
