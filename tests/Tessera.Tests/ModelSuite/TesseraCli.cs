using System.Diagnostics;

namespace Tessera.Tests.ModelSuite;

/// <summary>Runs the <c>tessera</c> command line (the Tessera.Cli assembly beside the tests) in a child process.</summary>
internal static class TesseraCli
{
    public static (int Exit, string Stdout, string Stderr) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tessera.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(300_000), "tessera did not finish in 5 minutes");
        return (p.ExitCode, stdout.Result, stderr);
    }

    /// <summary>Asserts a bad-argument exit: code 2 and one line on stderr starting "error:" and containing
    /// <paramref name="expected"/>.</summary>
    public static void AssertArgumentError(string expected, params string[] args)
    {
        var (exit, stdout, stderr) = Run(args);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith("compare: ", StringComparison.Ordinal)).ToArray();
        Assert.True(exit == 2, $"exit {exit} for {string.Join(' ', args)}\n{stderr}{stdout}");
        Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal), $"expected one error line:\n{stderr}");
        Assert.Contains(expected, lines[0]);
    }
}
