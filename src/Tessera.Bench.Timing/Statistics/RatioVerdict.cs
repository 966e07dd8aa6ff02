namespace Tessera.Bench.Statistics;

/// <summary>A baseline against Tessera: ratio = baseline time / Tessera time (above 1: Tessera faster), its interval from
/// the two medians' 95 % intervals ([baseline low / Tessera high, baseline high / Tessera low]), and what may be claimed:
/// <see cref="Faster"/> or <see cref="Slower"/> only when the interval excludes 1 and both medians are precise,
/// <see cref="Same"/> ("≈") when the interval holds 1, <see cref="Noisy"/> when either median's interval is wider than
/// the noise limit (no winner is claimed).</summary>
public sealed record RatioVerdict(double Ratio, double Low, double High, string Verdict)
{
    /// <summary>Tessera is faster (the whole interval is above 1).</summary>
    public const string Faster = "faster";

    /// <summary>Tessera is slower (the whole interval is below 1).</summary>
    public const string Slower = "slower";

    /// <summary>No difference can be claimed: the interval holds 1.</summary>
    public const string Same = "same";

    /// <summary>One of the two medians is too imprecise to compare.</summary>
    public const string Noisy = "noisy";

    /// <summary>Judges a baseline's measurement against Tessera's.</summary>
    public static RatioVerdict Judge(Measurement tessera, Measurement baseline, double noiseLimitPct)
    {
        double ratio = baseline.MedianMs / tessera.MedianMs;
        double low = baseline.CiLowMs / tessera.CiHighMs, high = baseline.CiHighMs / tessera.CiLowMs;
        string verdict = tessera.CiPct > noiseLimitPct || baseline.CiPct > noiseLimitPct ? Noisy
            : low <= 1 && high >= 1 ? Same
            : low > 1 ? Faster : Slower;
        return new RatioVerdict(ratio, low, high, verdict);
    }

    /// <summary>The ratio as a table shows it: "1.23", "≈1.02" when no winner can be claimed, "1.23?" when noisy.</summary>
    public static string Format(double ratio, string? verdict) => verdict switch
    {
        Same => "≈" + ratio.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
        Noisy => ratio.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + "?",
        _ => ratio.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
    };
}
