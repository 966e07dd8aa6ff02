using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json;
using Tessera.Cli.Training;
using Tessera.Tests.Support;

namespace Tessera.Tests.Distributed;

/// <summary>The MPI path end to end: `tessera` under <c>mpirun --oversubscribe</c> with 2 and 3 ranks on this machine
/// (a skip where Open MPI is not installed, a failure under CI=true).</summary>
public class MpiRunTests
{
    private static string? Mpirun() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);

    private static string RequireMpi()
    {
        var mpirun = Mpirun();
        Requirement.Require(mpirun is not null && Tessera.Distributed.Mpi.MpiLibrary.Status.Available,
            $"Open MPI not installed (apt-get install openmpi-bin libopenmpi-dev): {Tessera.Distributed.Mpi.MpiLibrary.Status.Reason}");
        return mpirun!;
    }

    /// <summary>Runs <c>mpirun -np <paramref name="ranks"/> tessera args</c> (or tessera alone when ranks is 0).</summary>
    private static (int Exit, string Output) Run(int ranks, params string[] args)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "tessera.dll");
        if (ranks > 0) return RunMpirun(["-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "dotnet", cli, .. args]);
        return Start(new ProcessStartInfo("dotnet"), [cli, .. args]);
    }

    /// <summary>Runs <c>mpirun --oversubscribe --allow-run-as-root args</c>.</summary>
    private static (int Exit, string Output) RunMpirun(string[] args, string? debug = null)
    {
        var psi = new ProcessStartInfo(RequireMpi());
        if (debug is not null) psi.Environment[Tessera.Distributed.CollectiveFingerprint.DebugVariable] = debug; // every rank inherits it
        return Start(psi, ["--oversubscribe", "--allow-run-as-root", .. args]);
    }

    private static (int Exit, string Output) Start(ProcessStartInfo psi, string[] args)
    {
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(240_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{psi.FileName} {string.Join(' ', args)} did not finish in 240 s");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private static JsonElement Epoch(string dir, int index) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json"))).RootElement.GetProperty("epochs")[index];

    private static string TempDir() => Directory.CreateTempSubdirectory("tessera-mpi-").FullName;

    [Fact]
    public void CollectivesGiveTheExpectedResultsOnTwoRanks()
    {
        // Each row is verified element by element before it is timed (the command fails on a wrong result).
        var (exit, output) = Run(2, "bench", "--op", "allreduce", "--op", "reducescatter", "--op", "allgather", "--op", "broadcast", "--size", "small");
        Assert.True(exit == 0, output);
        foreach (var op in new[] { "allreduce", "reducescatter", "allgather", "broadcast" })
            Assert.Contains($"{op,-14} {1L << 20,12}", output);
    }

    [Theory]
    [InlineData("mlp", 2, 32)]
    [InlineData("mlp", 3, 16)]
    [InlineData("cnn", 2, 32)]
    [InlineData("vit", 2, 32)]
    public void DataParallelTrainingMatchesOneProcessOnTheGlobalBatch(string model, int ranks, int batch)
    {
        Requirement.Require(Directory.Exists(FashionMnist.DefaultDirectory), $"Fashion-MNIST not installed at {FashionMnist.DefaultDirectory}");
        string single = TempDir(), parallel = TempDir();
        // mlp: dropout drawn per sample of the global batch; cnn: batch norm on the global batch's statistics; vit: layer norm.
        string[] common = model == "mlp"
            ? ["train", "--model", model, "--epochs", "1", "--limit", "1536", "--threads", "1"]
            : ["train", "--model", model, "--epochs", "1", "--limit", "512", "--limit-test", "256", "--threads", "1"];
        var (e1, o1) = Run(0, [.. common, "--batch", Text(batch * ranks), "--out", single]);
        Assert.True(e1 == 0, o1);
        var (e2, o2) = Run(ranks, [.. common, "--data-parallel", "--batch", Text(batch), "--out", parallel, "--timeout", "120"]);
        Assert.True(e2 == 0, o2);
        Assert.Contains($"data-parallel over {ranks} ranks", o2);
        // Same samples, same dropout, gradients averaged in another order of float summation: equal to ~1e-5.
        AssertSameEpoch(Epoch(single, 0), Epoch(parallel, 0), $"{model} on {ranks} ranks");
    }

    [Fact]
    public void ZeroOneMatchesAndItsCheckpointResumesInOneProcess()
    {
        Requirement.Require(Directory.Exists(FashionMnist.DefaultDirectory), $"Fashion-MNIST not installed at {FashionMnist.DefaultDirectory}");
        string single = TempDir(), zero = TempDir(), resumed = TempDir();
        string[] common = ["train", "--model", "mlp", "--limit", "1536", "--limit-test", "1000", "--threads", "1"];
        var (e1, o1) = Run(0, [.. common, "--epochs", "2", "--batch", "64", "--out", single]);
        Assert.True(e1 == 0, o1);
        var (e2, o2) = Run(2, [.. common, "--epochs", "1", "--data-parallel", "--zero", "1", "--batch", "32", "--out", zero, "--timeout", "120"]);
        Assert.True(e2 == 0, o2);
        AssertSameEpoch(Epoch(single, 0), Epoch(zero, 0), "--zero 1 on 2 ranks");
        // Adam keeps m and v: 2 floats per parameter; each of 2 ranks holds half of them.
        using (var mlp = Models.Mlp(Tessera.Tests.Support.TestDevices.Cpu, 0))
        {
            long elements = mlp.Parameters().Sum(p => p.Tensor.ElementCount);
            Assert.Contains($"optimizer state per rank: {(elements + 1) / 2 * 2 * sizeof(float)} bytes (ZeRO-1 block, 1/2", o2);
        }
        // The gathered checkpoint of 2 ranks continues in one process (global batch 64 both times).
        var (e3, o3) = Run(0, [.. common, "--epochs", "2", "--batch", "64", "--resume", Path.Combine(zero, TrainingRun.CheckpointName), "--out", resumed]);
        Assert.True(e3 == 0, o3);
        AssertSameEpoch(Epoch(single, 1), Epoch(resumed, 1), "epoch 2 resumed from the --zero 1 checkpoint");
    }

    private static string Text(int v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void AssertSameEpoch(JsonElement a, JsonElement b, string what)
    {
        foreach (var key in new[] { "train_loss", "test_loss", "test_accuracy" })
            Assert.True(Math.Abs(a.GetProperty(key).GetDouble() - b.GetProperty(key).GetDouble()) <= 1e-4,
                $"{what}: {key} {a.GetProperty(key).GetDouble()} against {b.GetProperty(key).GetDouble()}");
    }

    [Fact]
    public void ARankLeftWaitingTimesOutNamingTheRankAndTheCollective()
    {
        Requirement.Require(Directory.Exists(FashionMnist.DefaultDirectory), $"Fashion-MNIST not installed at {FashionMnist.DefaultDirectory}");
        // Two programs (MPMD): rank 1 trains on fewer images, so it stops after 8 steps while rank 0 waits in the 9th
        // step's all-reduce until the timeout; the job must end with rank 0's error instead of hanging.
        string[] Rank(int limit) => ["train", "--model", "mlp", "--epochs", "1", "--data-parallel", "--batch", "32", "--threads", "1",
            "--limit", limit.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "15", "--out", TempDir()];
        string cli = Path.Combine(AppContext.BaseDirectory, "tessera.dll");
        var sw = Stopwatch.StartNew();
        var (exit, output) = RunMpirun(["-np", "1", "dotnet", cli, .. Rank(1024), ":", "-np", "1", "dotnet", cli, .. Rank(512)]);
        Assert.NotEqual(0, exit);
        Assert.Matches(@"rank 0: AllReduce of \d+ floats did not complete within 15 s", output);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(150), $"took {sw.Elapsed}");
    }

    [Fact]
    public void AKilledRankEndsTheJobWithAnErrorNamingTheRankAndTheCollective()
    {
        Requirement.Require(Directory.Exists(FashionMnist.DefaultDirectory), $"Fashion-MNIST not installed at {FashionMnist.DefaultDirectory}");
        string cli = Path.Combine(AppContext.BaseDirectory, "tessera.dll");
        string[] train = ["train", "--model", "mlp", "--epochs", "3", "--limit", "12800", "--data-parallel", "--batch", "32", "--threads", "1", "--timeout", "30"];
        // Rank 1 is a shell that prints its pid and becomes the trainer (exec keeps the pid), so that the test can
        // SIGKILL it once rank 0 reports training steps.
        var psi = new ProcessStartInfo(RequireMpi());
        foreach (var a in (string[])["--oversubscribe", "--allow-run-as-root", "-np", "1", "dotnet", cli, .. train, "--out", TempDir(),
                     ":", "-np", "1", "sh", "-c", "echo \"rank 1 pid $$\"; exec \"$0\" \"$@\"", "dotnet", cli, .. train, "--out", TempDir()])
            psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        psi.Environment["NO_COLOR"] = "1";
        var output = new StringBuilder();
        string Output() { lock (output) return output.ToString(); }
        using var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            var sw = Stopwatch.StartNew();
            Match pid;
            while (!(pid = Regex.Match(Output(), @"rank 1 pid (\d+)")).Success || !Output().Contains(" step ", StringComparison.Ordinal))
            {
                Assert.False(p.HasExited, $"the job ended before training: {Output()}");
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(150), $"no training step after {sw.Elapsed}: {Output()}");
                Thread.Sleep(100);
            }
            using (var rank1 = Process.GetProcessById(int.Parse(pid.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
                rank1.Kill(); // SIGKILL
            var killed = Stopwatch.StartNew();
            Assert.True(p.WaitForExit(90_000), $"the job still runs 90 s after rank 1 was killed: {Output()}");
            p.WaitForExit();
            Assert.NotEqual(0, p.ExitCode);
            Assert.True(killed.Elapsed < TimeSpan.FromSeconds(30 + 30), $"took {killed.Elapsed} (collective timeout 30 s)");
            // Open MPI ends the job at once, naming the dead rank; rank 0 says which collective it was waiting in
            // (or, had the launcher not ended it, its collective times out naming it).
            Assert.Matches(@"process rank 1 with PID \d+ on node \S+ exited on signal 9|rank 0: ended by the launcher \(SIGTERM\)|rank 0: AllReduce of \d+ floats did not complete within 30 s", Output());
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void MismatchedCollectivesFailNamingBothSidesInDetailMode()
    {
        // Two programs (MPMD): rank 0 benchmarks all-reduce, rank 1 broadcast. The fingerprint exchange before the first
        // collective finds the difference on both ranks at once, long before the timeout.
        string cli = Path.Combine(AppContext.BaseDirectory, "tessera.dll");
        var sw = Stopwatch.StartNew();
        var (exit, output) = RunMpirun([
            "-np", "1", "dotnet", cli, "bench", "--op", "allreduce", "--size", "small", "--timeout", "100",
            ":", "-np", "1", "dotnet", cli, "bench", "--op", "broadcast", "--size", "small", "--timeout", "100"], debug: "DETAIL");
        Assert.NotEqual(0, exit);
        Assert.Matches(@"rank (0|1): mismatched collectives \(collective #0\): rank \1 calls (AllReduce \(Sum\) of 1024 floats|Broadcast of 1024 floats from rank 0), rank [01] calls (AllReduce \(Sum\) of 1024 floats|Broadcast of 1024 floats from rank 0)", output);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(90), $"took {sw.Elapsed}");
    }

    [Fact]
    public void DataParallelOutsideMpirunIsABadArgument()
    {
        var (exit, output) = Run(0, "train", "--model", "mlp", "--data-parallel", "--out", TempDir());
        Assert.Equal(2, exit);
        Assert.Contains("OMPI_COMM_WORLD_SIZE", output);
    }
}
