using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using Tessera.Kernels;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>An activation after a matrix product (Gemm, MatMul, Linear) into the product's epilogue. Each test runs a
/// graph built for the pass before and after it and compares the outputs.</summary>
public class GemmActivationFusionTests
{
    private static GemmParams Params(Node n) => ((GemmGraphOp)n.Op).Params;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_transformer_feed_forward_becomes_products_with_gelu_and_bias(bool tanh)
    {
        // torch.onnx's Linear on a [B, T, D] activation: MatMul by the [D, F] weight, Add of the bias, then GELU.
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 5, 8);
        var up = g.Add(Const(g, "up.b", Data(1, 16), 16), g.MatMul(x, Const(g, "up.w", Data(2, 8 * 16), 8, 16), "up"), "up_bias");
        var act = g.Gelu(up, tanh, "gelu");
        var down = g.Add(g.MatMul(act, Const(g, "down.w", Data(3, 16 * 8), 16, 8), "down"), Const(g, "down.b", Data(4, 8), 8), "y");
        g.Output(down);
        using var r = Check(g.Graph, [down], [new BatchNormFolding(), new GemmActivationFusion()]);
        Assert.Equal(["Gemm", "Gemm"], r.Graph.Nodes.Select(n => n.Op.Kind).ToArray());
        Assert.Equal(Epilogue.Gelu(tanh), Params(r.Graph.Nodes[0]).Epilogue);
        Assert.Equal(3, r.Graph.Nodes[0].Inputs.Count);
        Assert.True(Params(r.Graph.Nodes[1]).Epilogue.IsNone);
    }

    [Fact]
    public void Gemm_and_linear_nodes_take_their_activation()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var a = g.Input("a", DType.Float32, 6, 10);
        var gemm = g.Gemm(a, g.Input("b", DType.Float32, 7, 10), null, new GemmParams(TransB: true, Alpha: 0.5f), "gemm");
        var y1 = g.Relu(gemm, "y1");
        var lin = g.Linear(a, Const(g, "w", Data(1, 5 * 10), 5, 10), Const(g, "lb", Data(2, 5), 5), "fc");
        var y2 = g.LeakyRelu(lin, 0.05f, "y2");
        var x3 = g.Input("x3", DType.Float32, 2, 3, 10);
        var lin3 = g.Linear(x3, Const(g, "w3", Data(3, 4 * 10), 4, 10), Const(g, "b3", Data(4, 4), 4), "fc3");
        var y3 = g.Unary(UnaryOp.Silu, g.Reshape(lin3, 6, 4), default, "y3");   // through a reshape
        g.Output(y1, y2, y3);
        using var r = Check(g.Graph, [y1, y2, y3], [new GemmActivationFusion()]);
        Assert.Equal(["Gemm", "Gemm", "Reshape", "Gemm", "Reshape", "Reshape"], r.Graph.Nodes.Select(n => n.Op.Kind).ToArray());
        var gemms = r.Graph.Nodes.Where(n => n.Op is GemmGraphOp).ToArray();
        Assert.Equal(new GemmParams(TransB: true, Alpha: 0.5f, Epilogue: Epilogue.Relu), Params(gemms[0]));
        Assert.Equal(new GemmParams(TransB: true, Epilogue: Epilogue.LeakyRelu(0.05f)), Params(gemms[1]));
        Assert.Equal(Epilogue.Silu, Params(gemms[2]).Epilogue);
        Assert.Equal([6, 10], gemms[2].Inputs[0].Shape.ToArray());   // the rows of x3 as one matrix, as Linear runs them
    }

    [Fact]
    public void Products_read_elsewhere_or_followed_by_other_ops_are_left_alone()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var a = g.Input("a", DType.Float32, 4, 6);
        var b = g.Input("b", DType.Float32, 6, 5);
        var twice = g.MatMul(a, b, "read_twice");
        var s = g.Add(g.Relu(twice), twice, "s");                                   // the product is read twice
        var shown = g.MatMul(a, b, "graph_output");
        var t = g.Sigmoid(shown, "t");                                              // and is an output of the graph
        var u = g.Tanh(g.MatMul(a, b, "tanh"), "u");                                // tanh is no epilogue activation
        var v = g.Relu(g.Gemm(a, b, null, new GemmParams(Epilogue: Epilogue.Sigmoid), "has_one"), "v");
        var vector = g.Relu(g.Linear(g.Input("x1", DType.Float32, 6), Const(g, "w", Data(1, 30), 5, 6)), "vector");   // a 1-D Linear
        var biased = g.Relu(g.Add(g.MatMul(a, b, "not_constant_bias"), g.Input("bias", DType.Float32, 5)), "biased");
        Value[] outputs = [s, shown, t, u, v, vector, biased];
        g.Output(outputs);
        using var r = Check(g.Graph, outputs, [new GemmActivationFusion()], exact: true);
        Assert.Equal(g.Graph.Nodes.Count, r.Graph.Nodes.Count);
    }
}
