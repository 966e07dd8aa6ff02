using System.CommandLine;
using System.Diagnostics;
using Tessera.Bench;
using Tessera.Graph.Optimization;
using Tessera.Onnx;
using Tessera.Onnx.Import;

namespace Tessera.Cli;

/// <summary>`tessera run MODEL.onnx [--input NAME=FILE.npy|FILE.pb]... [--output DIR] [--device D] [--repeat N] [--threads N]`:
/// imports and runs a model, writes each output as DIR/NAME.npy, and with --repeat warms up like the bench
/// (<see cref="BenchOptions.Model"/>) and times N runs (median, p10, p90, throughput). Inputs not given are filled
/// deterministically (<see cref="ModelInputs"/>) when their shape is concrete. <c>--opt</c> sets the graph optimizer's
/// level, <c>--verbose</c> prints what it changed, <c>--dump</c> the optimized graph; <c>--profile</c> (with --repeat) times
/// the repeated runs node by node and lists the slowest nodes.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "an .onnx model file" };
        var inputs = new Option<string[]>("--input") { Description = "NAME=FILE.npy or NAME=FILE.pb (repeatable)", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string?>("--output") { Description = "folder for the outputs (NAME.npy)" };
        var device = Cli.DeviceOption();
        var repeat = new Option<int>("--repeat") { Description = "timed runs after a warm-up of at least 60 runs and 1 s (at most 5 s) (0: run once)", DefaultValueFactory = _ => 0 };
        var threads = Cli.ThreadsOption();
        var opt = OptimizationOption.Create();
        var verbose = new Option<bool>("--verbose") { Description = "print what the graph optimizer changed, node by node" };
        var dump = new Option<bool>("--dump") { Description = "print the graph as it runs (after optimization)" };
        var checkNumerics = Cli.CheckNumericsOption();
        var profile = new Option<int>("--profile")
        {
            Description = "after the timed runs, profile --repeat more runs node by node and show the N slowest nodes (median per node)",
        };
        var cmd = new Command("run", "Run an ONNX model through the graph executor.") { model, inputs, output, device, repeat, threads, opt, verbose, dump, checkNumerics, profile };
        cmd.SetAction(r => Cli.Guard(() => Run(r.GetValue(model)!, r.GetValue(inputs) ?? Array.Empty<string>(), r.GetValue(output),
            r.GetValue(device)!, r.GetValue(repeat), r.GetValue(threads),
            new GraphOutput(OptimizationOption.Parse(r.GetValue(opt)), r.GetValue(verbose), r.GetValue(dump), r.GetValue(checkNumerics), r.GetValue(profile)))));
        return cmd;
    }

    /// <summary>The optimizer level, what to print about the graph, whether to check every output for NaN/±∞, and how
    /// many of the slowest nodes a profile shows (0: no profile).</summary>
    private sealed record GraphOutput(OptimizationLevel Level, bool Verbose, bool Dump, bool CheckNumerics, int ProfileTop);

    private static int Run(string modelPath, string[] inputSpecs, string? outDir, string deviceId, int repeat, int threads, GraphOutput graph)
    {
        if (repeat < 0) throw new TesseraArgumentException("run", "--repeat", $"must be at least 0, got {repeat}");
        if (graph.ProfileTop < 0) throw new TesseraArgumentException("run", "--profile", $"must be at least 0, got {graph.ProfileTop}");
        if (graph.ProfileTop > 0 && repeat == 0) throw new TesseraArgumentException("run", "--profile", "needs --repeat N (the runs to profile)");
        if (outDir is not null) Cli.OutputDirectory("run", "--output", outDir);
        var model = OnnxReader.ReadModel(modelPath);
        var device = Cli.OpenDevice(deviceId, threads);
        using var program = new OnnxProgram(model, device, graph.Level);
        var feeds = ModelInputs.Resolve("run", model, program.Inputs, inputSpecs, [], testCase: null, m => Console.Error.WriteLine($"note: {m}"));
        program.Prepare(feeds);
        program.Plan!.CheckNumerics = graph.CheckNumerics;
        if (graph.Verbose) Console.Write(program.OptimizationReport!.Describe(details: true));
        if (graph.Dump) Console.Write(program.Plan!.Graph.Dump());
        program.RunPrepared();
        var outputs = program.Outputs();
        for (int k = 0; k < outputs.Count; k++)
        {
            var o = outputs[k];
            Console.WriteLine($"output {k} '{o.Name}': {o.DataType}[{string.Join(", ", o.Dims)}]");
            if (outDir is not null)
            {
                var host = HostTensor.FromOnnx(o, o.Name);
                if (HostTensor.ToDType(host.Type) is null) host = host.CastTo(host.IsFloat ? OnnxDataType.Float : OnnxDataType.Int64);
                var bytes = host.ToOnnx(o.Name).RawData;
                string file = Path.Combine(outDir, SafeName(o.Name) + ".npy");
                NpyFile.Write(file, new NpyArray(HostTensor.ToDType(host.Type)!.Value, host.Dims, bytes));
                Console.WriteLine($"  wrote {file}");
            }
        }
        if (repeat > 0)
        {
            var warm = BenchTimer.WarmUp(program.RunPrepared, BenchOptions.Model);
            var ms = new double[repeat];
            for (int i = 0; i < repeat; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                program.RunPrepared();
                ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            var t = TimeStats.Of(ms);
            Console.WriteLine($"latency over {repeat} runs on {device.Id} ({threads} threads) after {warm.Calls} warm-up runs ({warm.Ms / 1000:F1} s): " +
                              $"median {t.Median:F3} ms, p10 {t.P10:F3} ms, p90 {t.P90:F3} ms, min {t.Min:F3} ms; throughput {1000.0 / t.Median:F1} runs/s");
        }
        if (graph.ProfileTop > 0) Profile(program, repeat, graph.ProfileTop);
        return 0;
    }

    /// <summary>Runs the prepared model <paramref name="runs"/> times with per-node timing and prints the slowest nodes.</summary>
    private static void Profile(OnnxProgram program, int runs, int top)
    {
        var plan = program.Plan!;
        var samples = plan.Schedule.Select(_ => new double[runs]).ToArray();
        var runMs = new double[runs];
        plan.Profile = true;
        try
        {
            for (int s = 0; s < runs; s++)
            {
                long t0 = Stopwatch.GetTimestamp();
                program.RunPrepared();
                runMs[s] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                for (int i = 0; i < samples.Length; i++) samples[i][s] = plan.NodeMilliseconds[i];
            }
        }
        finally
        {
            plan.Profile = false;
        }
        var (nodesMs, _) = ProfileCommand.WriteTable(plan, samples, new Dictionary<string, double[]>(), top);
        Console.WriteLine($"profiled {runs} runs: median {ProfileCommand.Median(runMs):F3} ms per run, of which the {plan.Schedule.Count} nodes " +
                          $"{nodesMs:F3} ms (medians per node, each synchronised; the rest is the executor between nodes)");
    }

    private static string SafeName(string name) =>
        new(name.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_').ToArray());
}
