using System.CommandLine;
using System.Text.Json;
using Tessera.Onnx.Testing;

namespace Tessera.Cli;

/// <summary>`tessera onnx-test PATH... [--device D] [--format table|json] [--opt none|basic|all]`: runs ONNX backend test cases (a case folder or a
/// folder of cases) whose every operator is in scope (and whose casts stay within float, int32, int64, bool), compares outputs like the ONNX backend tests (rtol 1e-3, atol 1e-7)
/// and prints one line per case, the selected/excluded counts and `N passed, N failed, N skipped`. Exit code 1 when a
/// case failed or errored, 2 when a case named on the command line is out of scope (it is listed as EXCLUDED).</summary>
internal static class OnnxTestCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH") { Description = "an ONNX test case folder (model.onnx + test_data_set_N) or a folder of them", Arity = ArgumentArity.OneOrMore };
        var device = Cli.DeviceOption();
        var threads = Cli.ThreadsOption();
        var format = new Option<string>("--format") { Description = "table | json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var opt = OptimizationOption.Create();
        var cmd = new Command("onnx-test", "Run ONNX backend test cases through the importer and the graph executor.") { paths, device, threads, format, opt };
        cmd.SetAction(r => Cli.Guard(() => Run(r.GetValue(paths)!, r.GetValue(device)!, r.GetValue(threads), r.GetValue(format)!, r.GetValue(opt))));
        return cmd;
    }

    private static int Run(string[] paths, string deviceId, int threads, string format, string? opt)
    {
        var device = Cli.OpenDevice(deviceId, threads);
        bool json = format == "json";
        var result = OnnxTestRunner.Run(paths, device, json ? null : c => Console.WriteLine(Line(c)), OptimizationOption.Parse(opt));
        if (json)
        {
            var doc = new
            {
                device = device.Id,
                selected = result.Selected,
                excluded = result.Excluded,
                excludedByCastType = result.ExcludedByCastType,
                passed = result.Passed,
                failed = result.Failed,
                skipped = result.Skipped,
                cases = result.Cases.Select(c => new
                {
                    name = c.Name, status = c.Status.ToString().ToUpperInvariant(), detail = c.Detail,
                    maxAbsError = Finite(c.MaxAbsError), maxRelError = Finite(c.MaxRelError), firstMismatch = c.FirstMismatch, seconds = c.Seconds,
                }),
                excludedCases = result.ExcludedNames.Select(n => new { name = n, reason = result.ExclusionReasons.GetValueOrDefault(n, "") }),
                namedExcluded = result.NamedExcluded,
            };
            Console.WriteLine(JsonSerializer.Serialize(doc, Cli.IndentedJson));
        }
        else
        {
            foreach (var n in result.NamedExcluded)
                Console.WriteLine($"EXCLUDED    {n}: not run, out of scope ({result.ExclusionReasons.GetValueOrDefault(n, "")})");
            Console.WriteLine($"selected {result.Selected} case(s) whose every operator is in scope; excluded {result.Excluded} " +
                $"({result.Excluded - result.ExcludedByCastType} with operators out of scope, {result.ExcludedByCastType} only for Cast/CastLike " +
                "types outside float, int32, int64, bool; --format json lists each with its reason)");
            Console.WriteLine(result.Summary);
        }
        if (result.Failed > 0) return 1;
        if (result.NamedExcluded.Count > 0)
        {
            Console.Error.WriteLine($"error: onnx-test: {string.Join(", ", result.NamedExcluded)} named on the command line but out of scope ({result.ExclusionReasons.GetValueOrDefault(result.NamedExcluded[0], "")}); nothing of it was run");
            return 2;
        }
        return 0;
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    /// <summary>One line per case.</summary>
    public static string Line(OnnxCaseResult c) => c.Status switch
    {
        OnnxCaseStatus.Pass => $"PASS        {c.Name}",
        OnnxCaseStatus.Fail => $"FAIL        {c.Name}: {c.Detail}",
        OnnxCaseStatus.Unsupported => $"UNSUPPORTED {c.Name}: {c.Detail}",
        _ => $"ERROR       {c.Name}: {c.Detail}",
    };
}
