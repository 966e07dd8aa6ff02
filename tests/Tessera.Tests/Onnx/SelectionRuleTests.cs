using Tessera.Onnx;
using Tessera.Onnx.Testing;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Onnx;

/// <summary>The runner's selection rule: operators in scope, and Cast/CastLike only between float, int32, int64 and bool
/// (target type and the input's declared type).</summary>
public class SelectionRuleTests
{
    private static IReadOnlyList<string> Reasons(OnnxDataType inType, OnnxDataType to, OnnxDataType outType) =>
        OnnxTestRunner.OutOfScope(new ImportModels().Input("x", inType, 2).Node("Cast", new[] { "x" }, new[] { "y" }, I("to", (long)to))
            .Output("y", outType).Build());

    [Theory]
    [InlineData(OnnxDataType.Float, OnnxDataType.Int64)]
    [InlineData(OnnxDataType.Int32, OnnxDataType.Float)]
    [InlineData(OnnxDataType.Bool, OnnxDataType.Int32)]
    [InlineData(OnnxDataType.Int64, OnnxDataType.Bool)]
    public void Casts_between_scoped_types_are_selected(OnnxDataType from, OnnxDataType to) =>
        Assert.Empty(Reasons(from, to, to));

    [Fact]
    public void Cast_to_an_unscoped_type_is_excluded_with_its_reason() =>
        Assert.Equal(new[] { "Cast to DOUBLE" }, Reasons(OnnxDataType.Float, OnnxDataType.Double, OnnxDataType.Double));

    [Fact]
    public void Cast_from_a_declared_unscoped_type_is_excluded_with_its_reason() =>
        Assert.Equal(new[] { "Cast from FLOAT16" }, Reasons(OnnxDataType.Float16, OnnxDataType.Float, OnnxDataType.Float));

    [Fact]
    public void Cast_of_an_undeclared_value_is_judged_by_its_target_only()
    {
        var m = new ImportModels().Input("x", OnnxDataType.Float, 2).Node("Relu", new[] { "x" }, new[] { "r" })
            .Node("Cast", new[] { "r" }, new[] { "y" }, I("to", (long)OnnxDataType.Int32)).Output("y", OnnxDataType.Int32).Build();
        Assert.Empty(OnnxTestRunner.OutOfScope(m));
    }

    [Fact]
    public void CastLike_takes_its_target_from_input_1_and_operators_out_of_scope_are_named()
    {
        var m = new ImportModels().Input("x", OnnxDataType.Float, 2).Input("like", OnnxDataType.Uint8, 1)
            .Node("CastLike", new[] { "x", "like" }, new[] { "y" }).Output("y", OnnxDataType.Uint8).Build();
        var reasons = OnnxTestRunner.OutOfScope(m);
        Assert.Equal(new[] { "operator CastLike", "CastLike to UINT8" }, reasons);
        Assert.False(OnnxTestRunner.IsCastTypeReason(reasons[0]));
        Assert.True(OnnxTestRunner.IsCastTypeReason(reasons[1]));
    }
}
