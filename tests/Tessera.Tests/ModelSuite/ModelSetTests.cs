using Tessera.Bench.Models;
using Tessera.Onnx;
using Tessera.Onnx.Testing;
using Tessera.Tests.Support;

namespace Tessera.Tests.ModelSuite;

/// <summary>The CI subset of the model set — real architectures exported by torch.onnx with seeded random weights
/// (benchmarks/models/export.py) — runs through Tessera on the CPU and gives PyTorch's outputs. The measure is
/// <see cref="OutputDiff.Normalized"/> (max |Δ| / (|ref| + rms(ref))) against <see cref="ModelComparer.Tolerance"/>:
/// see there why 1e-4 (measured on the whole set: at most 1.2e-5).</summary>
public class ModelSetTests
{
    public static TheoryData<string> CiModels() => new(ModelSet.CiSubset());

    [Theory]
    [MemberData(nameof(CiModels))]
    public void Model_gives_the_PyTorch_outputs(string name)
    {
        string dir = ModelSet.Require(name);
        var model = OnnxReader.ReadModel(Path.Combine(dir, "model.onnx"));
        using var program = new OnnxProgram(model, TestDevices.Cpu);
        string set = Path.Combine(dir, "test_data_set_0");
        var inputs = OnnxTestRunner.ReadInputs(set, program.Inputs);
        Assert.Equal(program.Inputs.Count, inputs.Count);
        var expected = OnnxTestRunner.ReadOutputs(set, model.Graph.Outputs);
        Assert.NotNull(expected);
        var diff = OutputDiff.Between(program.Run(inputs), expected);
        Assert.True(diff.Normalized <= ModelComparer.Tolerance,
            $"{name}: rel err {diff.Normalized:G3} (max abs {diff.MaxAbs:G3}) above {ModelComparer.Tolerance:G1}");
    }
}
