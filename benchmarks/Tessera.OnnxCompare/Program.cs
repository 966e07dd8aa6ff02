using System.Globalization;
using System.Runtime.InteropServices;
using Tessera.Bench;
using Tessera.Bench.Models;
using Tessera.Cpu;
using Tessera.OnnxCompare;

// Tessera.OnnxCompare: builds the benchmark models with OnnxWriter and times them in every available engine.
//   dotnet run -c Release --project benchmarks/Tessera.OnnxCompare -- [--threads N] [--models mlp,lenet5,transformer]
//       [--quick] [--save DIR] [--no-verify]
// Each engine's output is checked against Tessera's double-precision reference ops on the first batch item
// (--no-verify skips that; the reference is slow).
// --save writes each model's .onnx bytes and inputs (.pb) to DIR so that other tools can run exactly the same files.

int threads = CpuBackend.Device.Threads;
var models = BenchModels.Names.ToList();
bool quick = false;
string? saveDir = null;
bool verify = true;
const double Tolerance = 1e-3;   // max |engine − reference| / (1 + |reference|)
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--models": models = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries)]; break;
        case "--quick": quick = true; break;
        case "--save": saveDir = Next(); break;
        case "--no-verify": verify = false; break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'");
            return 2;
    }
}
if (threads < 1)
{
    Console.Error.WriteLine("--threads must be at least 1");
    return 2;
}

CpuBackend.Device.Threads = threads;
IOnnxEngine[] engines = [new OrtEngine(), new TesseraEngine(CpuBackend.Device)];
var options = quick ? BenchOptions.Quick : new BenchOptions();
Console.WriteLine($"# Tessera.OnnxCompare  machine {Environment.MachineName}, {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription}");
Console.WriteLine($"# .NET {Environment.Version}, ONNX Runtime {OrtEngine.Version} (CPU EP), intra-op threads {threads}, {(quick ? "quick" : "full")} timing");
Console.WriteLine($"{"model",-12} {"engine",-12} {"median ms",10} {"min ms",10} {"noise %",8} {"GFLOP/s",9} {"samples",8}  {"ref err",9}  output sum");

bool failed = false;
foreach (string name in models)
{
    var c = BenchModels.Create(name);
    if (saveDir is not null)
    {
        Directory.CreateDirectory(saveDir);
        File.WriteAllBytes(Path.Combine(saveDir, $"{name}.onnx"), c.ModelBytes);
        foreach (var (inputName, t) in c.Inputs)
            Tessera.Onnx.Protobuf.OnnxWriter.WriteTensor(Path.Combine(saveDir, $"{name}.{inputName}.pb"), t);
    }
    IReadOnlyList<Tessera.Onnx.OnnxTensor>? reference = verify ? CompareRunner.ReferenceOutputs(name) : null;
    EngineResult? first = null;
    foreach (var engine in engines)
    {
        var r = CompareRunner.Measure(engine, c, threads, options);
        var (sum, finite) = CompareRunner.Fingerprint(r.Outputs);
        string diff = "";
        if (first is null) first = r;
        else
        {
            var d = OutputDiff.Between(r.Outputs, first.Outputs);
            diff = $"  vs {first.Engine}: max abs {d.MaxAbs:G3}, max rel {d.MaxRel:G3}";
        }
        string refErr = "-";
        bool ok = finite;
        if (reference is not null)
        {
            var v = CompareRunner.VerifyAgainstReference(r.Outputs, reference);
            refErr = v.MaxRel.ToString("G3", CultureInfo.InvariantCulture);
            ok &= v.MaxRel <= Tolerance;
        }
        Console.WriteLine($"{name,-12} {engine.Name,-12} {r.Time.MedianMs,10:F3} {r.Time.MinMs,10:F3} {r.Time.NoisePct,8:F1} {r.Gflops,9:F1} {r.Time.Samples,8}  {refErr,9}  {sum:G6}{(finite ? "" : " NON-FINITE")}{diff}{(ok ? "" : "  FAILED")}");
        failed |= !ok;
    }
}
return failed ? 1 : 0;
