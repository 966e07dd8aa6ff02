using Perfolizer.Mathematics.Common;
using Perfolizer.Mathematics.SignificanceTesting;
using Perfolizer.Mathematics.SignificanceTesting.Base;
using Perfolizer.Mathematics.SignificanceTesting.MannWhitney;
using Perfolizer.Metrology;
using Pragmastat;

namespace Tessera.Bench.Compare;

/// <summary>One measured series (Tessera's kernel or one baseline) of a row present in both reports.</summary>
/// <param name="Change">Median of B / median of A − 1 (positive: B is slower), after the drift normalisation when asked.</param>
/// <param name="ChangeLow">Lower end of the change's 95 % interval, from the two medians' 95 % intervals.</param>
/// <param name="PassLow">The smallest change between passes: the fastest pass median of B / the slowest of A − 1 (with
/// single-pass reports, the change itself).</param>
/// <param name="PassHigh">The largest: the slowest pass median of B / the fastest of A − 1.</param>
/// <param name="PValue">Two-sided Mann–Whitney p-value of "A and B have the same distribution".</param>
/// <param name="Verdict">See <see cref="BenchComparison"/>'s rule: slower | faster | same | unclear | noisy | no samples.</param>
public sealed record SeriesChange(string Row, string Series, double MedianA, double MedianB, double Change, double ChangeLow,
    double ChangeHigh, double PassLow, double PassHigh, double PValue, string Verdict)
{
    /// <summary>True for Tessera's own kernels (what a regression is judged on).</summary>
    public bool IsTessera => Series == BenchComparison.TesseraSeries;
}

