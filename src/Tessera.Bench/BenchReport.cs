using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Bench;

/// <summary>Median, min and max time per call in milliseconds.</summary>
public sealed record TimeMs(
    [property: JsonPropertyName("median")] double Median,
    [property: JsonPropertyName("min")] double Min,
    [property: JsonPropertyName("max")] double Max);

/// <summary>A baseline's result for a row: its time and our ratio (baseline time / our time: above 1 means Tessera is
/// faster), or why it is missing.</summary>
public sealed record BaselineResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("time_ms")] double? TimeMs,
    [property: JsonPropertyName("ratio")] double? Ratio,
    [property: JsonPropertyName("missing")] string? Missing);

/// <summary>One measured row.</summary>
public sealed record BenchRow(
    [property: JsonPropertyName("op")] string Op,
    [property: JsonPropertyName("shape")] string Shape,
    [property: JsonPropertyName("dtype")] string DType,
    [property: JsonPropertyName("pass")] string Pass,
    [property: JsonPropertyName("time_ms")] TimeMs? Time,
    [property: JsonPropertyName("noise_pct")] double? NoisePct,
    [property: JsonPropertyName("flops")] double Flops,
    [property: JsonPropertyName("bytes")] double Bytes,
    [property: JsonPropertyName("gflops")] double? Gflops,
    [property: JsonPropertyName("gbps")] double? Gbps,
    [property: JsonPropertyName("roofline_pct")] double? RooflinePct,
    [property: JsonPropertyName("baseline")] BaselineResult? Baseline,
    [property: JsonPropertyName("baselines")] IReadOnlyList<BaselineResult> Baselines,
    [property: JsonPropertyName("verified")] bool Verified,
    [property: JsonPropertyName("verify_note")] string VerifyNote);

/// <summary>The measured ceilings the roofline uses.</summary>
public sealed record CeilingsInfo(
    [property: JsonPropertyName("peak_gflops")] double PeakGflops,
    [property: JsonPropertyName("peak_gflops_one_thread")] double PeakGflopsOneThread,
    [property: JsonPropertyName("copy_gbps")] double CopyGBps,
    [property: JsonPropertyName("copy_nt_gbps")] double CopyNonTemporalGBps,
    [property: JsonPropertyName("roofline_gflops")] double RooflineGflops,
    [property: JsonPropertyName("roofline_gbps")] double RooflineGBps);

/// <summary>Report header: what ran where.</summary>
public sealed record BenchHeader(
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("backend")] string Backend,
    [property: JsonPropertyName("versions")] IReadOnlyDictionary<string, string> Versions,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("size")] string Size,
    [property: JsonPropertyName("cold")] bool Cold,
    [property: JsonPropertyName("ceilings")] CeilingsInfo? Ceilings,
    [property: JsonPropertyName("date")] DateTime Date,
    [property: JsonPropertyName("unavailable")] IReadOnlyList<string> Unavailable);

/// <summary>A bench report: one header, many rows.</summary>
public sealed record BenchReport(
    [property: JsonPropertyName("header")] BenchHeader Header,
    [property: JsonPropertyName("rows")] IReadOnlyList<BenchRow> Rows)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static BenchReport FromJson(string json) =>
        JsonSerializer.Deserialize<BenchReport>(json, Json) ?? throw new TesseraArgumentException(nameof(BenchReport), nameof(json), "empty report");

    private static string N(double? v, string fmt = "0.###") => v is double d ? d.ToString(fmt, CultureInfo.InvariantCulture) : "";

    /// <summary>Text of a baseline cell: "name t ms (×ratio)" or "name: missing (reason)".</summary>
    public static string BaselineCell(BaselineResult? b) => b is null ? "none" :
        b.TimeMs is double t ? $"{b.Name} {N(t, "0.###")} ms" : $"{b.Name}: missing ({b.Missing})";

    public string ToCsv()
    {
        var sb = new StringBuilder("op,shape,dtype,pass,time_ms,min_ms,max_ms,noise_pct,gflops,gbps,roofline_pct,baseline,baseline_ms,ratio,verified,baseline_missing\n");
        foreach (var r in Rows)
        {
            string Q(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";
            sb.AppendJoin(',', r.Op, Q(r.Shape), r.DType, r.Pass, N(r.Time?.Median, "0.#####"), N(r.Time?.Min, "0.#####"),
                N(r.Time?.Max, "0.#####"), N(r.NoisePct, "0.##"), N(r.Gflops, "0.##"), N(r.Gbps, "0.##"), N(r.RooflinePct, "0.#"),
                Q(r.Baseline?.Name ?? ""), N(r.Baseline?.TimeMs, "0.#####"), N(r.Baseline?.Ratio, "0.###"), r.Verified ? "true" : "false",
                Q(string.Join("; ", r.Baselines.Where(b => b.Missing is not null).Select(b => $"{b.Name}: {b.Missing}"))));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    public string ToMarkdown()
    {
        var h = Header;
        var sb = new StringBuilder();
        sb.AppendLine($"Device: {h.Device} ({h.Backend}), threads {h.Threads}, size {h.Size}{(h.Cold ? ", cold caches" : "")}, {h.Date:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine();
        sb.AppendLine("Versions: " + string.Join(", ", h.Versions.Select(kv => $"{kv.Key} {kv.Value}")));
        if (h.Ceilings is { } c)
            sb.AppendLine($"\nCeilings: peak {N(c.PeakGflops, "0.#")} GFLOP/s ({N(c.PeakGflopsOneThread, "0.#")} one thread), copy {N(c.CopyGBps, "0.#")} GB/s, non-temporal copy {N(c.CopyNonTemporalGBps, "0.#")} GB/s; roofline uses {N(c.RooflineGflops, "0.#")} GFLOP/s and {N(c.RooflineGBps, "0.#")} GB/s");
        foreach (var u in h.Unavailable) sb.AppendLine($"\nUnavailable: {u}");
        sb.AppendLine();
        sb.AppendLine("| op | pass | shape | median ms | min–max ms | noise % | GFLOP/s | GB/s | roofline % | baseline | baseline ms | ratio | verified |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|");
        foreach (var r in Rows)
        {
            foreach (var (b, i) in (r.Baselines.Count == 0 ? new BaselineResult?[] { null } : r.Baselines.Cast<BaselineResult?>().ToArray()).Select((b, i) => (b, i)))
            {
                bool first = i == 0;
                string baseName = b is null ? "none" : b.Missing is null ? b.Name : $"{b.Name}: missing ({b.Missing})";
                sb.AppendLine(first
                    ? $"| {r.Op} | {r.Pass} | {r.Shape} | {N(r.Time?.Median, "0.###")} | {N(r.Time?.Min, "0.###")}–{N(r.Time?.Max, "0.###")} | {N(r.NoisePct, "0.#")} | {N(r.Gflops, "0.#")} | {N(r.Gbps, "0.#")} | {N(r.RooflinePct, "0.#")} | {baseName} | {N(b?.TimeMs, "0.###")} | {N(b?.Ratio, "0.00")} | {(r.Verified ? "yes" : "NO: " + r.VerifyNote)} |"
                    : $"| | | | | | | | | | {baseName} | {N(b?.TimeMs, "0.###")} | {N(b?.Ratio, "0.00")} | |");
            }
        }
        sb.AppendLine();
        sb.AppendLine("ratio = baseline time / Tessera time (above 1: Tessera is faster). Rows not verified have no ratio.");
        return sb.ToString();
    }
}
