using Tessera.Bench;
using Tessera.Bench.Baselines;
using Tessera.Reference;
using Tessera.Tests.Support;

namespace Tessera.Tests.Bench;

/// <summary>The baselines compute what the rows claim (checked against the reference), so ratios compare like with like.</summary>
public class BaselineTests
{
    private static BenchInstance Instance(params (string Name, int[] Shape)[] inputs)
    {
        var ctx = new BenchContext(TestDevices.Cpu, 7);
        foreach (var (name, shape) in inputs) ctx.In(name, shape);
        return new BenchInstance(() => { }, () => new Verification(true, 0, ""), ctx);
    }

    [Fact]
    public void OnnxModelWriterModelRunsInOnnxRuntime()
    {
        Requirement.Require(OnnxRuntimeBaseline.Version is not null, "onnxruntime native library");
        using var inst = Instance(("x", [2, 3, 4, 4]));
        // MaxPool with kernel 2, stride 2, encoded by our protobuf writer (ints attributes).
        var spec = OnnxRuntimeBaseline.Node("MaxPool", ["x"], [("y", [2, 3, 2, 2])],
            [new OnnxModelWriter.AttributeSpec("kernel_shape", Ints: [2, 2]), new OnnxModelWriter.AttributeSpec("strides", Ints: [2, 2])]);
        using var run = spec.Create(inst, 1);
        run.Run();
        var expected = RefConv.MaxPool2d(inst.Context.Ref("x"), Kernels.Pool2dParams.Square(2, 2)).Y;
        Approx.Equal(expected, Array.ConvertAll(run.Output!, v => (double)v), 1e-6, 0, "ORT MaxPool");
    }

    [Fact]
    public void OnnxRuntimeLayerNormWithFloatAndIntAttributes()
    {
        Requirement.Require(OnnxRuntimeBaseline.Version is not null, "onnxruntime native library");
        using var inst = Instance(("x", [3, 8]), ("gamma", [8]), ("beta", [8]));
        var spec = OnnxRuntimeBaseline.Node("LayerNormalization", ["x", "gamma", "beta"], [("y", [3, 8])],
            [new OnnxModelWriter.AttributeSpec("axis", I: -1), new OnnxModelWriter.AttributeSpec("epsilon", F: 0.25f)]);
        using var run = spec.Create(inst, 1);
        run.Run();
        var r = RefNorm.LayerNorm(inst.Context.Ref("x"), inst.Context.Ref("gamma"), inst.Context.Ref("beta"), new Kernels.LayerNormParams(1, 0.25f));
        Approx.Equal(r.Y, Array.ConvertAll(run.Output!, v => (double)v), 1e-5, 1e-4, "ORT LayerNormalization (epsilon 0.25)");
    }

    [Fact]
    public void OpenBlasSgemmMatchesTheReference()
    {
        Requirement.Require(OpenBlas.Unavailable is null, OpenBlas.Unavailable ?? "");
        using var inst = Instance(("a", [2, 5, 7]), ("b", [2, 7, 3]));
        using var run = OpenBlas.Sgemm().Create(inst, 1);
        run.Run();
        var expected = RefLinalg.MatMul(inst.Context.Ref("a"), inst.Context.Ref("b"));
        Approx.Equal(expected, Array.ConvertAll(run.Output!, v => (double)v), 1e-5, 1e-5, "cblas_sgemm batched");
    }

    [Fact]
    public void TensorPrimitivesSoftmaxIsPerRow()
    {
        using var inst = Instance(("x", [4, 6]));
        using var run = TensorPrimitivesBaseline.Softmax().Create(inst, 1);
        run.Run();
        var expected = RefReduction.Softmax(inst.Context.Ref("x"), new Kernels.SoftmaxParams(1));
        Approx.Equal(expected, Array.ConvertAll(run.Output!, v => (double)v), 1e-6, 1e-5, "TensorPrimitives.SoftMax rows");
    }

    [Fact]
    public void ModelWriterRejectsAnAttributeWithoutValue() =>
        Assert.Throws<TesseraArgumentException>(() =>
            OnnxModelWriter.SingleNode("Relu", [("x", [1])], [("y", [1])], [new OnnxModelWriter.AttributeSpec("alpha")]));

    [Fact]
    public void PyTorchRowsAreCudaBaselinesFoundInTheRepository()
    {
        var spec = TorchBaseline.Row("gemm", "fwd");
        Assert.Equal(Tessera.Devices.DeviceKind.Cuda, spec.Device);
        Assert.Equal("PyTorch gemm", spec.Name);
        // The script is found from the test's folder (the repository's benchmarks/gpu/).
        Assert.EndsWith(Path.Combine("benchmarks", "gpu", "torch_rows.py"), TorchBaseline.Script);
        // Every row of the catalog carries it (shown on CUDA devices only).
        Assert.All(BenchCatalog.Cases(BenchSize.Small), c => Assert.Contains(c.Baselines, b => b.Name == $"PyTorch {c.Op}"));
        if (TorchBaseline.Version is null)
        {
            // Without Python and CUDA-enabled torch the row is missing, with the reason.
            using var inst = Instance(("a", [2, 2]), ("b", [2, 2]));
            var e = Assert.Throws<BaselineUnavailableException>(() => spec.Create(inst, 1));
            Assert.Matches("torch|python|CUDA", e.Message);
        }
    }
}
