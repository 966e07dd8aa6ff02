using Tessera.Onnx;
using Tessera.Onnx.Import;
using Tessera.Tests.Support;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Onnx;

/// <summary>Malformed or unsupported models get Tessera exceptions naming the node, never a crash.</summary>
public class ImportMalformedTests
{
    private static TException Fails<TException>(ImportModels m, params (string, OnnxTensor)[] inputs) where TException : Exception =>
        Assert.ThrowsAny<TException>(() => m.Run(inputs));

    private static readonly (string, OnnxTensor) X = ("x", Floats("x", new float[6], 2, 3));

    [Fact]
    public void A_cycle_is_reported_with_its_nodes()
    {
        var m = new ImportModels().Input("x", 2, 3).Output("b")
            .Node("Add", new[] { "x", "b" }, new[] { "a" })
            .Node("Relu", new[] { "a" }, new[] { "b" });
        var e = Fails<TesseraException>(m, X);
        Assert.Contains("cycle", e.Message);
        Assert.Contains("n0_Add", e.Message);
        Assert.Contains("n1_Relu", e.Message);
    }

    [Fact]
    public void An_undefined_input_names_the_node_and_the_input()
    {
        var m = new ImportModels().Input("x", 2, 3).Output("y").Node("Add", new[] { "x", "ghost" }, new[] { "y" });
        var e = Fails<TesseraArgumentException>(m, X);
        Assert.Contains("n0_Add", e.Message);
        Assert.Contains("ghost", e.Message);
    }

    [Fact]
    public void An_unknown_operator_is_unsupported_naming_it()
    {
        var m = new ImportModels().Input("x", 2, 3).Output("y").Node("FancyOp", new[] { "x" }, new[] { "y" });
        var e = Fails<OnnxUnsupportedException>(m, X);
        Assert.Equal("FancyOp", e.OpType);
        Assert.Contains("n0_FancyOp", e.Message);
    }

    [Fact]
    public void An_out_of_range_axis_is_an_axis_error_naming_the_node()
    {
        var m = new ImportModels().Input("x", 2, 3).Output("y").Node("Softmax", new[] { "x" }, new[] { "y" }, ImportModels.I("axis", 2));
        var e = Fails<TesseraAxisException>(m, X);
        Assert.Contains("n0_Softmax", e.Message);
        var c = new ImportModels().Input("x", 2, 3).Output("y").Node("Concat", new[] { "x", "x" }, new[] { "y" }, ImportModels.I("axis", -3));
        Assert.Contains("n0_Concat", Fails<TesseraAxisException>(c, X).Message);
    }

    [Fact]
    public void An_unsupported_attribute_value_names_the_attribute()
    {
        var m = new ImportModels().Input("x", 1, 1, 4, 4).Output("y")
            .Node("MaxPool", new[] { "x" }, new[] { "y" }, Is("kernel_shape", 2, 2), S("auto_pad", "SIDEWAYS"));
        var e = Fails<OnnxUnsupportedException>(m, ("x", Floats("x", new float[16], 1, 1, 4, 4)));
        Assert.Contains("auto_pad", e.What);
        var u = new ImportModels().Input("x", 2, 3).Output("y").Node("Relu", new[] { "x" }, new[] { "y" }, I("mystery", 1));
        Assert.Contains("mystery", Fails<OnnxUnsupportedException>(u, X).What);
    }

    [Fact]
    public void A_data_dependent_shape_is_unsupported_with_the_reason()
    {
        // The target shape is computed from x's data at run time.
        var m = new ImportModels().Input("x", 2, 3).Output("y")
            .Node("Relu", new[] { "x" }, new[] { "r" })
            .Node("Reshape", new[] { "x", "r" }, new[] { "y" });
        var e = Fails<OnnxUnsupportedException>(m, X);
        Assert.Contains("data-dependent", e.What);
    }

    [Fact]
    public void Initializer_data_shorter_than_its_dims_is_a_shape_error()
    {
        var m = new ImportModels().Input("x", 2, 3).Output("y").Node("Add", new[] { "x", "w" }, new[] { "y" });
        var bad = Floats("w", new float[2], 2, 3);
        var model = m.Build();
        model = model with { Graph = model.Graph with { Initializers = new[] { bad } } };
        Assert.Throws<TesseraShapeException>(() => OnnxImporter.Import(model, TestDevices.Cpu));
    }

    [Fact]
    public void Absurd_generated_sizes_are_refused_before_allocation()
    {
        var m = new ImportModels().Input("x", 2, 3).Output("y").InitInts("dims", new long[] { 1 << 20, 1 << 20, 1 << 10 }, 3)
            .Node("ConstantOfShape", new[] { "dims" }, new[] { "y" });
        Assert.Contains("exceed the limit", Fails<TesseraShapeException>(m, X).Message);
        var e = new ImportModels().Input("x", 2, 3).Output("y").InitInts("dims", new long[] { 1 << 30, 2, 3 }, 3)
            .Node("Expand", new[] { "x", "dims" }, new[] { "y" });
        var ee = Fails<TesseraShapeException>(e, X);
        Assert.Contains("n0_Expand", ee.Message);
        Assert.Contains("exceed the limit", ee.Message);
    }
}
