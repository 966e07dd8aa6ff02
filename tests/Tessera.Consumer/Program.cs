using System.Diagnostics;
using System.Runtime.Intrinsics;
using Tessera;
using Tessera.Devices;
using Tessera.Onnx;

// Embedding scenarios, run from the packed packages (see the project file). Each check prints one line; the exit code
// is the number of failed checks. Arguments: [onnx test case folder (model.onnx + test_data_set_0/)] [--bench].
int failed = 0;
void Check(string what, bool ok, string detail)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}: {detail}");
    if (!ok) failed++;
}

Console.WriteLine($"Vector512 {(Vector512.IsHardwareAccelerated ? "accelerated" : "not accelerated")}, " +
                  $"Vector256 {(Vector256.IsHardwareAccelerated ? "accelerated" : "not accelerated")}, " +
                  $"{(System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "Native AOT")}");

// 1. The CPU by name: nothing has touched a type of Tessera.Cpu yet, so this loads and registers the backend.
var cpu = BackendRegistry.GetDevice("cpu");
Check("cpu by name", cpu.Kind == DeviceKind.Cpu, cpu.Id);

// 2. One kernel on the CPU, checked by hand: [2,3] @ [3,2].
using (TensorScope.Begin())
{
    var a = Tensor.FromArray(cpu, new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
    var b = Tensor.FromArray(cpu, new float[] { 7, 8, 9, 10, 11, 12 }, 3, 2);
    var c = Ops.MatMul(a, b).ToArray<float>();
    Check("matmul on the cpu", c.SequenceEqual(new float[] { 58, 64, 139, 154 }), string.Join(", ", c));
}

// 3. A backend picked at run time with a fallback (TESSERA_CONSUMER_DEVICE, default cuda): the same kernel there.
string wanted = Environment.GetEnvironmentVariable("TESSERA_CONSUMER_DEVICE") ?? "cuda";
var device = BackendRegistry.GetDevice(wanted, cpu, out string? reason);
Check($"'{wanted}' with fallback", reason is null ? device.Kind != DeviceKind.Cpu || wanted.StartsWith("cpu", StringComparison.Ordinal) : device == cpu && reason.Length > 0,
      reason is null ? $"got {device.Id}" : $"fell back to {device.Id}: {reason}");
using (TensorScope.Begin())
{
    var x = Tensor.FromArray(device, Enumerable.Range(0, 64 * 48).Select(i => (i % 7) * 0.25f - 0.5f).ToArray(), 64, 48);
    var w = Tensor.FromArray(device, Enumerable.Range(0, 48 * 32).Select(i => (i % 5) * 0.5f - 1f).ToArray(), 48, 32);
    var y = Ops.MatMul(x, w).ToArray<float>();
    var xc = Tensor.FromArray(cpu, Enumerable.Range(0, 64 * 48).Select(i => (i % 7) * 0.25f - 0.5f).ToArray(), 64, 48);
    var wc = Tensor.FromArray(cpu, Enumerable.Range(0, 48 * 32).Select(i => (i % 5) * 0.5f - 1f).ToArray(), 48, 32);
    var yc = Ops.MatMul(xc, wc).ToArray<float>();
    double err = y.Zip(yc, (p, q) => Math.Abs(p - q)).Max();
    Check($"matmul on {device.Id}", err <= 1e-3, $"max |{device.Id} - cpu| = {err:G3}");
}

// 4. An ONNX model on the CPU, against the outputs shipped with it.
if (args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) is { } dir)
{
    var model = OnnxReader.ReadModel(Path.Combine(dir, "model.onnx"));
    var data = Path.Combine(dir, "test_data_set_0");
    // input_i.pb holds the i-th fed input (named in the file; older files leave the name to the graph's order).
    var inputs = Enumerable.Range(0, model.Graph.Inputs.Count).Select(i => Path.Combine(data, $"input_{i}.pb")).Where(File.Exists)
        .Select((path, i) => OnnxReader.ReadTensor(path) is var t && t.Name.Length > 0 ? t : t with { Name = model.Graph.Inputs[i].Name })
        .ToDictionary(t => t.Name);
    using var program = new OnnxProgram(model, cpu);
    var outputs = program.Run(inputs);
    double worst = 0;
    for (int i = 0; i < outputs.Count; i++)
    {
        using var got = OnnxTensors.ToTensor(outputs[i], cpu);
        using var want = OnnxTensors.ToTensor(OnnxReader.ReadTensor(Path.Combine(data, $"output_{i}.pb")), cpu);
        var g = got.ToArray<float>();
        var e = want.ToArray<float>();
        if (g.Length != e.Length) { worst = double.PositiveInfinity; break; }
        for (int k = 0; k < g.Length; k++) worst = Math.Max(worst, Math.Abs(g[k] - e[k]) / (1e-3 + Math.Abs(e[k])));
    }
    Check($"onnx model {Path.GetFileName(Path.TrimEndingDirectorySeparator(dir))}", worst <= 1e-3, $"{outputs.Count} output(s), max relative error {worst:G3}");
}

// 5. --bench: a 512³ SGEMM on the CPU (for the JIT / Native AOT comparison): GFLOP/s, median and best of 15 rounds.
if (args.Contains("--bench"))
{
    const int n = 512;
    using var scope = TensorScope.Begin();
    var a = Tensor.FromArray(cpu, Enumerable.Range(0, n * n).Select(i => (i % 13) * 0.1f).ToArray(), n, n);
    var b = Tensor.FromArray(cpu, Enumerable.Range(0, n * n).Select(i => (i % 11) * 0.1f).ToArray(), n, n);
    var c = Tensor.FromArray(cpu, new float[n * n], n, n);
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < 60 || sw.ElapsedMilliseconds < 1000; i++) cpu.Kernels.Gemm(a, b, null, c, new Tessera.Kernels.GemmParams());
    var rates = new List<double>();
    for (int r = 0; r < 15; r++)
    {
        sw.Restart();
        for (int i = 0; i < 10; i++) cpu.Kernels.Gemm(a, b, null, c, new Tessera.Kernels.GemmParams());
        cpu.DefaultStream.Synchronize();
        rates.Add(10 * 2.0 * n * n * n / sw.Elapsed.TotalSeconds / 1e9);
    }
    rates.Sort();
    Console.WriteLine($"sgemm {n}x{n}x{n}: median {rates[rates.Count / 2]:F1} GFLOP/s, best {rates[^1]:F1} GFLOP/s");
}

Console.WriteLine($"consumer: {(failed == 0 ? "all checks passed" : $"{failed} check(s) failed")}");
return failed;
