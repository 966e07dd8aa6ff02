using System.Runtime.InteropServices;
using Tessera.Onnx;
using Tessera.Onnx.Import;
using Tessera.Tests.Support;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Onnx;

/// <summary>Float64 through the importer: kept as Float64 (computed in double on the host) where only element-wise
/// arithmetic, Cast, Identity and Constant touch it, narrowed to float32 otherwise. Expected values are computed here in
/// double; they differ from a float32 computation (beyond its range, or below its resolution).</summary>
public class ImportFloat64Tests
{
    private static OnnxTensor Doubles(string name, double[] data, params long[] dims) =>
        new(name, OnnxDataType.Double, dims, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());

    private static double[] ToDoubles(OnnxTensor t)
    {
        Assert.Equal(OnnxDataType.Double, t.DataType);
        return MemoryMarshal.Cast<byte, double>(t.RawData).ToArray();
    }

    [Fact]
    public void Broadcast_add_beyond_the_float32_range_stays_in_double()
    {
        var a = new[] { 1e200, -2e200, 3.5, 1 + 1e-12, -7e-300, 0 };
        var b = new[] { 1e199, 1e-12, -1e200 };
        var y = new ImportModels().Input("a", OnnxDataType.Double, 2, 3).Input("b", OnnxDataType.Double, 3)
            .Node("Add", new[] { "a", "b" }, new[] { "y" }).Output("y", OnnxDataType.Double)
            .Run(("a", Doubles("a", a, 2, 3)), ("b", Doubles("b", b, 3)));
        var expected = Enumerable.Range(0, 6).Select(i => a[i] + b[i % 3]).ToArray();
        Assert.Equal(expected, ToDoubles(y[0]));
    }

    [Fact]
    public void Arithmetic_with_a_double_constant_and_casts_keeps_double_resolution()
    {
        // y = Cast<double>(x) * c - c, then Div and Cast back to float: (1 + 1e-10)·c − c needs double resolution.
        var m = new ImportModels().Input("x", OnnxDataType.Float, 2)
            .Node("Cast", new[] { "x" }, new[] { "xd" }, I("to", (long)OnnxDataType.Double))
            .Node("Constant", Array.Empty<string>(), new[] { "c" }, T("value", Doubles("c", new[] { 1 + 1e-10, 3.0 }, 2)))
            .Node("Mul", new[] { "xd", "c" }, new[] { "p" })
            .Node("Sub", new[] { "p", "xd" }, new[] { "d" })
            .Node("Div", new[] { "d", "xd" }, new[] { "q" })
            .Node("Identity", new[] { "q" }, new[] { "y" })
            .Output("y", OnnxDataType.Double);
        var y = ToDoubles(m.Run(("x", Floats("x", new[] { 4f, 0.5f }, 2)))[0]);
        Assert.Equal((4 * (1 + 1e-10) - 4) / 4, y[0]);
        Assert.Equal((0.5 * 3 - 0.5) / 0.5, y[1]);
        Assert.True(Math.Abs(y[0] - 1e-10) < 1e-15, $"{y[0]} lost double resolution");
    }

    [Fact]
    public void Plan_holds_float64_values_when_kept()
    {
        var model = new ImportModels().Input("a", OnnxDataType.Double, 2).Input("b", OnnxDataType.Double, 2)
            .Node("Sub", new[] { "a", "b" }, new[] { "y" }).Output("y", OnnxDataType.Double).Build();
        var r = OnnxImporter.Import(model, TestDevices.Cpu);
        Assert.All(r.Inputs, v => Assert.Equal(DType.Float64, v.DType));
        Assert.Equal(DType.Float64, r.Outputs[0].Value!.DType);
        var narrowed = OnnxImporter.Import(model, TestDevices.Cpu, new OnnxImportOptions { KeepFloat64 = false });
        Assert.All(narrowed.Inputs, v => Assert.Equal(DType.Float32, v.DType));
    }

    [Fact]
    public void Other_operators_on_float64_fall_back_to_float32()
    {
        var m = new ImportModels().Input("a", OnnxDataType.Double, 3).Input("b", OnnxDataType.Double, 3)
            .Node("Add", new[] { "a", "b" }, new[] { "s" })
            .Node("Relu", new[] { "s" }, new[] { "y" }).Output("y", OnnxDataType.Double);
        var r = OnnxImporter.Import(m.Build(), TestDevices.Cpu);
        Assert.All(r.Inputs, v => Assert.Equal(DType.Float32, v.DType));
        var y = ToDoubles(m.Run(("a", Doubles("a", new[] { 1.0, -2, 0.25 }, 3)), ("b", Doubles("b", new[] { 0.5, 1, 0.25 }, 3)))[0]);
        Assert.Equal(new[] { 1.5, 0, 0.5 }, y);
        // Narrowed, a value beyond float32 is refused by name rather than silently turned into infinity.
        var e = Assert.Throws<OnnxUnsupportedException>(() => m.Run(("a", Doubles("a", new[] { 1e200, 0, 0 }, 3)), ("b", Doubles("b", new[] { 0.0, 0, 0 }, 3))));
        Assert.Contains("float32 range", e.Message);
    }

    [Fact]
    public void OnnxTensors_keeps_double_as_float64_when_asked()
    {
        var o = Doubles("d", new[] { 1e300, 0.1 }, 2);
        using var t = OnnxTensors.ToTensor(o, TestDevices.Cpu, keepDouble: true);
        Assert.Equal(DType.Float64, t.DType);
        Assert.Equal(new[] { 1e300, 0.1 }, t.ToArray<double>());
        var back = OnnxTensors.FromTensor("d", t);
        Assert.Equal(OnnxDataType.Double, back.DataType);
        Assert.Equal(o.RawData, back.RawData);
    }
}
