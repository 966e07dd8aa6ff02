using System.Globalization;
using System.Text;
using Tessera.Bench.Statistics;

namespace Tessera.Bench;

public sealed partial record BenchReport
{
    private static string N(double? v, string fmt = "0.###") => v is double d ? d.ToString(fmt, CultureInfo.InvariantCulture) : "";

    /// <summary>Text of a baseline cell: "name t ms" or "name: missing (reason)".</summary>
    public static string BaselineCell(BaselineResult? b) => b is null ? "none" :
        b.TimeMs is double t ? $"{b.Name} {N(t, "0.###")} ms" : $"{b.Name}: missing ({b.Missing})";

    /// <summary>The ratio cell: "1.23" (a winner), "≈1.02" (the interval holds 1), "1.23?" (noisy), "" without a ratio.</summary>
    public static string RatioCell(BaselineResult? b) => b?.Ratio is double q ? RatioVerdict.Format(q, b.Verdict) : "";

    /// <summary>The statistics line every text form states once.</summary>
    public string StatisticsNote =>
        $"median of {N(Header.BudgetMs, "0")} ms of samples at most (fewer once its 95 % interval is within ±{N(Header.TargetCiPct, "0.#")} %); " +
        $"rows whose interval is wider than ±{N(Header.NoiseLimitPct, "0.#")} % are noisy; ratio = baseline time / Tessera time " +
        "(above 1: Tessera faster), ≈ when its interval holds 1, ? when either side is noisy (no winner claimed)";

    /// <summary>A warning when the machine's load exceeded its cores during the run, else null.</summary>
    public static string? Busy(BenchHeader h)
    {
        double load = Math.Max(h.LoadStart ?? 0, h.LoadEnd ?? 0);
        if (h.Cores <= 0 || load <= h.Cores) return null;
        return $"Busy machine: load average {N(h.LoadStart, "0.#")} at the start, {N(h.LoadEnd, "0.#")} at the end, on {h.Cores} logical cores: " +
               "other work competed for the cores (multi-threaded kernels wait for descheduled threads), so timings are noisy and rows are flagged where it shows";
    }

    /// <summary>The rows as CSV, one line per op, shape and series.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("op,shape,dtype,pass,time_ms,min_ms,max_ms,p10_ms,p90_ms,ci_low_ms,ci_high_ms,samples,noise_pct,noisy," +
            "gflops,gbps,roofline_pct,baseline,baseline_ms,baseline_ci_low_ms,baseline_ci_high_ms,baseline_samples,ratio,ratio_low,ratio_high," +
            "verdict,verified,baseline_missing\n");
        static string Q(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";
        foreach (var r in Rows)
        {
            var t = r.Time; var b = r.Baseline; var bs = b?.Stats;
            sb.AppendJoin(',', r.Op, Q(r.Shape), r.DType, r.Pass, N(t?.Median, "0.#####"), N(t?.Min, "0.#####"), N(t?.Max, "0.#####"),
                N(t?.P10, "0.#####"), N(t?.P90, "0.#####"), N(t?.CiLow, "0.#####"), N(t?.CiHigh, "0.#####"), N(t?.Samples, "0"),
                N(r.NoisePct, "0.##"), r.Noisy ? "true" : "false", N(r.Gflops, "0.##"), N(r.Gbps, "0.##"), N(r.RooflinePct, "0.#"),
                Q(b?.Name ?? ""), N(b?.TimeMs, "0.#####"), N(bs?.CiLow, "0.#####"), N(bs?.CiHigh, "0.#####"), N(bs?.Samples, "0"),
                N(b?.Ratio, "0.###"), N(b?.RatioLow, "0.###"), N(b?.RatioHigh, "0.###"), b?.Verdict ?? "", r.Verified ? "true" : "false",
                Q(string.Join("; ", r.Baselines.Where(x => x.Missing is not null).Select(x => $"{x.Name}: {x.Missing}"))));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Header lines every text form starts with: device, commit, versions, ceilings, what is unavailable.</summary>
    public IEnumerable<string> HeaderLines()
    {
        var h = Header;
        yield return $"Device: {h.Device} ({h.Backend}), threads {h.Threads}, size {h.Size}{(h.Cold ? ", cold caches" : "")}, {h.Date:yyyy-MM-dd HH:mm} UTC, commit {h.Commit}";
        if (h.Machine.Length > 0) yield return $"Machine: {h.Machine}";
        yield return "Versions: " + string.Join(", ", h.Versions.Select(kv => $"{kv.Key} {kv.Value}"));
        if (h.Ceilings is { } c)
            yield return $"Ceilings: peak {N(c.PeakGflops, "0.#")} GFLOP/s ({N(c.PeakGflopsOneThread, "0.#")} one thread), copy {N(c.CopyGBps, "0.#")} GB/s, non-temporal copy {N(c.CopyNonTemporalGBps, "0.#")} GB/s; roofline uses {N(c.RooflineGflops, "0.#")} GFLOP/s and {N(c.RooflineGBps, "0.#")} GB/s";
        foreach (var u in h.Unavailable) yield return $"Unavailable: {u}";
        if (Busy(h) is { } busy) yield return busy;
        int noisy = Rows.Count(r => r.Noisy);
        if (noisy > 0) yield return $"Noisy: {noisy} of {Rows.Count} rows (Tessera's median known only to within ±{N(h.NoiseLimitPct, "0.#")} % or worse): the machine is busy, and their ratios claim no winner";
    }

    /// <summary>The rows as a Markdown table.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        foreach (var line in HeaderLines()) sb.AppendLine(line).AppendLine();
        sb.AppendLine("| op | pass | shape | median ms | 95 % CI ms | p10–p90 ms | samples | GFLOP/s | GB/s | roofline % | baseline | baseline ms (95 % CI) | ratio (95 % CI) | verified |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|");
        foreach (var r in Rows)
        {
            var list = r.Baselines.Count == 0 ? new BaselineResult?[] { null } : r.Baselines.Cast<BaselineResult?>().ToArray();
            for (int i = 0; i < list.Length; i++)
            {
                var b = list[i];
                string baseName = b is null ? "none" : b.Missing is null ? b.Name : $"{b.Name}: missing ({b.Missing})";
                string baseMs = b?.Stats is { } s ? $"{N(s.Median)} ({N(s.CiLow)}–{N(s.CiHigh)})" : "";
                string ratio = b?.Ratio is double ? $"{RatioCell(b)} ({N(b.RatioLow, "0.00")}–{N(b.RatioHigh, "0.00")})" : "";
                var t = r.Time;
                sb.AppendLine(i == 0
                    ? $"| {r.Op} | {r.Pass} | {r.Shape} | {N(t?.Median)}{(r.Noisy ? " (noisy)" : "")} | {N(t?.CiLow)}–{N(t?.CiHigh)} | {N(t?.P10)}–{N(t?.P90)} | {N(t?.Samples, "0")} | {N(r.Gflops, "0.#")} | {N(r.Gbps, "0.#")} | {N(r.RooflinePct, "0.#")} | {baseName} | {baseMs} | {ratio} | {(r.Verified ? "yes" : "NO: " + r.VerifyNote)} |"
                    : $"| | | | | | | | | | | {baseName} | {baseMs} | {ratio} | |");
            }
        }
        sb.AppendLine();
        sb.AppendLine(StatisticsNote + ". Rows not verified have no ratio.");
        return sb.ToString();
    }
}
