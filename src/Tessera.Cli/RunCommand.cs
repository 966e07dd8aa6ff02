using System.CommandLine;
using System.Diagnostics;
using Tessera.Onnx;
using Tessera.Onnx.Import;

namespace Tessera.Cli;

/// <summary>`tessera run MODEL.onnx [--input NAME=FILE.npy|FILE.pb]... [--output DIR] [--device D] [--repeat N] [--threads N]`:
/// imports and runs a model, writes each output as DIR/NAME.npy, and with --repeat times N runs (median, p90, throughput).
/// Inputs not given are filled deterministically (uniform [0, 1) floats, zeros otherwise) when their shape is concrete.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "an .onnx model file" };
        var inputs = new Option<string[]>("--input") { Description = "NAME=FILE.npy or NAME=FILE.pb (repeatable)", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string?>("--output") { Description = "folder for the outputs (NAME.npy)" };
        var device = Cli.DeviceOption();
        var repeat = new Option<int>("--repeat") { Description = "timed runs after one warm-up run (0: run once)", DefaultValueFactory = _ => 0 };
        var threads = Cli.ThreadsOption();
        var cmd = new Command("run", "Run an ONNX model through the graph executor.") { model, inputs, output, device, repeat, threads };
        cmd.SetAction(r => Cli.Guard(() => Run(r.GetValue(model)!, r.GetValue(inputs) ?? Array.Empty<string>(), r.GetValue(output),
            r.GetValue(device)!, r.GetValue(repeat), r.GetValue(threads))));
        return cmd;
    }

    private static int Run(string modelPath, string[] inputSpecs, string? outDir, string deviceId, int repeat, int threads)
    {
        if (repeat < 0) throw new TesseraArgumentException("run", "--repeat", $"must be at least 0, got {repeat}");
        var model = OnnxReader.ReadModel(modelPath);
        var device = Cli.OpenDevice(deviceId, threads);
        using var program = new OnnxProgram(model, device);
        var feeds = new Dictionary<string, OnnxTensor>();
        foreach (var spec in inputSpecs)
        {
            int eq = spec.IndexOf('=');
            if (eq <= 0) throw new TesseraArgumentException("run", "--input", $"'{spec}' is not NAME=FILE");
            string name = spec[..eq], file = spec[(eq + 1)..];
            if (!program.Inputs.Any(i => i.Name == name) && !model.Graph.Inputs.Any(i => i.Name == name))
                throw new TesseraArgumentException("run", "--input", $"the model has no input '{name}' (inputs: {string.Join(", ", program.Inputs.Select(i => i.Name))})");
            feeds[name] = ReadInput(name, file);
        }
        foreach (var vi in program.Inputs.Where(i => !feeds.ContainsKey(i.Name)))
        {
            if (vi.Dims is null || vi.Dims.Any(d => d < 0))
                throw new TesseraArgumentException("run", "--input", $"input '{vi.Name}' has no concrete shape; give it with --input {vi.Name}=FILE");
            feeds[vi.Name] = Filler(vi);
            Console.Error.WriteLine($"note: input '{vi.Name}' {vi.ElemType}[{string.Join(", ", vi.Dims)}] not given; filled deterministically");
        }
        program.Prepare(feeds);
        program.RunPrepared();
        var outputs = program.Outputs();
        for (int k = 0; k < outputs.Count; k++)
        {
            var o = outputs[k];
            Console.WriteLine($"output {k} '{o.Name}': {o.DataType}[{string.Join(", ", o.Dims)}]");
            if (outDir is not null)
            {
                Directory.CreateDirectory(outDir);
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
            var ms = new double[repeat];
            for (int i = 0; i < repeat; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                program.RunPrepared();
                ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Array.Sort(ms);
            double median = ms[repeat / 2], p90 = ms[Math.Min(repeat - 1, (int)Math.Ceiling(0.9 * repeat) - 1)];
            Console.WriteLine($"latency over {repeat} runs on {device.Id} ({threads} threads): median {median:F3} ms, p90 {p90:F3} ms, " +
                              $"min {ms[0]:F3} ms; throughput {1000.0 / median:F1} runs/s");
        }
        return 0;
    }

    private static OnnxTensor ReadInput(string name, string file)
    {
        if (file.EndsWith(".pb", StringComparison.OrdinalIgnoreCase)) return OnnxReader.ReadTensor(file) with { Name = name };
        if (file.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var a = NpyFile.Read(file);
            return new OnnxTensor(name, HostTensor.ToOnnx(a.DType), a.Shape.Select(d => (long)d).ToArray(), a.Data);
        }
        throw new TesseraArgumentException("run", "--input", $"'{file}' is neither .npy nor .pb");
    }

    private static OnnxTensor Filler(OnnxValueInfo vi)
    {
        var dims = vi.Dims!.Select(d => d > int.MaxValue ? throw new TesseraShapeException("run", vi.Name, "dimension too large") : (int)d).ToArray();
        long n = dims.Aggregate(1L, (a, d) => a * d);
        var rng = new Random(1234);
        var host = HostTensor.IsFloatType(vi.ElemType)
            ? HostTensor.Of(vi.ElemType, dims, Enumerable.Range(0, (int)n).Select(_ => rng.NextDouble()).ToArray())
            : HostTensor.Of(vi.ElemType, dims, new long[n]);
        return host.ToOnnx(vi.Name);
    }

    private static string SafeName(string name) =>
        new(name.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_').ToArray());
}
