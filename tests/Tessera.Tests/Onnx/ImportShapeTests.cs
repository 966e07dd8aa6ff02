using Tessera.Onnx;
using Tessera.Onnx.Import;
using Tessera.Tests.Support;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Onnx;

/// <summary>Shape operators and import-time folding of shape subgraphs.</summary>
public class ImportShapeTests
{
    [Fact]
    public void Shape_subgraph_is_folded_into_a_constant_reshape()
    {
        // y = Reshape(x, Concat(Gather(Shape(x), 0), [-1])): a typical exporter pattern for flattening.
        float[] x = Data(20, 2 * 3 * 4);
        var m = new ImportModels(13).Input("x", 2, 3, 4).InitInts("zero", new long[] { 0 }).InitInts("minus1", new long[] { -1 }, 1).Output("y")
            .Node("Shape", new[] { "x" }, new[] { "s" })
            .Node("Gather", new[] { "s", "zero" }, new[] { "n" }, I("axis", 0))
            .Node("Unsqueeze", new[] { "n", "ax0" }, new[] { "n1" })
            .Node("Concat", new[] { "n1", "minus1" }, new[] { "target" }, I("axis", 0))
            .Node("Reshape", new[] { "x", "target" }, new[] { "y" })
            .InitInts("ax0", new long[] { 0 }, 1);
        var import = OnnxImporter.Import(m.Build(), TestDevices.Cpu);
        Assert.Equal(new[] { "Reshape" }, import.Graph.Nodes.Select(n => n.Op.Kind).ToArray());
        Assert.Equal(new[] { 2, 12 }, import.Outputs[0].Value!.Shape.ToArray());
        foreach (var t in import.OwnedTensors) t.Dispose();
        var y = m.Run(("x", Floats("x", x, 2, 3, 4)))[0];
        Assert.Equal(new long[] { 2, 12 }, y.Dims);
        Assert.Equal(x, ToFloats(y));
    }

    [Fact]
    public void Shape_output_is_int64_with_start_and_end()
    {
        var m = new ImportModels(15).Input("x", 2, 3, 4, 5).Output("s", OnnxDataType.Int64)
            .Node("Shape", new[] { "x" }, new[] { "s" }, I("start", 1), I("end", -1));
        var s = m.Run(("x", Floats("x", new float[120], 2, 3, 4, 5)))[0];
        Assert.Equal(OnnxDataType.Int64, s.DataType);
        Assert.Equal(new long[] { 3, 4 }, ToLongs(s));
    }

    [Fact]
    public void Slice_with_negative_steps_and_clamped_ends()
    {
        float[] x = Enumerable.Range(0, 20).Select(i => (float)i).ToArray();
        var m = new ImportModels(13).Input("x", 4, 5).Output("y")
            .InitInts("st", new long[] { 100, -2 }, 2).InitInts("en", new long[] { -100, 0 }, 2).InitInts("ax", new long[] { 1, 0 }, 2)
            .InitInts("sp", new long[] { -2, -1 }, 2)
            .Node("Slice", new[] { "x", "st", "en", "ax", "sp" }, new[] { "y" });
        var y = m.Run(("x", Floats("x", x, 4, 5)))[0];
        // rows 2, 1 (start −2 → 2, end 0 exclusive, step −1); columns 4, 2, 0 (start clamps to 4, step −2)
        Assert.Equal(new long[] { 2, 3 }, y.Dims);
        Assert.Equal(new float[] { 14, 12, 10, 9, 7, 5 }, ToFloats(y));
    }

