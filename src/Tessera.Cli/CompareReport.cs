using System.Globalization;
using System.Text;
using System.Text.Json;
using Tessera.Bench;
using Tessera.Bench.Models;
using Tessera.Graph.Optimization;

namespace Tessera.Cli;

/// <summary>One model of <c>tessera compare</c>: its name and file, where its inputs came from ("given",
/// "test_data_set_0", "seeded"), and the comparison, or the error that stopped it.</summary>
internal sealed record CompareRow(string Model, string Path, string Inputs, ModelComparison? Result, string? Error);

/// <summary>What <c>tessera compare</c> prints: the machine header as <c>tessera bench</c> prints it, one row per model,
/// and the geometric mean of the ratios, with Tessera's graph optimizer level, and with several threads the contention
/// probes taken before and after the models; as text, Markdown or JSON.</summary>
internal sealed record CompareReport(BenchHeader Header, int Threads, int Rounds, OptimizationLevel Optimization, IReadOnlyList<CompareRow> Rows,
    IReadOnlyList<ContentionProbe>? Probes = null)
{
    private string? ProbeLine => Probes is null ? null : $"contention probe (before, after): {string.Join("; ", Probes)}";

    private const string Legend = "ratio = ONNX Runtime ms / Tessera ms (above 1: Tessera is faster); medians over interleaved rounds. " +
        "rel err = max |Δ| / (|ref| + rms(ref)), against ONNX Runtime's outputs, and against the reference outputs of the test case where it has them.";

    /// <summary>The geometric mean of the ratios of the models that ran, or null when none did.</summary>
    public double? GeometricMean
    {
        get
        {
            var ratios = Rows.Where(r => r.Result is not null).Select(r => r.Result!.Ratio).ToArray();
            return ratios.Length == 0 ? null : Math.Exp(ratios.Average(Math.Log));
        }
    }

    private static string F(double v, string fmt) => v.ToString(fmt, CultureInfo.InvariantCulture);

    private static string Err(OutputDiff? d) => d is null ? "-" : F(d.Normalized, "0.0E+0");

    private string Level => Optimization.ToString().ToLowerInvariant();

    private static string Status(CompareRow r) => r.Error is not null ? "error" : r.Result!.Agrees ? "ok" : "MISMATCH";

    /// <summary>Plain text: a block per model when there is one, a table otherwise.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        foreach (var line in new BenchReport(Header, []).HeaderLines()) sb.AppendLine(line);
        if (ProbeLine is { } probe) sb.AppendLine(probe);
        if (Rows.Count == 1 && Rows[0].Result is { } c)
        {
            var r = Rows[0];
            sb.AppendLine($"model {r.Model} ({r.Path}), inputs {r.Inputs}; {Rounds} interleaved rounds, {Threads} thread(s), --opt {Level}");
            sb.AppendLine($"{"engine",-12} {"median ms",10} {"p10 ms",10} {"p90 ms",10} {"min ms",10} {"calls/round",12}  warm-up");
            foreach (var e in new[] { c.OnnxRuntime, c.Tessera })
                sb.AppendLine($"{e.Engine,-12} {F(e.Time.Median, "0.000"),10} {F(e.Time.P10, "0.000"),10} {F(e.Time.P90, "0.000"),10} " +
                              $"{F(e.Time.Min, "0.000"),10} {e.CallsPerRound,12}  {e.Warmup.Calls} calls, {F(e.Warmup.Ms / 1000, "0.0")} s");
            sb.AppendLine($"ratio ORT ms / Tessera ms: {F(c.Ratio, "0.00")}");
            sb.AppendLine($"outputs, Tessera vs ONNX Runtime: max abs {F(c.Diff.MaxAbs, "0.0E+0")}, rel err {Err(c.Diff)}" +
                          (c.TesseraVsReference is null ? "" : $"; vs the reference: Tessera rel err {Err(c.TesseraVsReference)}, ONNX Runtime {Err(c.OnnxRuntimeVsReference)}") +
                          $" ({Status(r)})");
            sb.AppendLine(Legend);
            return sb.ToString().TrimEnd();
        }
        sb.AppendLine($"{Rounds} interleaved rounds, {Threads} thread(s), --opt {Level}");
        sb.AppendLine($"{"model",-22} {"ORT ms",10} {"Tessera ms",11} {"ratio",7} {"max abs",9} {"rel err",9} {"vs ref",9}  status");
        foreach (var r in Rows)
        {
            if (r.Result is not { } m) { sb.AppendLine($"{r.Model,-22} error: {r.Error}"); continue; }
            sb.AppendLine($"{r.Model,-22} {F(m.OnnxRuntime.Time.Median, "0.000"),10} {F(m.Tessera.Time.Median, "0.000"),11} {F(m.Ratio, "0.00"),7} " +
                          $"{F(m.Diff.MaxAbs, "0.0E+0"),9} {Err(m.Diff),9} {Err(m.TesseraVsReference),9}  {Status(r)}");
        }
        if (GeometricMean is double g) sb.AppendLine($"geometric mean of the ratio over {Rows.Count(r => r.Result is not null)} model(s): {F(g, "0.00")}");
        sb.AppendLine(Legend);
        return sb.ToString().TrimEnd();
    }

    /// <summary>A Markdown table (ORT and Tessera medians with p10–p90, ratio, differences), the geometric mean and the
    /// machine header as a code block.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("```");
        foreach (var line in new BenchReport(Header, []).HeaderLines()) sb.AppendLine(line);
        sb.AppendLine($"{Rounds} interleaved rounds, {Threads} thread(s), --opt {Level}, {Header.Date:yyyy-MM-dd HH:mm} UTC");
        if (ProbeLine is { } probe) sb.AppendLine(probe);
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("| model | ORT ms (p10–p90) | Tessera ms (p10–p90) | ratio | max abs diff | rel err vs ORT | rel err vs reference | status |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in Rows)
        {
            if (r.Result is not { } m) { sb.AppendLine($"| {r.Model} | | | | | | | error: {r.Error?.Replace("|", "\\|", StringComparison.Ordinal)} |"); continue; }
            static string T(EngineTiming e) => $"{F(e.Time.Median, "0.000")} ({F(e.Time.P10, "0.00")}–{F(e.Time.P90, "0.00")})";
            sb.AppendLine($"| {r.Model} | {T(m.OnnxRuntime)} | {T(m.Tessera)} | {F(m.Ratio, "0.00")} | {F(m.Diff.MaxAbs, "0.0E+0")} | {Err(m.Diff)} | " +
                          $"{Err(m.TesseraVsReference)} | {Status(r)} |");
        }
        if (GeometricMean is double g) sb.AppendLine($"| **geometric mean** | | | **{F(g, "0.00")}** | | | | |");
        sb.AppendLine();
        sb.AppendLine(Legend);
        return sb.ToString().TrimEnd();
    }

    /// <summary>The JSON document: header, settings, one object per model, the geometric mean.</summary>
    public string ToJson()
    {
        static object Timing(EngineTiming e) => new
        {
            median_ms = e.Time.Median, p10_ms = e.Time.P10, p90_ms = e.Time.P90, min_ms = e.Time.Min, max_ms = e.Time.Max,
            rounds = e.Time.Samples, calls_per_round = e.CallsPerRound, warmup_calls = e.Warmup.Calls, warmup_ms = e.Warmup.Ms,
        };
        static object? Diff(OutputDiff? d) => d is null ? null : new { max_abs = Finite(d.MaxAbs), max_rel = Finite(d.MaxRel), rel_err = Finite(d.Normalized) };
        var doc = new
        {
            header = Header,
            threads = Threads,
            rounds = Rounds,
            optimization = Level,
            contention_probes = Probes?.Select(p => new { threads = p.Threads, fma_scaling = p.FmaScaling, copy_scaling = p.CopyScaling }),
            tolerance = ModelComparer.Tolerance,
            models = Rows.Select(r => new
            {
                model = r.Model, path = r.Path, inputs = r.Inputs, status = Status(r), error = r.Error,
                onnxruntime = r.Result is null ? null : Timing(r.Result.OnnxRuntime),
                tessera = r.Result is null ? null : Timing(r.Result.Tessera),
                ratio = r.Result?.Ratio,
                diff = Diff(r.Result?.Diff),
                reference = r.Result?.TesseraVsReference is null ? null : new { tessera = Diff(r.Result.TesseraVsReference), onnxruntime = Diff(r.Result.OnnxRuntimeVsReference) },
            }),
            geomean_ratio = GeometricMean,
        };
        return JsonSerializer.Serialize(doc, Cli.IndentedJson);
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
