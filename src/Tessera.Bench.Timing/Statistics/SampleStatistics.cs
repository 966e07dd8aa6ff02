using Perfolizer.Mathematics.Distributions.DiscreteDistributions;
using Perfolizer.Mathematics.QuantileEstimators;
using Pragmastat;

namespace Tessera.Bench.Statistics;

/// <summary>The statistics of timing samples, from Perfolizer (the library behind BenchmarkDotNet's statistics):
/// quantiles by the Hyndman–Fan type 7 estimator (the ordinary median, and R's and NumPy's default quantiles) and a
/// distribution-free confidence interval of the median from order statistics (the ranks come from the binomial
/// distribution of how many samples fall below the true median, so no shape of the distribution is assumed).</summary>
public static class SampleStatistics
{
    /// <summary>The confidence level of every interval the bench reports.</summary>
    public const double ConfidenceLevel = 0.95;

    /// <summary>The <paramref name="probability"/>-quantile of <paramref name="values"/> (type 7: linear between order
    /// statistics; 0.5 is the ordinary median).</summary>
    public static double Quantile(IReadOnlyList<double> values, double probability)
    {
        if (values.Count == 0) throw new TesseraArgumentException("SampleStatistics.Quantile", nameof(values), "no samples");
        return SimpleQuantileEstimator.Instance.Quantile(new Sample(values), probability).NominalValue;
    }

    /// <summary>The interval [x₍ₖ₊₁₎, x₍ₙ₋ₖ₎] of ascending <paramref name="sorted"/> samples that holds the population
    /// median with probability at least <see cref="ConfidenceLevel"/>: k is the largest count with
    /// P(Binomial(n, ½) ≤ k) ≤ (1 − level) / 2. Below six samples no k qualifies and the interval is [min, max], whose
    /// coverage is only 1 − 2⁻⁽ⁿ⁻¹⁾.</summary>
    public static (double Low, double High) MedianInterval(IReadOnlyList<double> sorted)
    {
        int n = sorted.Count;
        if (n == 0) throw new TesseraArgumentException("SampleStatistics.MedianInterval", nameof(sorted), "no samples");
        if (n < 6) return (sorted[0], sorted[n - 1]);
        double tail = (1 - ConfidenceLevel) / 2;
        var binomial = new BinomialDistribution(n, 0.5);
        // Start from the normal approximation (n/2 − 1.96·√n/2) and settle on the exact rank in a few steps.
        int k = Math.Max(0, (int)Math.Floor(n / 2.0 - 1.96 * Math.Sqrt(n) / 2) - 2);
        while (k > 0 && binomial.Cdf(k) > tail) k--;
        while (k + 1 < (n - 1) / 2 && binomial.Cdf(k + 1) <= tail) k++;
        return (sorted[k], sorted[n - 1 - k]);
    }

    /// <summary>Half the width of the median's interval in percent of the median: the relative precision that
    /// noise-based stopping drives below its target and that flags a noisy row.</summary>
    public static double RelativeHalfWidthPct(double median, double low, double high) =>
        median > 0 ? 100 * (high - low) / 2 / median : double.PositiveInfinity;
}