/// <summary>Two bench reports compared row by row, for each series in both (Tessera and every baseline), by one rule.
/// Let the change be median B / median A − 1 (the pooled medians), I its 95 % interval (from the two medians' intervals),
/// P the pass range [fastest pass of B / slowest pass of A − 1, slowest pass of B / fastest pass of A − 1] (the changes
/// between any pass of A and any pass of B, by pass medians) and T the threshold. Then:
/// <list type="bullet">
/// <item><b>slower</b> when I and P both lie wholly above +T — the change exceeds the threshold, the medians'
/// uncertainty, and the drift between passes: every pass of B is slower than every pass of A by more than T — and
/// Perfolizer's equivalence test over one-sided Mann–Whitney rank tests finds B slower than A by more than T at level
/// <see cref="Alpha"/> (BenchmarkDotNet's way); <b>faster</b> likewise below −T;</item>
/// <item><b>unclear</b> when I lies wholly beyond ±T but P or the rank test does not confirm it (a change no larger than
/// the drift between passes, or a shift of the median the distributions do not show): not claimed;</item>
/// <item><b>same</b> otherwise (I reaches into [−T, +T]);</item>
/// <item><b>noisy</b>, before all this, when either run's median is wider than that run's noise limit (not compared).</item>
/// </list>
/// So a slower or faster series always has its interval beyond 0 and the threshold, and a series whose interval lies
/// beyond the threshold is never "same". With <c>normalize</c>, B's times are first divided by the machine drift: the
/// median, over every baseline series in both runs, of its B / A median ratio (baselines' code does not change between
/// two runs of one build, so their movement is the machine's). Differences between the two runs' machines, versions and
/// settings are listed first.</summary>
/// <param name="MachineDrift">The median B / A ratio of the baseline series (null with fewer than
/// <see cref="MinDriftSeries"/> of them): how the machine's speed moved between the runs.</param>
/// <param name="DriftSeries">How many baseline series <paramref name="MachineDrift"/> is the median of.</param>
/// <param name="Normalized">True when B's times were divided by <paramref name="MachineDrift"/> before judging.</param>
public sealed record BenchComparison(IReadOnlyList<string> Differences, IReadOnlyList<SeriesChange> Changes,
    IReadOnlyList<string> OnlyInA, IReadOnlyList<string> OnlyInB, double ThresholdPct, double Alpha,
    double? MachineDrift = null, int DriftSeries = 0, bool Normalized = false)
{
    /// <summary>The series name of Tessera's own kernel.</summary>
    public const string TesseraSeries = "Tessera";

    /// <summary>Verdict: B is slower than A beyond the threshold.</summary>
    public const string Slower = "slower";
    /// <summary>Verdict: B is faster than A beyond the threshold.</summary>
    public const string Faster = "faster";
    /// <summary>Verdict: no difference beyond the threshold.</summary>
    public const string Same = "same";
    /// <summary>Verdict: beyond the threshold by the interval of the change, but not confirmed by the pass range or the
    /// equivalence test: no change is claimed.</summary>
    public const string Unclear = "unclear";
    /// <summary>Verdict: the samples are too noisy to decide.</summary>
    public const string Noisy = "noisy";
    /// <summary>Verdict: one side has no samples.</summary>
    public const string NoSamples = "no samples";

    /// <summary>The fewest baseline series the machine drift is measured on.</summary>
    public const int MinDriftSeries = 3;

    /// <summary>The rule in one sentence (the CLI's help and summary state it).</summary>
    public static string Rule(double thresholdPct, double alpha) =>
        $"slower/faster: the change's 95 % interval and its pass range (every pass of B against every pass of A) both lie wholly " +
        $"beyond ±{thresholdPct:0.##} %, and a Mann–Whitney rank test agrees at level {alpha:0.###}; unclear: the interval lies beyond " +
        $"±{thresholdPct:0.##} % but that is not confirmed (not claimed); same: otherwise";

    /// <summary>Tessera rows significantly slower in B than in A by more than the threshold.</summary>
    public IReadOnlyList<SeriesChange> Regressions => Changes.Where(c => c.IsTessera && c.Verdict == Slower).ToList();

    /// <summary>Compares report <paramref name="b"/> against <paramref name="a"/> (the baseline run); with
    /// <paramref name="normalize"/>, discounts the machine drift measured on the baselines first.</summary>
    public static BenchComparison Compare(BenchReport a, BenchReport b, double thresholdPct = 5, double alpha = 0.01, bool normalize = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (thresholdPct < 0) throw new TesseraArgumentException("bench compare", "--threshold", $"must be at least 0, got {thresholdPct}");
        if (alpha is <= 0 or >= 1) throw new TesseraArgumentException("bench compare", "--alpha", $"must be in (0, 1), got {alpha}");
        var rowsA = a.Rows.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.First());
        var rowsB = b.Rows.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.First());
        var pairs = new List<(string Row, string Series, TimeStats A, TimeStats B)>();
        foreach (var rb in b.Rows)
        {
            if (!rowsA.TryGetValue(rb.Key, out var ra)) continue;
            string row = $"{rb.Op} {rb.Pass} {rb.Shape}";
            if (ra.Time is not null && rb.Time is not null) pairs.Add((row, TesseraSeries, ra.Time, rb.Time));
            foreach (var bb in rb.Baselines)
                if (ra.Baselines.FirstOrDefault(x => x.Name == bb.Name) is { Stats: { } sa } && bb.Stats is { } sb)
                    pairs.Add((row, bb.Name, sa, sb));
        }
        var drifts = pairs.Where(p => p.Series != TesseraSeries && p.A.Median > 0 && p.B.Median > 0).Select(p => p.B.Median / p.A.Median).ToList();
        double? drift = drifts.Count >= MinDriftSeries ? Statistics.SampleStatistics.Quantile(drifts, 0.5) : null;
        if (normalize && drift is null)
            throw new TesseraArgumentException("bench compare", "--normalize-baselines",
                $"needs at least {MinDriftSeries} baseline series measured in both reports, found {drifts.Count}");
        double scale = normalize ? 1 / drift!.Value : 1;
        var changes = pairs.Select(p => Judge(p.Row, p.Series, p.A, p.B, scale, thresholdPct, alpha, a.Header, b.Header)).ToList();
        return new BenchComparison(HeaderDifferences(a.Header, b.Header), changes,
            a.Rows.Where(r => !rowsB.ContainsKey(r.Key)).Select(r => r.Key).ToList(),
            b.Rows.Where(r => !rowsA.ContainsKey(r.Key)).Select(r => r.Key).ToList(), thresholdPct, alpha, drift, drifts.Count, normalize);
    }

    private static SeriesChange Judge(string row, string series, TimeStats a, TimeStats b, double scale, double thresholdPct,
        double alpha, BenchHeader ha, BenchHeader hb)
    {
        double change = scale * b.Median / a.Median - 1;
        double low = scale * b.CiLow / a.CiHigh - 1, high = scale * b.CiHigh / a.CiLow - 1;
        var (passesA, passesB) = (PassMedians(a), PassMedians(b));
        double passLow = scale * passesB.Min() / passesA.Max() - 1, passHigh = scale * passesB.Max() / passesA.Min() - 1;
        if (a.SamplesMs is not { Count: > 1 } xa || b.SamplesMs is not { Count: > 1 } xb)
            return new SeriesChange(row, series, a.Median, b.Median, change, low, high, passLow, passHigh, double.NaN, NoSamples);
        var sampleA = new Sample(xa);
        var sampleB = new Sample(scale == 1 ? xb : xb.Select(x => x * scale).ToArray());
        double p = MannWhitneyTest.Instance.Perform(sampleB, sampleA, AlternativeHypothesis.TwoSides, Threshold.Zero).PValue;
        // A median its own run could not pin down is not compared (the rank test assumes independent samples; a busy
        // machine's samples come in bursts that it would take for a change).
        bool noisy = (ha.NoiseLimitPct > 0 && a.CiPct > ha.NoiseLimitPct) || (hb.NoiseLimitPct > 0 && b.CiPct > hb.NoiseLimitPct);
        string verdict = noisy ? Noisy : Verdict(low, high, passLow, passHigh, thresholdPct, () => RankTest(sampleA, sampleB, thresholdPct, alpha));
        return new SeriesChange(row, series, a.Median, b.Median, change, low, high, passLow, passHigh, p, verdict);
    }

    private static IReadOnlyList<double> PassMedians(TimeStats t) => t.PassMedians is { Count: > 0 } pm ? pm : [t.Median];

    /// <summary>The rule (see the type's summary) on a change's interval [<paramref name="low"/>, <paramref name="high"/>]
    /// and pass range [<paramref name="passLow"/>, <paramref name="passHigh"/>] (fractions), the threshold (in %), and the
    /// rank test's verdict (asked for only when both lie beyond the threshold; +1: B slower than A beyond the threshold,
    /// −1: faster, 0: neither): slower, faster, unclear or same.</summary>
    public static string Verdict(double low, double high, double passLow, double passHigh, double thresholdPct, Func<int> rankTest)
    {
        ArgumentNullException.ThrowIfNull(rankTest);
        double t = thresholdPct / 100;
        if (low > t && passLow > t && rankTest() > 0) return Slower;
        if (high < -t && passHigh < -t && rankTest() < 0) return Faster;
        return low > t || high < -t ? Unclear : Same;
    }

    private static int RankTest(Sample a, Sample b, double thresholdPct, double alpha)
    {
        var threshold = Threshold.Parse(thresholdPct.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "%");
        return new SimpleEquivalenceTest(MannWhitneyTest.Instance).Perform(b, a, threshold, alpha) switch
        {
            ComparisonResult.Greater => 1,
            ComparisonResult.Lesser => -1,
            _ => 0,
        };
    }

    /// <summary>What differs between the two runs' headers: machine, device, commit, settings and every library version.</summary>
    public static IReadOnlyList<string> HeaderDifferences(BenchHeader a, BenchHeader b)
    {
        var d = new List<string>();
        void Check(string what, string? x, string? y)
        {
            if (!string.Equals(x ?? "", y ?? "", StringComparison.Ordinal)) d.Add($"{what}: A {(string.IsNullOrEmpty(x) ? "(none)" : x)}; B {(string.IsNullOrEmpty(y) ? "(none)" : y)}");
        }
        Check("machine", a.Machine, b.Machine);
        Check("device", $"{a.Device} ({a.Backend})", $"{b.Device} ({b.Backend})");
        Check("commit", a.Commit, b.Commit);
        Check("threads", a.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture), b.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Check("size", a.Size, b.Size);
        Check("cold caches", a.Cold.ToString(), b.Cold.ToString());
        Check("target interval ±%", a.TargetCiPct.ToString(System.Globalization.CultureInfo.InvariantCulture), b.TargetCiPct.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Check("launches", a.Launches.ToString(System.Globalization.CultureInfo.InvariantCulture), b.Launches.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Check("passes", a.Passes.ToString(System.Globalization.CultureInfo.InvariantCulture), b.Passes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Check("budget ms", a.BudgetMs.ToString(System.Globalization.CultureInfo.InvariantCulture), b.BudgetMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var key in a.Versions.Keys.Union(b.Versions.Keys).Order(StringComparer.Ordinal))
        {
            // Tessera's own version carries the commit, already compared above.
            if (key == "tessera") continue;
            Check(key, a.Versions.GetValueOrDefault(key), b.Versions.GetValueOrDefault(key));
        }
        return d;
    }
}
