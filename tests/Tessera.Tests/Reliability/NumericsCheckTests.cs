using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Reliability;

/// <summary>The numerics check of the graph executor (issue 13, Deliver 6): with <see cref="ExecutionPlan.CheckNumerics"/>
/// a run stops at the first node that writes NaN or ±∞ and names it; a non-finite input is named as the input; without
/// the check the same run goes through.</summary>
public class NumericsCheckTests
{
    private static (ExecutionPlan Plan, Value Y) Build(float[] x)
    {
        var g = new GraphBuilder();
        var input = g.Input("x", DType.Float32, x.Length);
        var a = g.Relu(input, "relu");                              // finite
        var b = g.Unary(UnaryOp.Log, a, default, "log");            // log 0 = −∞: the first non-finite value
        var c = g.Unary(UnaryOp.Sqrt, b, default, "sqrt");          // NaN from there on
        var y = g.Tanh(c, "y");
        g.Output(y);
        var plan = ExecutionPlan.Compile(g.Graph, TestDevices.Cpu);
        plan.Input("x").CopyFrom(x);
        return (plan, y);
    }

    [Fact]
    public void The_first_node_writing_a_non_finite_value_is_named()
    {
        var (plan, _) = Build([1f, 0f, 2f]);
        using var _plan = plan;
        plan.CheckNumerics = true;
        var e = Assert.Throws<TesseraNumericsException>(plan.Run);
        Assert.Contains("node 'log'", e.Message);
        Assert.Contains("−∞", e.Message);
        Assert.Contains("at index 1", e.Message);
        Assert.DoesNotContain("'sqrt'", e.Message);
    }

    [Fact]
    public void A_non_finite_input_is_named_as_the_input()
    {
        var (plan, _) = Build([1f, float.NaN, 2f]);
        using var _plan = plan;
        plan.CheckNumerics = true;
        var e = Assert.Throws<TesseraNumericsException>(plan.Run);
        Assert.Contains("input 'x'", e.Message);
        Assert.Contains("NaN at index 1 before any node ran", e.Message);
    }

    [Fact]
    public void Without_the_check_the_run_goes_through_and_finite_runs_pass_with_it()
    {
        var (plan, y) = Build([1f, 0f, 2f]);
        using var _plan = plan;
        plan.Run();
        Assert.True(float.IsNaN(plan[y].ToArray<float>()[1]));
        plan.Input("x").CopyFrom(new[] { 1f, 4f, 9f });
        plan.CheckNumerics = true;
        plan.Run();
        Assert.All(plan[y].ToArray<float>(), v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(DType.Float16, 70000f)]     // above Half's largest finite value (65504): the cast gives +∞
    [InlineData(DType.BFloat16, 3.4e38f)]   // above bfloat16's largest finite value (about 3.39e38)
    public void Half_precision_outputs_are_checked(DType dtype, float big)
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2);
        var h = g.Cast(x, dtype, "narrow");
        var y = g.Cast(h, DType.Float32, "y");
        g.Output(y);
        using var plan = ExecutionPlan.Compile(g.Graph, TestDevices.Cpu);
        plan.Input("x").CopyFrom(new[] { 1f, big });
        plan.CheckNumerics = true;
        var e = Assert.Throws<TesseraNumericsException>(plan.Run);
        Assert.Contains("node 'narrow'", e.Message);
        Assert.Contains("+∞ to", e.Message);
    }
}
