using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using Tessera.Kernels;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>An activation after a convolution into the convolution's epilogue. Each test runs a graph built for the pass
/// before and after it and compares the outputs.</summary>
public class ConvActivationFusionTests
{
    public static TheoryData<string> Activations() => new() { "relu", "relu6", "leakyrelu", "sigmoid", "silu", "hardswish", "gelu", "gelu_tanh" };

    private static Value Activation(GraphBuilder g, string name, Value x) => name switch
    {
        "relu" => g.Relu(x, "act"),
        "relu6" => g.Unary(UnaryOp.Clamp, x, new UnaryParams(0f, 6f), "act"),
        "leakyrelu" => g.LeakyRelu(x, 0.1f, "act"),
        "sigmoid" => g.Sigmoid(x, "act"),
        "silu" => g.Unary(UnaryOp.Silu, x, default, "act"),
        "hardswish" => g.Unary(UnaryOp.HardSwish, x, default, "act"),
        "gelu" => g.Gelu(x, false, "act"),
        _ => g.Gelu(x, true, "act"),
    };

    private static Epilogue EpilogueOf(Node n) => ((Conv2dGraphOp)n.Op).Params.Epilogue;

    [Theory]
    [MemberData(nameof(Activations))]
    public void The_activation_after_a_convolution_becomes_its_epilogue(string activation)
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3, 7, 6);
        var w = Const(g, "w", Data(1, 5 * 3 * 9, -2, 2), 5, 3, 3, 3);   // results up to about ±20: every activation's range
        var conv = g.Conv2d(x, w, Const(g, "b", Data(2, 5), 5), Conv2dParams.Square(1, 1), name: "conv");
        var y = g.Tanh(Activation(g, activation, conv), "y");
        g.Output(y);
        using var r = Check(g.Graph, [y], [new ConvActivationFusion()]);
        Assert.Equal(["Conv2d", "Tanh"], r.Graph.Nodes.Select(n => n.Op.Kind).ToArray());
        var unary = (UnaryGraphOp)g.Graph.Nodes[1].Op;
        Assert.Equal(new Epilogue(unary.Op, unary.Params), EpilogueOf(r.Graph.Nodes[0]));
        Assert.Equal(3, r.Graph.Nodes[0].Inputs.Count);   // the bias stays
    }

    [Fact]
    public void The_activation_joins_through_the_reshape_of_a_1d_convolution_and_after_a_residual()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3, 1, 20);
        var conv = g.Conv2d(x, Const(g, "w", Data(1, 4 * 3 * 3), 4, 3, 1, 3), null, new Conv2dParams(StrideW: 2), name: "conv1d");
        var y = g.Relu(g.Reshape(conv, 2, 4, 9), "y");
        var r2 = g.Input("res", DType.Float32, 2, 4, 5, 5);
        var withResidual = g.Conv2d(g.Input("x2", DType.Float32, 2, 3, 5, 5), Const(g, "w2", Data(2, 4 * 3 * 9), 4, 3, 3, 3),
            Const(g, "b2", Data(3, 4), 4), Conv2dParams.Square(1, 1), r2, "conv_res");
        var z = g.Unary(UnaryOp.Clamp, withResidual, new UnaryParams(0f, 6f), "z");
        g.Output(y, z);
        using var r = Check(g.Graph, [y, z], [new ConvActivationFusion()]);
        Assert.Equal(["Conv2d", "Reshape", "Conv2d"], r.Graph.Nodes.Select(n => n.Op.Kind).ToArray());
        Assert.Equal(Epilogue.Relu, EpilogueOf(r.Graph.Nodes[0]));
        Assert.Equal(Epilogue.Relu6, EpilogueOf(r.Graph.Nodes[2]));
        Assert.True(((Conv2dGraphOp)r.Graph.Nodes[2].Op).HasResidual);
    }

    [Fact]
    public void Convolutions_read_elsewhere_or_followed_by_other_ops_are_left_alone()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 1, 2, 5, 5);
        Value Conv(string name, int seed, Epilogue e = default) =>
            g.Conv2d(x, Const(g, $"{name}.w", Data(seed, 3 * 2 * 9), 3, 2, 3, 3), null, Conv2dParams.Square(1, 1) with { Epilogue = e }, name: name);
        var twice = Conv("read_twice", 1);
        var a = g.Add(g.Relu(twice), twice, "a");                          // the convolution's result is read twice
        var shown = Conv("graph_output", 2);
        var b = g.Relu(shown, "b");                                        // and is an output of the graph
        var c = g.Tanh(Conv("tanh", 3), "c");                              // tanh is no epilogue activation
        var d = g.Relu(Conv("has_one", 4, Epilogue.LeakyRelu(0.2f)), "d"); // the convolution applies an activation already
        var e = g.Unary(UnaryOp.HardSigmoid, Conv("hard_sigmoid", 5), new UnaryParams(0.2f, 0.5f), "e");
        g.Output(a, shown, b, c, d, e);
        using var r = Check(g.Graph, [a, shown, b, c, d, e], [new ConvActivationFusion()], exact: true);
        Assert.Equal(g.Graph.Nodes.Count, r.Graph.Nodes.Count);
    }

    [Fact]
    public void At_level_all_batch_norm_folds_first_and_the_activation_then_fuses()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3, 6, 6);
        var conv = g.Conv2d(x, Const(g, "w", Data(1, 4 * 3 * 9), 4, 3, 3, 3), null, Conv2dParams.Square(1, 1), name: "conv");
        Value C(string name, int seed, float lo, float hi) => Const(g, name, Data(seed, 4, lo, hi), 4);
        var bn = g.BatchNorm(conv, C("gamma", 2, 0.5f, 1.5f), C("beta", 3, -1, 1), C("mean", 4, -1, 1), C("var", 5, 0.5f, 2),
            new BatchNormParams(1e-3f), "bn");
        var y = g.Relu(bn, "y");
        g.Output(y);
        var names = GraphOptimizer.Passes(OptimizationLevel.All).Select(p => p.Name).ToList();
        Assert.True(names.IndexOf("batchnorm-folding") < names.IndexOf("conv-activation"));
        using var r = Check(g.Graph, [y], GraphOptimizer.Passes(OptimizationLevel.All), new OptimizationOptions { Inference = true });
        var node = Assert.Single(r.Graph.Nodes);
        Assert.Equal(Epilogue.Relu, EpilogueOf(node));
        Assert.Equal(3, node.Inputs.Count);   // the folded bias
        Assert.Equal(["batchnorm-folding", "conv-activation"], r.Report.Passes.Select(p => p.Pass).ToArray());
    }
}
