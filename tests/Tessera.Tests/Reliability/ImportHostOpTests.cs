using Tessera.Onnx;
using Tessera.Tests.Onnx;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Reliability;

/// <summary>The importer's host ops with constant operands and scalars (issue 13, D3 and D4): a missing operand of a
/// fixed-arity operator and a Concat of rank-0 values are Tessera errors naming the node.</summary>
public class ImportHostOpTests
{
    [Theory]
    [InlineData("Add")]
    [InlineData("Mul")]
    [InlineData("Sub")]
    [InlineData("Div")]
    [InlineData("Pow")]
    [InlineData("Equal")]
    [InlineData("Less")]
    public void D3_a_binary_operator_with_one_constant_input_names_the_missing_input(string op)
    {
        var m = new ImportModels().Init("c", new float[] { 1, 2 }, 2).Output("y").Node(op, new[] { "c" }, new[] { "y" });
        var e = Assert.Throws<TesseraArgumentException>(() => m.Run());
        Assert.Contains($"n0_{op}", e.Message);
        Assert.Contains("input 1", e.Message);
    }

    [Fact]
    public void D3_an_empty_first_operand_beside_a_constant_names_the_missing_input()
    {
        var m = new ImportModels().Init("c", new float[] { 1, 2 }, 2).Output("y").Node("Mul", new[] { "", "c" }, new[] { "y" });
        var e = Assert.Throws<TesseraArgumentException>(() => m.Run());
        Assert.Contains("n0_Mul", e.Message);
        Assert.Contains("input 0", e.Message);
    }

    [Fact]
    public void D3_where_with_two_constant_inputs_names_the_missing_one()
    {
        var m = new ImportModels().Init("a", new float[] { 1, 2 }, 2).Init("b", new float[] { 3, 4 }, 2).Output("y")
            .Node("Where", new[] { "a", "b" }, new[] { "y" });
        var e = Assert.Throws<TesseraArgumentException>(() => m.Run());
        Assert.Contains("input 2", e.Message);
    }

    [Fact]
    public void D3_the_arity_check_keeps_optional_trailing_inputs_optional()
    {
        var m = new ImportModels().Input("x", 2).Output("y").Node("Clip", new[] { "x" }, new[] { "y" });
        var y = m.Run(("x", Floats("x", new float[] { -1, 2 }, 2)));
        Assert.Equal(new float[] { -1, 2 }, ToFloats(y[0]));
    }

    [Fact]
    public void D4_concat_of_constant_scalars_is_an_axis_error_naming_the_node()
    {
        var m = new ImportModels().Init("c", new float[] { 1 }).Output("y").Node("Concat", new[] { "c", "c" }, new[] { "y" }, I("axis", 0));
        var e = Assert.ThrowsAny<TesseraArgumentException>(() => m.Run());
        Assert.Contains("n0_Concat", e.Message);
        Assert.Contains("rank 0", e.Message);
    }

    [Fact]
    public void D4_concat_of_variable_scalars_is_an_axis_error_naming_the_node()
    {
        var m = new ImportModels().Input("x").Output("y").Node("Concat", new[] { "x", "x" }, new[] { "y" }, I("axis", 0));
        var e = Assert.ThrowsAny<TesseraArgumentException>(() => m.Run(("x", Floats("x", new float[] { 1 }))));
        Assert.Contains("n0_Concat", e.Message);
        Assert.Contains("rank 0", e.Message);
    }

    [Fact]
    public void D4_constant_concat_of_mixed_ranks_is_a_shape_error_naming_the_node()
    {
        var m = new ImportModels().Init("a", new float[] { 1, 2 }, 2).Init("b", new float[] { 1, 2 }, 1, 2).Output("y")
            .Node("Concat", new[] { "b", "a" }, new[] { "y" }, I("axis", 1));
        var e = Assert.ThrowsAny<TesseraArgumentException>(() => m.Run());
        Assert.Contains("n0_Concat", e.Message);
    }

    [Fact]
    public void Constant_concat_still_folds()
    {
        var m = new ImportModels().Init("a", new float[] { 1, 2 }, 1, 2).Init("b", new float[] { 3, 4, 5, 6 }, 2, 2).Output("y")
            .Node("Concat", new[] { "a", "b" }, new[] { "y" }, I("axis", 0));
        var y = m.Run();
        Assert.Equal(new long[] { 3, 2 }, y[0].Dims);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, ToFloats(y[0]));
    }
}
