using Tessera.Devices;
using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Graph;

/// <summary>Convolutions and products with a fused epilogue in a graph: the plan computes exactly what the eager op
/// computes (same kernel, same bits), the dump shows the epilogue, and autodiff refuses them with one clear line
/// (fused operators are for inference graphs).</summary>
public class FusedEpilogueGraphTests
{
    private static IDevice Dev => TestDevices.Target;

    /// <summary>Runs a one-node graph on the given inputs and returns its output's elements.</summary>
    private static float[] RunGraph(Func<GraphBuilder, Value[], Value> build, params Tensor[] inputs)
    {
        var g = new GraphBuilder();
        var values = inputs.Select((t, i) => g.Input($"x{i}", DType.Float32, t.Shape.ToArray())).ToArray();
        var y = build(g, values);
        g.Output(y);
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        for (int i = 0; i < inputs.Length; i++) plan.Input($"x{i}").CopyFrom<float>(inputs[i].ToArray<float>());
        plan.Run();
        return plan[y].ToArray<float>();
    }

    private static Tensor T(int seed, params int[] shape) => Rand.Uniform(seed, shape).ToDevice(Dev);

    public static TheoryData<bool, bool> BiasAndResidual() => new() { { true, true }, { false, true }, { true, false }, { false, false } };

    [Theory]
    [MemberData(nameof(BiasAndResidual))]
    public void Conv2dGraphIsTheEagerConv2d(bool bias, bool residual)
    {
        using var scope = TensorScope.Begin();
        var p = Conv2dParams.Square(1, 1) with { Epilogue = Epilogue.HardSwish };
        var x = T(1, 2, 20, 9, 11);
        var w = T(2, 12, 20, 3, 3);
        var b = bias ? T(3, 12) : null;
        var r = residual ? T(4, 2, 12, 9, 11) : null;
        var expected = Ops.Conv2d(x, w, b, p, r).ToArray<float>();
        Tensor[] inputs = [x, w, .. b is null ? [] : new[] { b }, .. r is null ? [] : new[] { r }];
        var actual = RunGraph((g, v) => g.Conv2d(v[0], v[1], bias ? v[2] : null, p, residual ? v[^1] : null, "conv"), inputs);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void GemmGraphIsTheEagerGemm()
    {
        using var scope = TensorScope.Begin();
        var p = new GemmParams(TransB: true, Epilogue: Epilogue.Gelu(approximate: true));
        var a = T(5, 7, 33);
        var b = T(6, 40, 33);
        var bias = T(7, 40);
        var expected = Ops.Gemm(a, b, bias, p).ToArray<float>();
        Assert.Equal(expected, RunGraph((g, v) => g.Gemm(v[0], v[1], v[2], p, "fc"), a, b, bias));
    }

    [Fact]
    public void DumpsShowTheEpilogue()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 1, 3, 8, 8);
        var w = g.Input("w", DType.Float32, 4, 3, 3, 3);
        var r = g.Input("r", DType.Float32, 1, 4, 8, 8);
        var y = g.Conv2d(x, w, null, Conv2dParams.Square(1, 1) with { Epilogue = Epilogue.Relu6 }, r, "conv");
        var a = g.Input("a", DType.Float32, 5, 6);
        var b = g.Input("b", DType.Float32, 6, 7);
        var c = g.Gemm(a, b, null, new GemmParams(Epilogue: Epilogue.LeakyRelu(0.1f)), "fc");
        g.Output(y, c);
        string dump = g.Graph.Dump();
        Assert.Contains("Conv2d[s1x1 p1,1,1,1 d1x1 g1 +residual clamp(0, 6)]", dump);
        Assert.Contains("Gemm[NN leakyrelu(0.1)]", dump);
    }

    public static TheoryData<string> FusedNodes() => new() { "conv relu", "conv residual", "gemm sigmoid" };

    [Theory]
    [MemberData(nameof(FusedNodes))]
    public void AutodiffRefusesFusedNodes(string node)
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 1, 2, 5, 5);
        var w = g.Input("w", DType.Float32, 3, 2, 3, 3);
        var y = node switch
        {
            "conv relu" => g.Conv2d(x, w, null, Conv2dParams.Square() with { Epilogue = Epilogue.Relu }, null, "fused"),
            "conv residual" => g.Conv2d(x, w, null, Conv2dParams.Square(), g.Input("r", DType.Float32, 1, 3, 3, 3), "fused"),
            _ => g.Gemm(g.Reshape(x, 25, 2), g.Reshape(w, 2, 27), null, new GemmParams(Epilogue: Epilogue.Sigmoid), "fused"),
        };
        var loss = g.Loss(g.Sum(y, Array.Empty<int>()));
        var e = Assert.Throws<TesseraArgumentException>(() => Autodiff.AppendBackward(g, loss, new[] { w }));
        Assert.Contains("Autodiff (fused)", e.Message);
        Assert.Contains("fused operators are for inference graphs", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
