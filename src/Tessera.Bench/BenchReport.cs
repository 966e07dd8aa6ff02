using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Bench;

/// <summary>Time per call in milliseconds: the median with its 95 % confidence interval, p10/p90, extremes, the number
/// of samples and the samples themselves (what <c>tessera bench compare</c> runs its rank test on).</summary>
public sealed record TimeStats(
    [property: JsonPropertyName("median")] double Median,
    [property: JsonPropertyName("min")] double Min,
    [property: JsonPropertyName("max")] double Max,
    [property: JsonPropertyName("p10")] double P10,
    [property: JsonPropertyName("p90")] double P90,
    [property: JsonPropertyName("ci_low")] double CiLow,
    [property: JsonPropertyName("ci_high")] double CiHigh,
    [property: JsonPropertyName("ci_pct")] double CiPct,
    [property: JsonPropertyName("noise_pct")] double NoisePct,
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("calls_per_sample")] int CallsPerSample,
    [property: JsonPropertyName("samples_ms"), JsonConverter(typeof(OneLineArrayConverter))] IReadOnlyList<double> SamplesMs)
{
    /// <summary>The statistics of per-call timings <paramref name="ms"/> (at least one), as <see cref="BenchTimer.Summarise"/>
    /// computes them.</summary>
    public static TimeStats Of(IEnumerable<double> ms) => From(BenchTimer.Summarise(ms.ToArray()));

    /// <summary>With several passes (<c>tessera bench --passes</c>): the median of each pass, in the order run; null for a
    /// single pass.</summary>
    [JsonPropertyName("pass_medians"), JsonConverter(typeof(OneLineArrayConverter))] public IReadOnlyList<double>? PassMedians { get; init; }

    /// <summary>The report's form of a measurement (samples rounded to 6 significant digits).</summary>
    public static TimeStats From(Measurement m) => new(m.MedianMs, m.MinMs, m.MaxMs, m.P10Ms, m.P90Ms, m.CiLowMs, m.CiHighMs,
        Math.Round(m.CiPct, 3), Math.Round(m.NoisePct, 3), m.Samples, m.CallsPerSample,
        m.SamplesMs.Select(s => double.Parse(s.ToString("G6", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture)).ToArray());
}

/// <summary>A baseline's result for a row: its median time and full statistics, the ratio (baseline time / our time:
/// above 1 means Tessera is faster) with its interval and verdict (<see cref="Statistics.RatioVerdict"/>), or why it is
/// missing.</summary>
public sealed record BaselineResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("time_ms")] double? TimeMs,
    [property: JsonPropertyName("ratio")] double? Ratio,
    [property: JsonPropertyName("missing")] string? Missing)
{
    /// <summary>The baseline's timing statistics, when it was timed.</summary>
    [JsonPropertyName("stats")] public TimeStats? Stats { get; init; }
    /// <summary>The lower end of the ratio's confidence interval.</summary>
    [JsonPropertyName("ratio_low")] public double? RatioLow { get; init; }
    /// <summary>The upper end of the ratio's confidence interval.</summary>
    [JsonPropertyName("ratio_high")] public double? RatioHigh { get; init; }

    /// <summary>faster | slower | same | noisy (Tessera against this baseline), null without a ratio.</summary>
    [JsonPropertyName("verdict")] public string? Verdict { get; init; }
}

/// <summary>One measured row.</summary>
public sealed record BenchRow(
    [property: JsonPropertyName("op")] string Op,
    [property: JsonPropertyName("shape")] string Shape,
    [property: JsonPropertyName("dtype")] string DType,
    [property: JsonPropertyName("pass")] string Pass,
    [property: JsonPropertyName("time_ms")] TimeStats? Time,
    [property: JsonPropertyName("noise_pct")] double? NoisePct,
    [property: JsonPropertyName("flops")] double Flops,
    [property: JsonPropertyName("bytes")] double Bytes,
    [property: JsonPropertyName("gflops")] double? Gflops,
    [property: JsonPropertyName("gbps")] double? Gbps,
    [property: JsonPropertyName("roofline_pct")] double? RooflinePct,
    [property: JsonPropertyName("baseline")] BaselineResult? Baseline,
    [property: JsonPropertyName("baselines")] IReadOnlyList<BaselineResult> Baselines,
    [property: JsonPropertyName("verified")] bool Verified,
    [property: JsonPropertyName("verify_note")] string VerifyNote)
{
    /// <summary>True when Tessera's median is less precise than the run's noise limit (its ratios claim no winner).</summary>
    [JsonPropertyName("noisy")] public bool Noisy { get; init; }

    /// <summary>In a sweep: the dimension that varies, else null.</summary>
    [JsonPropertyName("sweep_axis")] public string? SweepAxis { get; init; }

    /// <summary>In a sweep: that dimension's value.</summary>
    [JsonPropertyName("sweep_value")] public double? SweepValue { get; init; }

    /// <summary>The row's identity across runs (what <c>bench compare</c> matches rows by).</summary>
    [JsonIgnore] public string Key => $"{Op} {Pass} {Shape} {DType}";
}

