using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tessera.Devices;

namespace Tessera.Bench.Baselines;

/// <summary>PyTorch on the CUDA device as a baseline row of <c>tessera bench --device cuda</c>, where a Python with torch
/// exists: <c>benchmarks/gpu/torch_rows.py</c> runs the row's op at the row's input shapes in its own process (random
/// inputs, CUDA-event timing, the bench's sampling rule and budget) and returns its samples, which get the same
/// statistics and verdict as any baseline. Its output is not compared with ours (other inputs, another process).
/// UNTESTED ON A GPU: written and compile-checked on a machine without one or torch.</summary>
public static class TorchBaseline
{
    /// <summary>The Python that runs the rows (<c>TESSERA_PYTHON</c>, else python3).</summary>
    public static string Python => Environment.GetEnvironmentVariable("TESSERA_PYTHON") is { Length: > 0 } p ? p : "python3";

    /// <summary>The row script: <c>TESSERA_TORCH_ROWS</c>, beside the program (the GPU bundle), or the repository's
    /// benchmarks/gpu/ above it; null when none is found.</summary>
    public static string? Script
    {
        get
        {
            if (Environment.GetEnvironmentVariable("TESSERA_TORCH_ROWS") is { Length: > 0 } env) return File.Exists(env) ? env : null;
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                foreach (var candidate in new[] { Path.Combine(dir.FullName, "torch_rows.py"), Path.Combine(dir.FullName, "benchmarks", "gpu", "torch_rows.py") })
                    if (File.Exists(candidate)) return candidate;
            }
            return null;
        }
    }

    private static readonly Lazy<(string? Version, string? Error)> Probe = new(() =>
    {
        try
        {
            var (code, stdout, stderr) = RunPython(["-c", "import torch; print(torch.__version__, torch.cuda.is_available())"], 60_000);
            if (code != 0) return (null, $"{Python} has no torch ({stderr.Split('\n').LastOrDefault(l => l.Length > 0) ?? $"exit {code}"})");
            var parts = stdout.Trim().Split(' ');
            return parts.Length == 2 && parts[1] == "True" ? (parts[0], null) : (null, $"torch {parts[0]} finds no CUDA device");
        }
        catch (System.ComponentModel.Win32Exception e) { return (null, $"{Python} not found ({e.Message})"); }
    });

    /// <summary>The torch version, or null when Python with CUDA-enabled torch is absent.</summary>
    public static string? Version => Probe.Value.Version;

    /// <summary>The PyTorch baseline of the row <paramref name="op"/> <paramref name="pass"/> (the script says when it has
    /// no form of it, and the row shows that reason).</summary>
    public static BaselineSpec Row(string op, string pass) => new($"PyTorch {op}", (inst, _) =>
    {
        if (Probe.Value.Error is { } why) throw new BaselineUnavailableException(why);
        var script = Script ?? throw new BaselineUnavailableException("benchmarks/gpu/torch_rows.py not found (set TESSERA_TORCH_ROWS)");
        var inputs = inst.Context.Host.Values.Select(h => $"--input={h.Name}={string.Join("x", h.Shape)}").ToArray();
        return new BaselineRun(() => { }, measure: o => Measure(script, op, pass, inputs, o));
    }, DeviceKind.Cuda);

    private static Measurement Measure(string script, string op, string pass, string[] inputs, BenchOptions o)
    {
        string F(double v) => v.ToString(CultureInfo.InvariantCulture);
        string[] args = [script, op, pass, .. inputs, $"--warmup-ms={F(o.WarmupMs)}", $"--budget-ms={F(o.RepeatMs)}", $"--target-ci={F(o.TargetCiPct)}",
            $"--min-samples={o.MinSamples}", $"--max-samples={o.MaxSamples}", $"--min-sample-ms={F(o.MinSampleMs)}"];
        var (code, stdout, stderr) = RunPython(args, 600_000);
        string? line = stdout.Split('\n').LastOrDefault(l => l.TrimStart().StartsWith('{'));
        if (code != 0 || line is null) throw new BaselineUnavailableException($"torch_rows.py exit {code}: {stderr.Split('\n').LastOrDefault(l => l.Length > 0)}");
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        if (root.TryGetProperty("error", out var error)) throw new BaselineUnavailableException(error.GetString() ?? "torch_rows.py failed");
        var samples = root.GetProperty("samples_ms").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return BenchTimer.Summarise(samples, root.GetProperty("calls_per_sample").GetInt32());
    }

    private static (int Code, string Stdout, string Stderr) RunPython(string[] args, int timeoutMs)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new BaselineUnavailableException($"{Python} did not start");
        var stderrTask = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new BaselineUnavailableException($"{Python} took longer than {timeoutMs / 1000} s");
        }
        return (p.ExitCode, stdout, stderrTask.Result);
    }
}
