using Perfolizer.Mathematics.Common;
using Perfolizer.Mathematics.SignificanceTesting;
using Perfolizer.Mathematics.SignificanceTesting.Base;
using Perfolizer.Mathematics.SignificanceTesting.MannWhitney;
using Perfolizer.Metrology;
using Pragmastat;

namespace Tessera.Bench.Compare;

/// <summary>One measured series (Tessera's kernel or one baseline) of a row present in both reports.</summary>
/// <param name="Series">"Tessera" or the baseline's name.</param>
/// <param name="Change">Median of B / median of A − 1 (positive: B is slower).</param>
/// <param name="ChangeLow">Lower end of the change's interval, from the two medians' 95 % intervals.</param>
/// <param name="PValue">Two-sided Mann–Whitney p-value of "A and B have the same distribution".</param>
/// <param name="Verdict">slower | faster | same (beyond the threshold, by the rank test); noisy when either run's median
/// is wider than that run's noise limit (no change is claimed), or "no samples".</param>
public sealed record SeriesChange(string Row, string Series, double MedianA, double MedianB, double Change, double ChangeLow,
    double ChangeHigh, double PValue, string Verdict)
{
    /// <summary>True for Tessera's own kernels (what a regression is judged on).</summary>
    public bool IsTessera => Series == BenchComparison.TesseraSeries;
}

/// <summary>Two bench reports compared row by row, as BenchmarkDotNet and Perfolizer compare runs: for each series in
/// both, the change of the median and whether it is significant beyond a relative threshold — Perfolizer's equivalence
/// test over one-sided Mann–Whitney rank tests (B slower than A by more than the threshold, or faster) at level
/// <see cref="Alpha"/>. Differences between the two runs' machines, versions and settings are listed first.</summary>
public sealed record BenchComparison(IReadOnlyList<string> Differences, IReadOnlyList<SeriesChange> Changes,
    IReadOnlyList<string> OnlyInA, IReadOnlyList<string> OnlyInB, double ThresholdPct, double Alpha)
{
    /// <summary>The series name of Tessera's own kernel.</summary>
    public const string TesseraSeries = "Tessera";

    /// <summary>Verdict: B is slower than A beyond the threshold.</summary>
    public const string Slower = "slower";
    /// <summary>Verdict: B is faster than A beyond the threshold.</summary>
    public const string Faster = "faster";
    /// <summary>Verdict: no difference beyond the threshold.</summary>
    public const string Same = "same";
    /// <summary>Verdict: the samples are too noisy to decide.</summary>
    public const string Noisy = "noisy";
    /// <summary>Verdict: one side has no samples.</summary>
    public const string NoSamples = "no samples";

    /// <summary>Tessera rows significantly slower in B than in A by more than the threshold.</summary>
    public IReadOnlyList<SeriesChange> Regressions => Changes.Where(c => c.IsTessera && c.Verdict == Slower).ToList();

    /// <summary>Compares report <paramref name="b"/> against <paramref name="a"/> (the baseline run).</summary>
    public static BenchComparison Compare(BenchReport a, BenchReport b, double thresholdPct = 5, double alpha = 0.01)
    {
        if (thresholdPct < 0) throw new TesseraArgumentException("bench compare", "--threshold", $"must be at least 0, got {thresholdPct}");
        if (alpha is <= 0 or >= 1) throw new TesseraArgumentException("bench compare", "--alpha", $"must be in (0, 1), got {alpha}");
        var threshold = Threshold.Parse(thresholdPct.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "%");
        var test = new SimpleEquivalenceTest(MannWhitneyTest.Instance);
        var rowsA = a.Rows.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.First());
        var rowsB = b.Rows.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.First());
        var changes = new List<SeriesChange>();
        foreach (var rb in b.Rows)
        {
            if (!rowsA.TryGetValue(rb.Key, out var ra)) continue;
            string row = $"{rb.Op} {rb.Pass} {rb.Shape}";
            if (ra.Time is not null && rb.Time is not null)
                changes.Add(Judge(row, TesseraSeries, ra.Time, rb.Time, test, threshold, alpha, a.Header, b.Header));
            foreach (var bb in rb.Baselines)
                if (ra.Baselines.FirstOrDefault(x => x.Name == bb.Name) is { Stats: { } sa } && bb.Stats is { } sb)
                    changes.Add(Judge(row, bb.Name, sa, sb, test, threshold, alpha, a.Header, b.Header));
        }
        return new BenchComparison(HeaderDifferences(a.Header, b.Header), changes,
            a.Rows.Where(r => !rowsB.ContainsKey(r.Key)).Select(r => r.Key).ToList(),
            b.Rows.Where(r => !rowsA.ContainsKey(r.Key)).Select(r => r.Key).ToList(), thresholdPct, alpha);
    }

    private static SeriesChange Judge(string row, string series, TimeStats a, TimeStats b, SimpleEquivalenceTest test, Threshold threshold,
        double alpha, BenchHeader ha, BenchHeader hb)
    {
        double change = b.Median / a.Median - 1;
        double low = b.CiLow / a.CiHigh - 1, high = b.CiHigh / a.CiLow - 1;
        if (a.SamplesMs is not { Count: > 1 } xa || b.SamplesMs is not { Count: > 1 } xb)
            return new SeriesChange(row, series, a.Median, b.Median, change, low, high, double.NaN, NoSamples);
        var sampleA = new Sample(xa);
        var sampleB = new Sample(xb);
        double p = MannWhitneyTest.Instance.Perform(sampleB, sampleA, AlternativeHypothesis.TwoSides, Threshold.Zero).PValue;
        // A median its own run could not pin down is not compared (the rank test assumes independent samples; a busy
        // machine's samples come in bursts that it would take for a change).
        bool noisy = (ha.NoiseLimitPct > 0 && a.CiPct > ha.NoiseLimitPct) || (hb.NoiseLimitPct > 0 && b.CiPct > hb.NoiseLimitPct);
        string verdict = noisy ? Noisy : test.Perform(sampleB, sampleA, threshold, alpha) switch
        {
            ComparisonResult.Greater => Slower,
            ComparisonResult.Lesser => Faster,
            _ => Same,
        };
        return new SeriesChange(row, series, a.Median, b.Median, change, low, high, p, verdict);
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
