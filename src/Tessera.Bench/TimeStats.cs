namespace Tessera.Bench;

/// <summary>The distribution of a set of timings in milliseconds: median, 10th and 90th percentiles, extremes.
/// Percentiles interpolate linearly between the two nearest order statistics (NumPy's default), so the median of an
/// even count is the mean of the middle two.</summary>
public sealed record TimeStats(double MedianMs, double P10Ms, double P90Ms, double MinMs, double MaxMs, int Samples)
{
    /// <summary>The statistics of <paramref name="ms"/> (at least one timing).</summary>
    public static TimeStats Of(IReadOnlyCollection<double> ms)
    {
        ArgumentNullException.ThrowIfNull(ms);
        if (ms.Count == 0) throw new TesseraArgumentException("TimeStats.Of", nameof(ms), "no timings");
        var sorted = ms.Order().ToArray();
        return new TimeStats(Percentile(sorted, 0.5), Percentile(sorted, 0.1), Percentile(sorted, 0.9), sorted[0], sorted[^1], sorted.Length);
    }

    /// <summary>The <paramref name="q"/>-quantile (0 ≤ q ≤ 1) of ascending <paramref name="sorted"/> values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0) throw new TesseraArgumentException("TimeStats.Percentile", nameof(sorted), "no values");
        if (!(q >= 0 && q <= 1)) throw new TesseraArgumentException("TimeStats.Percentile", nameof(q), $"must be in [0, 1], got {q}");
        double pos = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
