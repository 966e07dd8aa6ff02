using System.CommandLine;
using System.Text.Json;
using Tessera.Cli.Fuzzing;
using Tessera.Memory;

namespace Tessera.Cli;

/// <summary>`tessera fuzz [TARGET...] [--inputs N] [--seed S] [--seeds DIR] [--hang-seconds S] [--save DIR] [--report FILE]`:
/// runs the structure-aware fuzzer (<see cref="Fuzzer"/>) against the ONNX model reader and importer, the TensorProto
/// and .npy readers and the checkpoint loader, prints each target's figures (inputs, accepted, refused, crashes, hangs,
/// leaks, peak memory) and writes each failing input to DIR/TARGET-KIND-N.bin. The memory budget is at most
/// <see cref="DefaultBudget"/> (<c>--max-memory</c> can lower it) so that a mutant asking for a huge tensor is refused
/// rather than served. Exit 0
/// when every input was accepted or refused with a Tessera error, 1 when any failed.</summary>
internal static class FuzzCommand
{
    /// <summary>The largest memory budget while fuzzing.</summary>
    public const long DefaultBudget = 256L << 20;

    public static Command Create()
    {
        var targets = new Argument<string[]>("TARGET") { Description = $"targets ({string.Join(", ", FuzzTarget.Names)}; default: all)", Arity = ArgumentArity.ZeroOrMore };
        var inputs = new Option<long>("--inputs") { Description = "inputs per target, seeds included", DefaultValueFactory = _ => 5000 };
        var seed = new Option<int>("--seed") { Description = "random seed (a run is reproducible from it)", DefaultValueFactory = _ => 1 };
        var seeds = new Option<string?>("--seeds") { Description = $"folder of seed files (model.onnx, *.pb; default: {FuzzSeeds.DefaultSeedFolder} when present)" };
        var hang = new Option<double>("--hang-seconds") { Description = "an input running longer than this is a hang", DefaultValueFactory = _ => 10 };
        var save = new Option<string?>("--save") { Description = "folder for the failing inputs" };
        var report = new Option<string?>("--report") { Description = "JSON file for the figures" };
        var replay = new Option<string[]>("--replay") { AllowMultipleArgumentsPerToken = true, Description = "run these saved inputs through the one TARGET instead of fuzzing, and print each outcome in full" };
        var cmd = new Command("fuzz", "Fuzz the model, tensor, array and checkpoint readers with mutated valid inputs.") { targets, inputs, seed, seeds, hang, save, report, replay };
        cmd.SetAction(r => Cli.Guard(() => r.GetValue(replay) is { Length: > 0 } files
            ? Replay(r.GetValue(targets) ?? [], files)
            : Run(r.GetValue(targets) ?? [], r.GetValue(inputs), r.GetValue(seed), r.GetValue(seeds), r.GetValue(hang), r.GetValue(save), r.GetValue(report))));
        return cmd;
    }

    /// <summary>Runs saved inputs through one target and prints what each did (the full exception for a crash).</summary>
    private static int Replay(string[] names, string[] files)
    {
        if (names.Length != 1) throw new TesseraArgumentException("fuzz", "--replay", $"needs exactly one TARGET ({string.Join(", ", FuzzTarget.Names)})");
        LimitMemory();
        using var target = FuzzTarget.Create(names[0], seedDir: null);
        bool failed = false;
        foreach (string file in files)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                Console.WriteLine($"{file}: accepted: {target.Execute(Tessera.IO.InputFile.ReadAll(file, "fuzz --replay", FuzzSeeds.MaxSeedFileBytes * 16))} ({clock.ElapsedMilliseconds} ms)");
            }
            catch (TesseraException e)
            {
                Console.WriteLine($"{file}: refused: {e.Message} ({clock.ElapsedMilliseconds} ms)");
            }
            catch (Exception e)
            {
                failed = true;
                Console.WriteLine($"{file}: crash: {e}");
            }
        }
        return failed ? Cli.InternalError : 0;
    }

    private static void LimitMemory()
    {
        if (MemoryLimits.Current.MaxPoolBytes > DefaultBudget) MemoryLimits.Current = MemoryLimits.ForMemory(DefaultBudget);
    }

    private static int Run(string[] names, long inputs, int seed, string? seedDir, double hangSeconds, string? saveDir, string? reportFile)
    {
        if (inputs < 1) throw new TesseraArgumentException("fuzz", "--inputs", $"must be at least 1, got {inputs}");
        if (hangSeconds <= 0) throw new TesseraArgumentException("fuzz", "--hang-seconds", $"must be positive, got {hangSeconds}");
        if (seedDir is not null && !Directory.Exists(seedDir)) throw new TesseraArgumentException("fuzz", "--seeds", $"folder '{seedDir}' does not exist");
        if (saveDir is not null) Cli.OutputDirectory("fuzz", "--save", saveDir);
        if (names.Length == 0) names = FuzzTarget.Names;
        LimitMemory();
        seedDir ??= Directory.Exists(FuzzSeeds.DefaultSeedFolder) ? FuzzSeeds.DefaultSeedFolder : null;
        var reports = new List<FuzzReport>();
        foreach (string name in names)
        {
            using var target = FuzzTarget.Create(name, seedDir);
            Console.Error.WriteLine($"note: {name}: {target.Seeds.Count} seeds; {target.Description}");
            var r = Fuzzer.Run(target, inputs, seed, TimeSpan.FromSeconds(hangSeconds), line => Console.Error.WriteLine($"note: {line}"));
            Console.WriteLine(r.Describe());
            foreach (var f in r.Failures)
            {
                Console.WriteLine($"  {f.Kind} ×{f.Count}: {f.Detail}");
                if (saveDir is not null) File.WriteAllBytes(Path.Combine(saveDir, $"{name}-{f.Kind}-{reports.Count}-{r.Failures.ToList().IndexOf(f)}.bin"), f.Input);
            }
            reports.Add(r);
        }
        if (reportFile is not null)
            File.WriteAllText(reportFile, JsonSerializer.Serialize(reports.Select(r => new
            {
                target = r.Target, seed = r.Seed, inputs = r.Inputs, accepted = r.Accepted, refused = r.Refused, outcomes = r.Outcomes,
                corpus = r.CorpusSize, crashes = r.Failures.Where(f => f.Kind == "crash").Sum(f => f.Count),
                hangs = r.Failures.Where(f => f.Kind == "hang").Sum(f => f.Count), leaks = r.Failures.Where(f => f.Kind == "leak").Sum(f => f.Count),
                seconds = Math.Round(r.Seconds, 1), slowest_ms = Math.Round(r.SlowestSeconds * 1000), peak_rss_mib = r.PeakRssBytes >> 20,
                peak_managed_mib = r.PeakManagedBytes >> 20, failures = r.Failures.Select(f => new { kind = f.Kind, count = f.Count, detail = f.Detail }),
            }), Cli.IndentedJson));
        return reports.Any(r => r.Failures.Count > 0) ? Cli.InternalError : 0;
    }
}
