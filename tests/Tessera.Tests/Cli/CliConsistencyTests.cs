using System.CommandLine;
using Spectre.Console;
using Tessera.Bench;
using Tessera.Cli;

namespace Tessera.Tests.Cli;

/// <summary>The <c>tessera</c> command line: every option documented, one thread policy, tables that fit the terminal.</summary>
public class CliConsistencyTests
{
    private static readonly Command[] Commands =
    [
        DevicesCommand.Create(), TrainCommand.Create(), ProfileCommand.Create(), BenchCommand.Create(), OnnxTestCommand.Create(), RunCommand.Create(),
    ];

    private static IEnumerable<Command> All(Command c) => new[] { c }.Concat(c.Subcommands.SelectMany(All));

    [Fact]
    public void EveryOptionAndArgumentIsDocumented()
    {
        var missing = Commands.SelectMany(All).SelectMany(c =>
            c.Options.Where(o => string.IsNullOrWhiteSpace(o.Description)).Select(o => $"{c.Name} {o.Name}")
             .Concat(c.Arguments.Where(a => string.IsNullOrWhiteSpace(a.Description)).Select(a => $"{c.Name} <{a.Name}>"))).ToList();
        Assert.True(missing.Count == 0, "undocumented: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryThreadsOptionFollowsTheOnePolicy()
    {
        var threads = Commands.SelectMany(All).SelectMany(c => c.Options).Where(o => o.Name == "--threads").Cast<Option<int>>().ToList();
        Assert.True(threads.Count >= 5, $"{threads.Count} commands have --threads");
        var parsed = threads.Select(o => new RootCommand { o }.Parse([]).GetValue(o)).Distinct().ToList();
        Assert.Equal([Environment.ProcessorCount], parsed);
        Assert.Single(threads.Select(o => o.Description).Distinct());
    }

    private static BenchReport WideReport()
    {
        var t = TimeStats.From(BenchTimer.Summarise([1.0, 1.1, 1.2, 1.05, 1.15, 1.12, 1.01, 1.3, 1.08, 1.11]));
        var header = new BenchHeader("AMD EPYC 9654 96-Core Processor", "cpu", new Dictionary<string, string> { ["onnxruntime"] = "1.31.1" }, 2,
            "medium", false, null, DateTime.UnixEpoch, []) { NoiseLimitPct = 5, TargetCiPct = 2, BudgetMs = 1000 };
        var baselines = new[]
        {
            new BaselineResult("OpenBLAS cblas_sgemm", 1.2, 1.1, null) { Stats = t, RatioLow = 1.01, RatioHigh = 1.2, Verdict = "faster" },
            new BaselineResult("ONNX Runtime", null, null, "ONNX has no operator for this gradient (ONNX Runtime computes gradients only in its training build)"),
        };
        var row = new BenchRow("attention_causal", "x 1024x1024x1024 * 1024x1024x1024", "f32", "bwd", t, 2, 1e9, 1e7, 120.5, 3.2, 55, baselines[0],
            baselines, true, "");
        return new BenchReport(header, [row, row with { Op = "conv2d_wgrad" }]);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(120)]
    [InlineData(90)]
    public void BenchTableFitsTheTerminalWithoutBreakingWords(int width)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No });
        console.Profile.Width = width;
        BenchTable.Write(WideReport(), console);
        var lines = text.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.All(lines.Where(l => l.StartsWith('│') || l.StartsWith('╭')), l => Assert.True(l.Length <= width, $"{l.Length} > {width}: {l}"));
        // Numbers, names and shapes are never split across lines.
        foreach (var token in new[] { "attention_causal", "conv2d_wgrad", "cblas_sgemm", "1024x1024x1024", "1.105", "120.5" })
            Assert.True(text.ToString().Contains(token, StringComparison.Ordinal), $"'{token}' is broken in:\n{text}");
    }
}
