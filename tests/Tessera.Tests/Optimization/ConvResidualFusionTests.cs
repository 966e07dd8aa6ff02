using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using Tessera.Kernels;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>A residual addition after a convolution into the convolution (and the activation after the sum with it).
/// Each test runs a graph built for the pass before and after it and compares the outputs.</summary>
public class ConvResidualFusionTests
{
    private static Conv2dGraphOp Op(Node n) => (Conv2dGraphOp)n.Op;

    /// <summary>Two ResNet basic blocks: relu(conv(relu(conv(x))) + x), then one downsampling by a strided 1×1
    /// convolution on the identity branch: relu(conv(relu(conv(h))) + conv1x1(h)).</summary>
    private static (GraphBuilder G, Value Y) ResNet(bool identityFirst)
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 4, 8, 8);
        int seed = 0;
        Value Conv(string name, Value v, int o, int k, int stride) =>
            g.Conv2d(v, Const(g, $"{name}.w", Data(++seed, o * v.Shape[1] * k * k, -0.5f, 0.5f), o, v.Shape[1], k, k),
                Const(g, $"{name}.b", Data(++seed, o), o), Conv2dParams.Square(stride, k / 2), name: name);
        var a = Conv("conv2", g.Relu(Conv("conv1", x, 4, 3, 1)), 4, 3, 1);
        var h = g.Relu(identityFirst ? g.Add(x, a, "add1") : g.Add(a, x, "add1"), "h");
        var main = Conv("conv4", g.Relu(Conv("conv3", h, 6, 3, 2)), 6, 3, 1);
        var down = Conv("down", h, 6, 1, 2);
        var y = g.Relu(g.Add(main, down, "add2"), "y");
        g.Output(y);
        return (g, y);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_residual_block_becomes_convolutions_with_residuals_and_activations(bool identityFirst)
    {
        using var scope = TensorScope.Begin();
        var (g, y) = ResNet(identityFirst);
        // The residual pass alone: the additions go into the convolutions, the activations stay.
        using (var r = Check(g.Graph, [y], [new ConvResidualFusion()]))
        {
            Assert.Equal(0, Count(r.Graph, "Add"));
            Assert.Equal(4, Count(r.Graph, "Relu"));
            var fused = r.Graph.Nodes.Where(n => n.Op is Conv2dGraphOp { HasResidual: true }).ToArray();
            Assert.Equal(["conv2", "conv4"], fused.Select(n => n.Name).ToArray());
            Assert.Equal("x", fused[0].Inputs[^1].Name);
            Assert.Equal(4, fused[0].Inputs.Count);   // x, w, b, then the residual
        }
        // With the activation pass after it, as the optimizer runs them: every node is a convolution.
        using var all = Check(g.Graph, [y], [new ConvResidualFusion(), new ConvActivationFusion()]);
        Assert.All(all.Graph.Nodes, n => Assert.Equal("Conv2d", n.Op.Kind));
        Assert.Equal(5, all.Graph.Nodes.Count);
        Assert.All(all.Graph.Nodes.Where(n => n.Name != "down"), n => Assert.Equal(Epilogue.Relu, Op(n).Params.Epilogue));
        Assert.True(Op(all.Graph.Nodes.Single(n => n.Name == "conv4")).HasResidual);
    }

    [Fact]
    public void Sums_that_are_not_a_convolution_plus_a_residual_are_left_alone()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 1, 3, 5, 5);
        var res = g.Input("res", DType.Float32, 1, 3, 5, 5);
        Value Conv(string name, int seed, Epilogue e = default) =>
            g.Conv2d(x, Const(g, $"{name}.w", Data(seed, 3 * 3 * 9), 3, 3, 3, 3), null, Conv2dParams.Square(1, 1) with { Epilogue = e }, name: name);
        var perChannel = g.Add(Conv("bias_like", 1), Const(g, "c", Data(2, 3), 1, 3, 1, 1), "per_channel");   // broadcasts: no residual
        var activated = g.Add(Conv("activated", 3, Epilogue.Relu), res, "after_relu");                       // relu(conv) + r ≠ relu(conv + r)
        var twice = Conv("read_twice", 4);
        var readTwice = g.Add(g.Add(twice, res), twice, "read_twice_sum");
        var self = Conv("self", 5);
        var doubled = g.Add(self, self, "doubled");                                                           // conv + itself
        var shown = Conv("graph_output", 6);
        var withOutput = g.Add(shown, res, "with_output");
        var sub = g.Sub(Conv("sub", 7), res, "subtracted");
        Value[] outputs = [perChannel, activated, readTwice, doubled, shown, withOutput, sub];
        g.Output(outputs);
        using var r = Check(g.Graph, outputs, [new ConvResidualFusion()], exact: true);
        Assert.Equal(g.Graph.Nodes.Count, r.Graph.Nodes.Count);
        Assert.DoesNotContain(r.Graph.Nodes, n => n.Op is Conv2dGraphOp { HasResidual: true });
    }
}
