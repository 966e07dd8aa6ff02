using Tessera.Cli.Training;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;
using Tessera.OpenCL;
using Tessera.Tests.Support;

namespace Tessera.Tests.OpenCL;

/// <summary>Training end to end on the OpenCL device (POCL in CI): the same run as on the CPU up to float rounding, and
/// steady-state steps that take nothing new from the device's pool (the property the CUDA acceptance asks of
/// cuMemAlloc).</summary>
public class ClTrainingTests
{
    private static ClDevice PrivateDevice() => ClTestDevice.Private();

    private static readonly Lazy<FashionMnist> LazyData = new(() => FashionMnist.Load(FashionMnist.DefaultDirectory));

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    [InlineData("vit")]
    public void TrainingFollowsTheCpuRun(string model)
    {
        Requirement.Require(Directory.Exists(FashionMnist.DefaultDirectory),
            $"Fashion-MNIST not installed at {FashionMnist.DefaultDirectory} (apt-get install dataset-fashion-mnist)");
        var data = LazyData.Value;
        using var cl = PrivateDevice();
        using var cpu = new Tessera.Cpu.CpuDevice();
        var o = new TrainOptions(model, Epochs: 1, Batch: 32, LimitTrain: 256, LimitTest: 64, Seed: 3);
        var onCpu = new TrainingRun(o with { OutDir = Directory.CreateTempSubdirectory("tessera-cl-train").FullName }, cpu).Run(data);
        var onCl = new TrainingRun(o with { OutDir = Directory.CreateTempSubdirectory("tessera-cl-train").FullName }, cl).Run(data);
        // Eight Adam steps: float rounding differs (GEMM and reduction order), the trajectories must not.
        Assert.Equal(onCpu[0].TrainLoss, onCl[0].TrainLoss, 2e-3 * Math.Abs(onCpu[0].TrainLoss));
        Assert.Equal(onCpu[0].TestLoss, onCl[0].TestLoss, 2e-3 * Math.Abs(onCpu[0].TestLoss));
        Assert.Equal(onCpu[0].TestAccuracy, onCl[0].TestAccuracy, 2.0 / 64);
    }

    [Fact]
    public void SteadyStateTrainingStepsTakeNothingFromThePool()
    {
        using var dev = PrivateDevice();
        Graph.ExecutorTests.AssertSteadyStateStepsAllocateNothing(dev);
    }
}
