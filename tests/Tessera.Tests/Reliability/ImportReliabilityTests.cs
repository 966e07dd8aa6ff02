using Tessera.Cpu;
using Tessera.Onnx;
using Tessera.Onnx.Import;
using Tessera.Tests.Onnx;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Reliability;

/// <summary>Declared input shapes and dtypes are enforced (issue 13, D9), and a failed import leaves nothing leased
/// (D11).</summary>
public class ImportReliabilityTests
{
    [Fact]
    public void D9_a_fed_shape_other_than_the_declared_one_is_refused()
    {
        var m = new ImportModels().Input("x", 2, 3).Output("y").Node("Relu", ["x"], ["y"]);
        var e = Assert.Throws<TesseraShapeException>(() => m.Run(("x", Floats("x", new float[35], 5, 7))));
        Assert.Contains("declares [2, 3]", e.Message);
        var rank = Assert.Throws<TesseraShapeException>(() => m.Run(("x", Floats("x", new float[6], 6))));
        Assert.Contains("rank", rank.Message);
    }

    [Fact]
    public void D9_a_fed_element_type_other_than_the_declared_one_is_refused()
    {
        var m = new ImportModels().Input("x", 2).Output("y").Node("Relu", ["x"], ["y"]);
        var e = Assert.Throws<TesseraDTypeException>(() => m.Run(("x", Int64s("x", [1, 2], 2))));
        Assert.Contains("declares Float", e.Message);
    }

    [Fact]
    public void D9_symbolic_dimensions_take_any_size()
    {
        var m = new ImportModels().Input("x", -1, 3).Output("y").Node("Relu", ["x"], ["y"]);
        Assert.Equal(new long[] { 5, 3 }, m.Run(("x", Floats("x", new float[15], 5, 3)))[0].Dims);
        Assert.Throws<TesseraShapeException>(() => m.Run(("x", Floats("x", new float[15], 3, 5))));
    }

    [Fact]
    public void D11_failed_imports_dispose_the_device_tensors_they_created()
    {
        using var device = new CpuDevice();
        // A 4 MiB constant is bound on the device by Relu, then the unknown operator fails the import.
        var model = new ImportModels().Input("x", 2).Init("w", new float[1 << 20], 1 << 20).Output("z")
            .Node("Relu", ["w"], ["y"]).Node("FancyOp", ["y"], ["z"]).Build();
        long before = device.Memory.Stats.CurrentBytes;
        for (int i = 0; i < 50; i++)
            Assert.Throws<OnnxUnsupportedException>(() => OnnxImporter.Import(model, device));
        Assert.Equal(before, device.Memory.Stats.CurrentBytes);
    }

    [Fact]
    public void D11_failed_programs_leave_nothing_leased()
    {
        using var device = new CpuDevice();
        var model = new ImportModels().Input("x", 1 << 20).Init("w", new float[1 << 20], 1 << 20).Output("z")
            .Node("Add", ["x", "w"], ["y"]).Node("Reshape", ["y", "w"], ["z"]).Build();
        long before = device.Memory.Stats.CurrentBytes;
        for (int i = 0; i < 10; i++)
        {
            using var p = new OnnxProgram(model, device);
            Assert.ThrowsAny<TesseraException>(() => p.Run(new Dictionary<string, OnnxTensor> { ["x"] = Floats("x", new float[1 << 20], 1 << 20) }));
        }
        Assert.Equal(before, device.Memory.Stats.CurrentBytes);
    }
}