    [Fact]
    public void Reshape_shape_fed_as_an_input_is_bound_at_import_time()
    {
        float[] x = Data(21, 24);
        var m = new ImportModels(14).Input("x", 2, 3, 4).Input("shape", OnnxDataType.Int64, 3).Output("y")
            .Node("Reshape", new[] { "x", "shape" }, new[] { "y" });
        using var p = new OnnxProgram(m.Build(), TestDevices.Cpu);
        var y = p.Run(new Dictionary<string, OnnxTensor> { ["x"] = Floats("x", x, 2, 3, 4), ["shape"] = Int64s("shape", new long[] { 0, -1, 2 }, 3) })[0];
        Assert.Equal(new long[] { 2, 6, 2 }, y.Dims);
        Assert.Contains("shape", p.ValueInputs);
        var y2 = p.Run(new Dictionary<string, OnnxTensor> { ["x"] = Floats("x", x, 2, 3, 4), ["shape"] = Int64s("shape", new long[] { 4, 0, -1 }, 3) })[0];
        Assert.Equal(new long[] { 4, 3, 2 }, y2.Dims);   // a new value compiles again
    }

    [Fact]
    public void Transpose_unsqueeze_squeeze_flatten_and_concat()
    {
        float[] x = Enumerable.Range(0, 6).Select(i => (float)i).ToArray();
        var m = new ImportModels(11).Input("x", 2, 3).Output("t").Output("f").Output("c")
            .Node("Transpose", new[] { "x" }, new[] { "t" })                                   // perm defaults to reversed
            .Node("Unsqueeze", new[] { "x" }, new[] { "u" }, Is("axes", 0, -1))                // opset 11: attribute
            .Node("Squeeze", new[] { "u" }, new[] { "sq" }, Is("axes", 0))
            .Node("Flatten", new[] { "sq" }, new[] { "f" }, I("axis", 0))
            .Node("Concat", new[] { "x", "x" }, new[] { "c" }, I("axis", -1));
        var outs = m.Run(("x", Floats("x", x, 2, 3)));
        Assert.Equal(new long[] { 3, 2 }, outs[0].Dims);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, ToFloats(outs[0]));
        Assert.Equal(new long[] { 1, 6 }, outs[1].Dims);
        Assert.Equal(new long[] { 2, 6 }, outs[2].Dims);
        Assert.Equal(new float[] { 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5 }, ToFloats(outs[2]));
    }

    [Fact]
    public void Gather_with_negative_constant_indices_and_expand()
    {
        float[] x = Enumerable.Range(0, 6).Select(i => (float)i).ToArray();
        var m = new ImportModels(13).Input("x", 3, 2).InitInts("idx", new long[] { -1, 0 }, 2).InitInts("shape", new long[] { 2, 1, 1 }, 3).Output("g").Output("e")
            .Node("Gather", new[] { "x", "idx" }, new[] { "g" })
            .Node("Expand", new[] { "g", "shape" }, new[] { "e" });
        var outs = m.Run(("x", Floats("x", x, 3, 2)));
        Assert.Equal(new float[] { 4, 5, 0, 1 }, ToFloats(outs[0]));
        Assert.Equal(new long[] { 2, 2, 2 }, outs[1].Dims);
        Assert.Equal(new float[] { 4, 5, 0, 1, 4, 5, 0, 1 }, ToFloats(outs[1]));
    }

    [Fact]
    public void Constant_and_ConstantOfShape_outputs_come_back_with_their_types()
    {
        var m = new ImportModels(13).Input("x", 2).Output("c", OnnxDataType.Int64).Output("z")
            .Node("Constant", Array.Empty<string>(), new[] { "c" }, Is("value_ints", 3, 1))
            .Node("ConstantOfShape", new[] { "c" }, new[] { "z0" }, T("value", Floats("v", new[] { 1.5f }, 1)))
            .Node("Add", new[] { "z0", "x" }, new[] { "z" });
        var outs = m.Run(("x", Floats("x", new[] { 1f, 2f }, 2)));
        Assert.Equal(new long[] { 3, 1 }, ToLongs(outs[0]));
        Assert.Equal(new long[] { 3, 2 }, outs[1].Dims);
        Assert.Equal(new float[] { 2.5f, 3.5f, 2.5f, 3.5f, 2.5f, 3.5f }, ToFloats(outs[1]));
    }
}
