using Tessera.Cli.Training;
using Tessera.Devices;
using Tessera.Distributed;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;
using Tessera.Tests.Support;

namespace Tessera.Tests.Distributed;

/// <summary>ZeRO stage 1 over the single-process communicator (the multi-rank run is in <see cref="MpiRunTests"/>): the
/// sharded optimizer steps like the plain one, exports the plain one's state and imports it back.</summary>
public class ZeroOptimizerTests
{
    private static readonly IDevice Dev = TestDevices.Cpu;
    private const int Batch = 8;

    private static (float[] X, long[] Y) Data()
    {
        var rng = new Random(3);
        return (Enumerable.Range(0, Batch * 12).Select(_ => (float)rng.NextDouble()).ToArray(), Enumerable.Range(0, Batch).Select(i => (long)(i % 4)).ToArray());
    }

    private static Sequential Model()
    {
        var init = new Initializer(11);
        return new Sequential(new Linear(Dev, init, 12, 16), Lambda.Relu(), new Linear(Dev, init, 16, 4));
    }

    private static Adam NewAdam() => new(new LearningRateSchedule.Constant(0.01), weightDecay: 0.01f, decoupled: true);

    private static Dictionary<string, float[]> Entries(IEnumerable<Checkpoint.Entry> entries) => entries.ToDictionary(e => e.Name, e => e.Data);

    [Fact]
    public void StepsExportsAndImportsLikeThePlainOptimizer()
    {
        var (x, y) = Data();
        using var plainModel = Model();
        using var plain = NewAdam();
        using var plainTrainer = new Trainer(plainModel, Dev, Batch, [12], plain);

        using var model = Model();
        using var dp = new DataParallel(new LocalCommunicator(), model.State());
        using var zero = new ZeroOptimizer(dp, NewAdam());
        using var trainer = new Trainer(model, Dev, Batch, [12], zero);

        for (int i = 0; i < 3; i++) Assert.Equal(plainTrainer.Step(x, y), trainer.Step(x, y));
        Assert.Equal(plainModel.Parameters().Select(p => p.Tensor.ToArray<float>()), model.Parameters().Select(p => p.Tensor.ToArray<float>()));
        Assert.Equal(3, zero.StepCount);
        // One rank holds the whole block: 12×16 + 16 + 16×4 + 4 elements, m and v.
        Assert.Equal(276, zero.ParameterElements);
        Assert.Equal(276, zero.ShardElements);
        Assert.Equal(plain.StateBytes, zero.StateBytes);
        Assert.Equal(2 * 276 * sizeof(float), zero.StateBytes);
        Assert.Equal(Entries(plain.ExportState()), Entries(zero.ExportState()));

        // The plain optimizer's state, imported, continues as the plain optimizer does.
        using var model2 = Model();
        foreach (var ((_, a), (_, b)) in model2.Parameters().Zip(plainModel.Parameters())) a.CopyFrom<float>(b.ToArray<float>());
        using var dp2 = new DataParallel(new LocalCommunicator(), model2.State());
        using var zero2 = new ZeroOptimizer(dp2, NewAdam());
        zero2.ImportState(plain.ExportState().ToDictionary(e => e.Name), plain.StepCount, model2.Parameters());
        using var trainer2 = new Trainer(model2, Dev, Batch, [12], zero2);
        for (int i = 0; i < 2; i++) Assert.Equal(plainTrainer.Step(x, y), trainer2.Step(x, y));
        Assert.Equal(Entries(plain.ExportState()), Entries(zero2.ExportState()));
    }

    [Fact]
    public void BadStateAndChangedParametersAreRejected()
    {
        using var model = Model();
        using var dp = new DataParallel(new LocalCommunicator(), model.State());
        using var zero = new ZeroOptimizer(dp, NewAdam());
        var entries = new Dictionary<string, Checkpoint.Entry>();
        var missing = Assert.ThrowsAny<TesseraArgumentException>(() => zero.ImportState(entries, 1, model.Parameters()));
        Assert.Contains("ZeroOptimizer.ImportState", missing.Message);
        Assert.Contains("missing", missing.Message);
        var fewer = model.Parameters().Take(2).ToArray();
        var changed = Assert.ThrowsAny<TesseraArgumentException>(() => zero.ImportState(entries, 1, fewer));
        Assert.Contains("differ", changed.Message);
        Assert.ThrowsAny<TesseraArgumentException>(() => new ZeroOptimizer(dp, zero));
    }

    [Fact]
    public void TrainingRunWithZeroMatchesThePlainRunAndItsCheckpointResumesWithoutIt()
    {
        Requirement.Require(Directory.Exists(FashionMnist.DefaultDirectory), $"Fashion-MNIST not installed at {FashionMnist.DefaultDirectory}");
        var data = FashionMnist.Load(FashionMnist.DefaultDirectory);
        using var dev = new Tessera.Cpu.CpuDevice();
        string Dir() => Directory.CreateTempSubdirectory("tessera-zero").FullName;
        var o = new TrainOptions("mlp", Epochs: 2, Batch: 32, LimitTrain: 256, LimitTest: 64, Seed: 4);
        var plain = new TrainingRun(o with { OutDir = Dir() }, dev).Run(data);
        string zeroDir = Dir();
        using (var comm = new LocalCommunicator())
        {
            var run = new TrainingRun(o with { OutDir = zeroDir, Epochs = 1, Zero = 1 }, dev, comm);
            var zero = run.Run(data);
            Assert.Equal(plain[0].TrainLoss, zero[0].TrainLoss);
            Assert.Equal(plain[0].TestLoss, zero[0].TestLoss);
            Assert.True(run.OptimizerStateBytes > 0);
        }
        var resumed = new TrainingRun(o with { OutDir = Dir(), Resume = Path.Combine(zeroDir, TrainingRun.CheckpointName) }, dev).Run(data);
        Assert.Equal(plain[1].TrainLoss, resumed[1].TrainLoss);
        Assert.Equal(plain[1].TestLoss, resumed[1].TestLoss);

        var noComm = Assert.ThrowsAny<TesseraArgumentException>(() => new TrainingRun(o with { OutDir = Dir(), Zero = 1 }, dev).Run(data));
        Assert.Contains("--data-parallel", noComm.Message);
        using var comm2 = new LocalCommunicator();
        var clip = Assert.ThrowsAny<TesseraArgumentException>(() => new TrainingRun(o with { OutDir = Dir(), Zero = 1, ClipNorm = 1 }, dev, comm2).Run(data));
        Assert.Contains("--clip-norm", clip.Message);
    }
}
