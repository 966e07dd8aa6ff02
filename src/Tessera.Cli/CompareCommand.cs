using System.CommandLine;
using Tessera.Bench;
using Tessera.Bench.Models;
using Tessera.Devices;
using Tessera.Graph.Optimization;
using Tessera.Onnx;
using Tessera.Onnx.Testing;

namespace Tessera.Cli;

/// <summary><c>tessera compare MODEL [--input NAME=FILE]... [--dim NAME=SIZE]... [--threads N] [--rounds N]
/// [--opt none|basic|all] [--format table|md|json]</c> and <c>tessera compare --all DIR</c>: Tessera and ONNX Runtime (CPU provider,
/// IntraOpNumThreads = threads, sequential) in one process on the same inputs, both warmed up, then timed in interleaved
/// rounds (<see cref="ModelComparer"/>). Prints both medians with p10/p90, the ratio ORT ms / Tessera ms, the
/// difference between their outputs and, for an ONNX test case (a folder with model.onnx and test_data_set_0, as the
/// model set's cache holds), each engine's difference from the case's reference outputs. <c>--opt</c> sets Tessera's
/// graph optimizer level (all by default, as <c>run</c>). Exit code 1 when a model failed
/// or its outputs disagree beyond <see cref="ModelComparer.Tolerance"/>; 2 for bad arguments.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var model = new Argument<string?>("MODEL") { Description = "an .onnx file, or an ONNX test-case folder (model.onnx + test_data_set_0)", Arity = ArgumentArity.ZeroOrOne };
        var inputs = new Option<string[]>("--input") { Description = "NAME=FILE.npy or NAME=FILE.pb (repeatable)", AllowMultipleArgumentsPerToken = false };
        var dims = new Option<string[]>("--dim") { Description = "NAME=SIZE for a symbolic dimension of the inputs filled with seeded values (repeatable)", AllowMultipleArgumentsPerToken = false };
        var threads = new Option<int>("--threads") { Description = "Tessera's CPU threads and ONNX Runtime's intra-op threads", DefaultValueFactory = _ => 1 };
        var rounds = new Option<int>("--rounds") { Description = "interleaved timing rounds (each engine ~25 ms a round)", DefaultValueFactory = _ => 15 };
        var format = new Option<string>("--format") { Description = "table | md | json", DefaultValueFactory = _ => "table" };
        var opt = OptimizationOption.Create();
        var all = new Option<string?>("--all") { Description = "compare every model of a folder of ONNX test cases (e.g. benchmarks/models/cache): the table and the geometric mean of the ratios" };
        var cmd = new Command("compare", "Time a model in Tessera and ONNX Runtime side by side (same process, same inputs, interleaved rounds).")
            { model, inputs, dims, threads, rounds, opt, format, all };
        cmd.SetAction(r => Cli.Guard(() => Run(r.GetValue(model), r.GetValue(inputs) ?? [], r.GetValue(dims) ?? [],
            r.GetValue(threads), r.GetValue(rounds), OptimizationOption.Parse(r.GetValue(opt)), r.GetValue(format)!, r.GetValue(all))));
        return cmd;
    }

    private static int Run(string? modelPath, string[] inputSpecs, string[] dimSpecs, int threads, int rounds, OptimizationLevel level,
        string format, string? allDir)
    {
        const string op = "compare";
        format = format.ToLowerInvariant();
        if (format is not ("table" or "md" or "json")) throw new TesseraArgumentException(op, "--format", $"expected table, md or json, got '{format}'");
        if (threads < 1) throw new TesseraArgumentException(op, "--threads", $"must be at least 1, got {threads}");
        if (rounds < 1) throw new TesseraArgumentException(op, "--rounds", $"must be at least 1, got {rounds}");
        if ((modelPath is null) == (allDir is null)) throw new TesseraArgumentException(op, "MODEL", "give either one MODEL or --all DIR");
        if (allDir is not null && (inputSpecs.Length > 0 || dimSpecs.Length > 0))
            throw new TesseraArgumentException(op, "--all", "--input and --dim apply to one MODEL; the models of --all DIR use their test_data_set_0 or seeded inputs");

        IReadOnlyList<(string Onnx, string? Case)> models;
        if (allDir is not null)
        {
            if (!Directory.Exists(allDir)) throw new TesseraArgumentException(op, "--all", $"folder '{allDir}' does not exist");
            models = [.. OnnxTestRunner.FindCases([allDir]).Select(d => (Path.Combine(d, "model.onnx"), (string?)d))];
            if (models.Count == 0) throw new TesseraArgumentException(op, "--all", $"no folder under '{allDir}' holds a model.onnx");
        }
        else models = [Locate(modelPath!)];
        _ = OrtVersion();   // a missing ONNX Runtime is one clear error before anything runs

        var device = Cli.OpenDevice("cpu", threads);
        var settings = new CompareSettings(Rounds: rounds);
        var rows = new List<CompareRow>();
        // Several threads: whether the machine gives that many cores is probed before and after the models.
        var probeBefore = threads > 1 ? ContentionProbe.Measure(threads) : null;
        foreach (var (onnx, testCase) in models)
        {
            string name = testCase is not null ? Path.GetFileName(Path.GetFullPath(testCase).TrimEnd(Path.DirectorySeparatorChar)) : Path.GetFileNameWithoutExtension(onnx);
            Console.Error.WriteLine($"compare: {name}");
            if (allDir is null)
            {
                rows.Add(CompareOne(name, onnx, testCase, inputSpecs, dimSpecs, device, threads, level, settings));
                continue;
            }
            try { rows.Add(CompareOne(name, onnx, testCase, [], [], device, threads, level, settings)); }
            catch (TesseraException e) { rows.Add(new CompareRow(name, onnx, "", null, e.Message)); }
            GC.Collect();
        }

        var header = BenchRunner.Header(device, threads, "models", cold: false, MachineCeilings.LoadOrMeasure(threads, device.Name));
        var probes = probeBefore is null ? null : new[] { probeBefore, ContentionProbe.Measure(threads) };
        var report = new CompareReport(header, threads, rounds, level, rows, probes);
        Console.WriteLine(format switch
        {
            "json" => report.ToJson(),
            "md" => report.ToMarkdown(),
            _ => report.ToText(),
        });
        return rows.All(r => r.Result?.Agrees == true) ? 0 : 1;
    }

    /// <summary>The model file and its test case (the folder holding model.onnx and a test_data_set_0, or null).</summary>
    private static (string Onnx, string? Case) Locate(string path)
    {
        if (Directory.Exists(path))
        {
            string file = Path.Combine(path, "model.onnx");
            if (!File.Exists(file)) throw new TesseraArgumentException("compare", "MODEL", $"folder '{path}' holds no model.onnx");
            return (file, path);
        }
        if (!File.Exists(path)) throw new TesseraArgumentException("compare", "MODEL", $"'{path}' is neither an .onnx file nor a folder with model.onnx");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        return (path, dir is not null && Directory.Exists(Path.Combine(dir, "test_data_set_0")) ? dir : null);
    }

    private static CompareRow CompareOne(string name, string onnx, string? testCase, string[] inputSpecs, string[] dimSpecs,
        IDevice device, int threads, OptimizationLevel level, CompareSettings settings)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(onnx); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new TesseraArgumentException("compare", "MODEL", $"cannot read '{onnx}': {e.Message}"); }
        var model = OnnxReader.ReadModel(bytes);
        var tessera = new TesseraEngine(device, level).Load(model);
        try
        {
            using var ort = new OrtEngine().Load(bytes, threads);
            var initializers = model.Graph.Initializers.Select(i => i.Name).ToHashSet();
            var toFeed = model.Graph.Inputs.Where(i => !initializers.Contains(i.Name)).ToArray();
            string source = inputSpecs.Length > 0 ? "given" : testCase is not null && ModelInputs.DataSetInputs(testCase, toFeed).Count > 0 ? "test_data_set_0" : "seeded";
            var feeds = ModelInputs.Resolve("compare", model, toFeed, inputSpecs, dimSpecs, inputSpecs.Length > 0 ? null : testCase,
                m => Console.Error.WriteLine($"note: {m}"));
            // The reference outputs belong to the case's own inputs only.
            var reference = source == "test_data_set_0" ? OnnxTestRunner.ReadOutputs(Path.Combine(testCase!, "test_data_set_0"), model.Graph.Outputs) : null;
            var result = ModelComparer.Compare(ort, tessera, feeds, reference, settings);
            return new CompareRow(name, onnx, source, result, null);
        }
        finally
        {
            tessera.Dispose();
        }
    }

    private static string OrtVersion()
    {
        try { return OrtEngine.Version; }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            throw new TesseraBackendException("compare", $"ONNX Runtime's native library does not load: {e.GetBaseException().Message.Split('\n')[0]}");
        }
    }
}
