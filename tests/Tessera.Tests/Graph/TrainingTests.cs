using System.Diagnostics;
using System.Text.Json;
using Tessera.Cli.Training;
using Tessera.Graph.Training;
using Tessera.Tests.Support;

namespace Tessera.Tests.Graph;

/// <summary>Training runs on (a slice of) Fashion-MNIST: determinism, exact resumption, survival of SIGKILL.</summary>
public class TrainingTests
{
    private static FashionMnist Data()
    {
        Requirement.Require(Directory.Exists(FashionMnist.DefaultDirectory),
            $"Fashion-MNIST not installed at {FashionMnist.DefaultDirectory} (apt-get install dataset-fashion-mnist)");
        return LazyData.Value;
    }

    private static readonly Lazy<FashionMnist> LazyData = new(() => FashionMnist.Load(FashionMnist.DefaultDirectory));

    private static string TempDir() => Directory.CreateTempSubdirectory("tessera-train").FullName;

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    [InlineData("vit")]
    public void SameSeedGivesTheSameLossesBitForBit(string model)
    {
        var data = Data();
        using var dev = new Tessera.Cpu.CpuDevice();
        var o = new TrainOptions(model, Epochs: 1, Batch: 32, LimitTrain: 256, LimitTest: 64, Seed: 5);
        var a = new TrainingRun(o with { OutDir = TempDir() }, dev).Run(data);
        var b = new TrainingRun(o with { OutDir = TempDir() }, dev).Run(data);
        Assert.Equal(a[0].TrainLoss, b[0].TrainLoss);
        Assert.Equal(a[0].TestLoss, b[0].TestLoss);
        var c = new TrainingRun(o with { OutDir = TempDir(), Seed = 6 }, dev).Run(data);
        Assert.NotEqual(a[0].TrainLoss, c[0].TrainLoss);
    }

    [Fact]
    public void ResumeContinuesExactly()
    {
        var data = Data();
        using var dev = new Tessera.Cpu.CpuDevice();
        var o = new TrainOptions("cnn", Epochs: 2, Batch: 32, LimitTrain: 256, LimitTest: 64, Seed: 3);
        var straight = new TrainingRun(o with { OutDir = TempDir() }, dev).Run(data);
        var dir = TempDir();
        new TrainingRun(o with { OutDir = dir, Epochs = 1 }, dev).Run(data);
        var resumed = new TrainingRun(o with { OutDir = TempDir(), Resume = Path.Combine(dir, TrainingRun.CheckpointName) }, dev).Run(data);
        Assert.Equal(2, resumed.Count);
        Assert.Equal(straight[1].TrainLoss, resumed[1].TrainLoss);
        Assert.Equal(straight[1].TestLoss, resumed[1].TestLoss);
        Assert.Equal(straight[1].TestAccuracy, resumed[1].TestAccuracy);
    }

    [Fact]
    public void ResumeRefusesAnotherModelsCheckpoint()
    {
        var data = Data();
        using var dev = new Tessera.Cpu.CpuDevice();
        var dir = TempDir();
        new TrainingRun(new TrainOptions("mlp", Epochs: 1, Batch: 32, LimitTrain: 64, LimitTest: 32, OutDir: dir), dev).Run(data);
        var ex = Assert.ThrowsAny<TesseraException>(() => new TrainingRun(
            new TrainOptions("cnn", Epochs: 2, Batch: 32, LimitTrain: 64, LimitTest: 32, OutDir: TempDir(), Resume: Path.Combine(dir, TrainingRun.CheckpointName)), dev).Run(data));
        Assert.Contains("mlp", ex.Message);
    }

    [Fact]
    public void SigkillMidEpochLeavesALoadableCheckpointAndResumeContinues()
    {
        Data();
        var dir = TempDir();
        string cli = Path.Combine(AppContext.BaseDirectory, "tessera.dll");
        Assert.True(File.Exists(cli), $"{cli} not found");
        string args = $"\"{cli}\" train --model mlp --epochs 50 --batch 32 --limit 4096 --threads 1 --out \"{dir}\"";
        var psi = new ProcessStartInfo("dotnet", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using (var p = Process.Start(psi)!)
        {
            var stderr = new System.Text.StringBuilder();
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            var ckpt = Path.Combine(dir, TrainingRun.CheckpointName);
            var sw = Stopwatch.StartNew();
            // Wait for the second epoch's checkpoint, then kill during a later epoch.
            while (sw.Elapsed < TimeSpan.FromSeconds(120) && !p.HasExited)
            {
                if (File.Exists(ckpt) && Checkpoint.Load(ckpt).Metadata["epochs_done"] is "2" or "3") break;
                Thread.Sleep(20);
            }
            Assert.False(p.HasExited, "training ended before it could be killed: " + stderr);
            Thread.Sleep(30);
            using (var kill = Process.Start("kill", $"-KILL {p.Id}")!) kill.WaitForExit();
            Assert.True(p.WaitForExit(10_000), "the training process survived SIGKILL");
            Assert.Equal(137, p.ExitCode);
        }
        var (tensors, meta) = Checkpoint.Load(Path.Combine(dir, TrainingRun.CheckpointName));
        int done = int.Parse(meta["epochs_done"]);
        Assert.InRange(done, 2, 49);
        Assert.Contains("param/1.weight", tensors.Keys);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));
        // Resume for one more epoch in process.
        using var dev = new Tessera.Cpu.CpuDevice { Threads = 1 };
        var more = new TrainingRun(new TrainOptions("mlp", Epochs: done + 1, Batch: 32, LimitTrain: 4096, OutDir: dir,
            Resume: Path.Combine(dir, TrainingRun.CheckpointName)), dev).Run(Data());
        Assert.Equal(done + 1, more.Count);
        var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")));
        Assert.Equal(done + 1, metrics.RootElement.GetProperty("epochs").GetArrayLength());
    }
}
