using System.Diagnostics;
using Tessera.Bench;

namespace Tessera.Cli;

/// <summary><c>tessera bench --launches N</c>: the run made by N processes, one after the other (BenchmarkDotNet's
/// launch count). What a process decides once — JIT code placement, tiering, where its buffers land — can make a row
/// faster or slower for that whole process; passes inside one process share it, launches do not. Each launch runs this
/// same command line with <c>--launches 1 --format json --out FILE</c> (its passes included), and the launches' reports
/// are pooled by <see cref="BenchPasses"/> as more passes: each row's samples from all of them, one median per pass.</summary>
internal static class BenchLaunches
{
    /// <summary>Options whose value this process sets for its launches (dropped from the command line passed on).</summary>
    private static readonly string[] Replaced = ["--launches", "--out", "--format", "--plot"];

    /// <summary>Runs <paramref name="launches"/> child processes and pools their reports.</summary>
    public static BenchReport Run(int launches, double noiseLimitPct, Action<string> log)
    {
        string dir = Directory.CreateTempSubdirectory("tessera-bench-launch").FullName;
        try
        {
            var reports = new List<BenchReport>();
            for (int i = 0; i < launches; i++)
            {
                string file = Path.Combine(dir, $"launch-{i + 1}.json");
                log($"launch {i + 1}/{launches}");
                var psi = ChildStart(file);
                using var p = Process.Start(psi) ?? throw new TesseraBackendException("bench", "--launches: could not start a launch");
                p.WaitForExit();
                // Exit 1 means a row did not verify: its report is still a measurement, and says so per row.
                if (p.ExitCode is not (0 or 1) || !File.Exists(file))
                    throw new TesseraBackendException("bench", $"--launches: launch {i + 1} exited with code {p.ExitCode} and no report");
                reports.Add(BenchReport.FromJson(File.ReadAllText(file)));
            }
            var merged = BenchPasses.Merge(reports, noiseLimitPct);
            return merged with { Header = merged.Header with { Launches = launches } };
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>This process's command line with the replaced options dropped and the launch's own appended.</summary>
    private static ProcessStartInfo ChildStart(string outFile)
    {
        string host = Environment.ProcessPath ?? throw new TesseraBackendException("bench", "--launches: the path of this program is unknown");
        var psi = new ProcessStartInfo(host) { UseShellExecute = false };
        // Under `dotnet tessera.dll`, the host is dotnet and the program its first argument.
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            psi.ArgumentList.Add(typeof(BenchLaunches).Assembly.Location);
        var args = Environment.GetCommandLineArgs().Skip(1).ToList();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (Replaced.Any(o => a.StartsWith(o + "=", StringComparison.Ordinal))) continue;
            if (Replaced.Contains(a)) { i++; continue; }
            psi.ArgumentList.Add(a);
        }
        foreach (var a in new[] { "--launches", "1", "--format", "json", "--out", outFile }) psi.ArgumentList.Add(a);
        return psi;
    }
}
