using System.Diagnostics;
using Tessera.Onnx;
using Tessera.Onnx.Protobuf;

namespace Tessera.Tests.Reliability;

/// <summary>Runs the `tessera` command in a child process the way a user does, under a virtual-memory ceiling (so that
/// a defect that asks the system for tens of GiB fails in the child instead of waking the out-of-memory killer) and,
/// where GNU time is installed, with the child's peak resident memory measured.</summary>
internal static class CliProcess
{
    /// <summary>What a run gave: exit code, output, error lines, peak resident memory in bytes (−1 when unmeasured).</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr, long PeakRssBytes)
    {
        public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        public override string ToString() => $"exit {ExitCode}, peak RSS {PeakRssBytes}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    private const string Time = "/usr/bin/time";

    public static Result Run(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "tessera.dll");
        string rss = Path.Combine(Path.GetTempPath(), $"tessera-rss-{Guid.NewGuid():N}");
        string quoted = string.Join(" ", args.Select(Quote));
        bool timed = File.Exists(Time);
        // 6 GiB of address space: the runtime needs about 2.5 GiB of it with a 1 GiB GC heap limit.
        string command = $"ulimit -v 6291456; exec {(timed ? $"{Time} -f %M -o {Quote(rss)} " : "")}dotnet {Quote(cli)} {quoted}";
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        psi.Environment["DOTNET_GCHeapHardLimit"] = "0x40000000";
        psi.Environment["NO_COLOR"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"tessera {quoted} did not finish in 180 s");
        }
        long peak = -1;
        if (timed && File.Exists(rss))
        {
            var lines = File.ReadAllLines(rss).Where(l => l.Trim().All(char.IsDigit) && l.Trim().Length > 0).ToArray();
            if (lines.Length > 0) peak = long.Parse(lines[^1].Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
            File.Delete(rss);
        }
        // GNU time reports a non-zero exit of its child on stderr ("Command exited with non-zero status 2"): not ours.
        string err = string.Join("\n", stderr.Result.Split('\n').Where(l => !l.StartsWith("Command exited with non-zero status", StringComparison.Ordinal)));
        return new Result(p.ExitCode, stdout.Result, err, peak);
    }

    public static Result Run(params string[] args) => Run(null, args);

    /// <summary>Asserts the answer to bad input: exit code 2, one line on stderr starting "error:" that contains
    /// <paramref name="expected"/> (besides it only "note:" lines, no stack trace), and (where measured) a peak resident
    /// memory under 1 GiB.</summary>
    public static void AssertBadInput(Result r, string expected)
    {
        Assert.True(r.ExitCode == 2, r.ToString());
        var errors = r.ErrorLines.Where(l => !l.StartsWith("note:", StringComparison.Ordinal)).ToArray();
        Assert.True(errors.Length == 1, r.ToString());
        Assert.StartsWith("error:", errors[0]);
        Assert.Contains(expected, errors[0]);
        Assert.True(r.PeakRssBytes < (1L << 30), r.ToString());
    }

    public static string TempDir() => Directory.CreateTempSubdirectory("tessera-cli").FullName;

    /// <summary>Writes <paramref name="model"/> as an .onnx file in <paramref name="dir"/>.</summary>
    public static string WriteModel(string dir, OnnxModel model, string name = "model.onnx")
    {
        string path = Path.Combine(dir, name);
        OnnxWriter.WriteModel(path, model);
        return path;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