/// <summary>The measured ceilings the roofline uses.</summary>
public sealed record CeilingsInfo(
    [property: JsonPropertyName("peak_gflops")] double PeakGflops,
    [property: JsonPropertyName("peak_gflops_one_thread")] double PeakGflopsOneThread,
    [property: JsonPropertyName("copy_gbps")] double CopyGBps,
    [property: JsonPropertyName("copy_nt_gbps")] double CopyNonTemporalGBps,
    [property: JsonPropertyName("roofline_gflops")] double RooflineGflops,
    [property: JsonPropertyName("roofline_gbps")] double RooflineGBps);

/// <summary>Report header: what ran where, built from which commit, with which libraries and statistics.</summary>
public sealed record BenchHeader(
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("backend")] string Backend,
    [property: JsonPropertyName("versions")] IReadOnlyDictionary<string, string> Versions,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("size")] string Size,
    [property: JsonPropertyName("cold")] bool Cold,
    [property: JsonPropertyName("ceilings")] CeilingsInfo? Ceilings,
    [property: JsonPropertyName("date")] DateTime Date,
    [property: JsonPropertyName("unavailable")] IReadOnlyList<string> Unavailable)
{
    /// <summary>The git commit Tessera was built from ("+dirty" when the tree had changes), or "unknown".</summary>
    [JsonPropertyName("commit")] public string Commit { get; init; } = "unknown";

    /// <summary>The machine: host name, processor and core count (bench compare says when two runs differ in it).</summary>
    [JsonPropertyName("machine")] public string Machine { get; init; } = "";

    /// <summary>The 1-minute load average when the run started and ended, and the logical cores: a load above the cores
    /// means other work competed for them (and multi-threaded kernels wait for descheduled threads).</summary>
    [JsonPropertyName("load_start")] public double? LoadStart { get; init; }
    /// <summary>The 1-minute load average when the run ended.</summary>
    [JsonPropertyName("load_end")] public double? LoadEnd { get; init; }
    /// <summary>The logical cores of the machine.</summary>
    [JsonPropertyName("cores")] public int Cores { get; init; }

    /// <summary>Sampling stops when the median's 95 % interval is within ± this percentage.</summary>
    [JsonPropertyName("target_ci_pct")] public double TargetCiPct { get; init; }

    /// <summary>A median whose 95 % interval is wider than ± this percentage is flagged noisy.</summary>
    [JsonPropertyName("noise_limit_pct")] public double NoiseLimitPct { get; init; }

    /// <summary>How many passes over all rows the run made, in all its launches (each row's samples pooled from all).</summary>
    [JsonPropertyName("passes")] public int Passes { get; init; } = 1;

    /// <summary>How many processes the run was made by (<c>tessera bench --launches</c>; <see cref="Passes"/> counts the
    /// passes of all of them).</summary>
    [JsonPropertyName("launches")] public int Launches { get; init; } = 1;

    /// <summary>The sampling time budget per measured series (per pass).</summary>
    [JsonPropertyName("budget_ms")] public double BudgetMs { get; init; }
}

/// <summary>A bench report: one header, many rows (text forms in BenchReport.Text.cs).</summary>
public sealed partial record BenchReport(
    [property: JsonPropertyName("header")] BenchHeader Header,
    [property: JsonPropertyName("rows")] IReadOnlyList<BenchRow> Rows)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>The report as JSON (the layout of tessera-bench-*.json).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>A report read back from its JSON.</summary>
    public static BenchReport FromJson(string json) =>
        JsonSerializer.Deserialize<BenchReport>(json, Json) ?? throw new TesseraArgumentException(nameof(BenchReport), nameof(json), "empty report");
}
