using System.Text.Json;
using Tessera.Bench;
using Tessera.Tests.Support;

namespace Tessera.Tests.Bench;

public class BenchSuiteTests
{
    private static readonly string[] RequiredOps =
    [
        "gemm", "batched_gemm", "conv2d", "conv2d_dgrad", "conv2d_wgrad", "maxpool", "avgpool", "batchnorm", "layernorm",
        "softmax", "cross_entropy", "attention", "attention_causal", "adam", "momentum", "relu", "sigmoid", "gelu", "add",
    ];

    [Fact]
    public void SmallSuiteVerifiesEveryRowAgainstTheReference()
    {
        var report = BenchRunner.Run(TestDevices.Cpu, new BenchSettings(BenchSize.Small, Threads: 1, Time: false));
        var failed = report.Rows.Where(r => !r.Verified).Select(r => $"{r.Op} {r.Pass}: {r.VerifyNote}").ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed));
        foreach (var op in RequiredOps) Assert.Contains(report.Rows, r => r.Op == op);
        foreach (var op in new[] { "conv2d_dgrad", "conv2d_wgrad" }) Assert.Contains(report.Rows, r => r.Op == op && r.Pass == "bwd");
        foreach (var op in new[] { "batchnorm", "layernorm", "attention", "attention_causal" })
        {
            Assert.Contains(report.Rows, r => r.Op == op && r.Pass == "fwd");
            Assert.Contains(report.Rows, r => r.Op == op && r.Pass == "bwd");
        }
    }

    [Fact]
    public void JsonReportFollowsTheDocumentedSchema()
    {
        // Two cheap ops timed with minimal budgets (the values are not asserted: this checks the report's shape).
        var ceilings = new MachineCeilings("test", 1, 100, 100, 20, 30, DateTime.UtcNow);
        var settings = new BenchSettings(BenchSize.Small, 1, Ops: ["add", "relu"], Ceilings: ceilings,
            Timing: new BenchOptions(WarmupMs: 0, RepeatMs: 1, MinWarmupCalls: 60, MinSamples: 3));
        var json = BenchRunner.Run(TestDevices.Cpu, settings).ToJson();
        using var doc = JsonDocument.Parse(json);
        var header = doc.RootElement.GetProperty("header");
        Assert.Equal("cpu", header.GetProperty("backend").GetString());
        Assert.False(string.IsNullOrEmpty(header.GetProperty("device").GetString()));
        Assert.Equal(1, header.GetProperty("threads").GetInt32());
        Assert.True(header.GetProperty("versions").TryGetProperty(".net", out _));
        Assert.True(header.GetProperty("versions").TryGetProperty("openblas", out _));
        Assert.Equal(100, header.GetProperty("ceilings").GetProperty("roofline_gflops").GetDouble());
        Assert.Equal(30, header.GetProperty("ceilings").GetProperty("roofline_gbps").GetDouble());
        Assert.True(header.GetProperty("date").TryGetDateTime(out _));
        // The build's commit (a 40-digit hash, "+dirty" when the tree differed; "unknown" only outside git) and every
        // library's version, the statistics library included.
        Assert.Matches("^([0-9a-f]{40}(\\+dirty)?|unknown)$", header.GetProperty("commit").GetString());
        Assert.True(header.GetProperty("versions").TryGetProperty("perfolizer", out _));
        Assert.True(header.GetProperty("versions").TryGetProperty("onnxruntime", out _));
        Assert.False(string.IsNullOrEmpty(header.GetProperty("machine").GetString()));
        Assert.Equal(5, header.GetProperty("noise_limit_pct").GetDouble());

        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);
        foreach (var row in rows)
        {
            foreach (var field in new[] { "op", "shape", "dtype", "pass" }) Assert.Equal(JsonValueKind.String, row.GetProperty(field).ValueKind);
            var t = row.GetProperty("time_ms");
            double median = t.GetProperty("median").GetDouble(), min = t.GetProperty("min").GetDouble(), max = t.GetProperty("max").GetDouble();
            Assert.True(min > 0 && min <= median && median <= max);
            // Statistics in every row: quantiles, the median's 95 % interval, the samples themselves.
            double p10 = t.GetProperty("p10").GetDouble(), p90 = t.GetProperty("p90").GetDouble();
            double ciLow = t.GetProperty("ci_low").GetDouble(), ciHigh = t.GetProperty("ci_high").GetDouble();
            Assert.True(min <= p10 && p10 <= median && median <= p90 && p90 <= max);
            Assert.True(min <= ciLow && ciLow <= median && median <= ciHigh && ciHigh <= max);
            int samples = t.GetProperty("samples").GetInt32();
            Assert.True(samples >= 3);
            Assert.Equal(samples, t.GetProperty("samples_ms").GetArrayLength());
            // A row is flagged noisy exactly when its median's interval is wider than the noise limit.
            Assert.Equal(t.GetProperty("ci_pct").GetDouble() > 5, row.GetProperty("noisy").GetBoolean());
            foreach (var field in new[] { "noise_pct", "gflops", "gbps", "roofline_pct", "flops", "bytes" })
                Assert.Equal(JsonValueKind.Number, row.GetProperty(field).ValueKind);
            Assert.True(row.GetProperty("verified").GetBoolean());
            // gflops and roofline follow from the work and the median.
            Assert.Equal(row.GetProperty("flops").GetDouble() / (median * 1e6), row.GetProperty("gflops").GetDouble(), 6);
            double floor = ceilings.FloorMs(row.GetProperty("flops").GetDouble(), row.GetProperty("bytes").GetDouble(), singleThread: true);
            Assert.Equal(100 * floor / median, row.GetProperty("roofline_pct").GetDouble(), 6);
            var baseline = row.GetProperty("baseline");
            Assert.Equal(JsonValueKind.String, baseline.GetProperty("name").ValueKind);
            foreach (var b in row.GetProperty("baselines").EnumerateArray())
            {
                // Either timed with a ratio, or missing with a reason: never silently dropped.
                if (b.GetProperty("time_ms").ValueKind == JsonValueKind.Number)
                {
                    Assert.Equal(b.GetProperty("time_ms").GetDouble() / median, b.GetProperty("ratio").GetDouble(), 6);
                    // The baseline has the same statistics as our row, and a verdict from the two intervals.
                    var bs = b.GetProperty("stats");
                    Assert.Equal(b.GetProperty("time_ms").GetDouble(), bs.GetProperty("median").GetDouble());
                    Assert.Equal(bs.GetProperty("samples").GetInt32(), bs.GetProperty("samples_ms").GetArrayLength());
                    Assert.True(b.GetProperty("ratio_low").GetDouble() <= b.GetProperty("ratio").GetDouble());
                    Assert.True(b.GetProperty("ratio").GetDouble() <= b.GetProperty("ratio_high").GetDouble());
                    Assert.Contains(b.GetProperty("verdict").GetString(), new[] { "faster", "slower", "same", "noisy" });
                }
                else
                    Assert.False(string.IsNullOrEmpty(b.GetProperty("missing").GetString()));
            }
        }
        Assert.Contains(rows, r => r.GetProperty("baselines").EnumerateArray().Any(b => b.GetProperty("name").GetString()!.StartsWith("TensorPrimitives")));
        // The report reads back.
        Assert.Equal(2, BenchReport.FromJson(json).Rows.Count);
    }

    [Fact]
    public void UnverifiedRowIsMarkedAndHasNoRatio()
    {
        var c = new BenchCase("broken", Kernels.OpKind.Unary, "4", "fwd", Work.Unary(4), ctx =>
        {
            var x = ctx.In("x", [4]); var y = ctx.Out(4);
            void Run() => ctx.Device.Kernels.Unary(Kernels.UnaryOp.Neg, x, y, default);
            // Checks Neg against the reference of Abs: must fail.
            return new BenchInstance(Run, () =>
            {
                Run();
                return Verify.Close("y", Tessera.Reference.RefElementwise.Unary(Kernels.UnaryOp.Abs, ctx.Ref("x")), y);
            }, ctx);
        }, [new BaselineSpec("noop", (_, _) => new BaselineRun(() => { }))]);
        var row = BenchRunner.RunCase(TestDevices.Cpu, c, new BenchSettings(BenchSize.Small, 1,
            Timing: new BenchOptions(WarmupMs: 0, RepeatMs: 1, MinSamples: 3)));
        Assert.False(row.Verified);
        Assert.Contains("tol", row.VerifyNote);
        var b = Assert.Single(row.Baselines);
        Assert.NotNull(b.TimeMs);
        Assert.Null(b.Ratio);
    }

    [Fact]
    public void MissingBaselineIsReportedWithItsReason()
    {
        var c = BenchCatalog.Filter(BenchCatalog.Cases(BenchSize.Small), ["add"])[0] with
        {
            Baselines = [new BaselineSpec("absent", (_, _) => throw new BaselineUnavailableException("libabsent.so.1 not found"))],
        };
        var row = BenchRunner.RunCase(TestDevices.Cpu, c, new BenchSettings(BenchSize.Small, 1,
            Timing: new BenchOptions(WarmupMs: 0, RepeatMs: 1, MinSamples: 3)));
        Assert.True(row.Verified);
        var b = Assert.Single(row.Baselines);
        Assert.Null(b.TimeMs);
        Assert.Equal("libabsent.so.1 not found", b.Missing);
    }

    [Fact]
    public void VerificationFailsOnWrongOrUnwrittenOutput()
    {
        var r = new double[] { 1, -2, 3, 4 };
        Assert.True(Verify.Close("ok", r, [1f, -2f, 3f, 4f], 1e-6).Ok);
        Assert.False(Verify.Close("off", r, [1f, -2f, 3.01f, 4f], 1e-3).Ok);
        Assert.False(Verify.Close("nan", r, [1f, float.NaN, 3f, 4f], 1e-3).Ok);
    }
}
