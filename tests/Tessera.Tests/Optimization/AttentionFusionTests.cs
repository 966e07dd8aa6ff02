using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>Softmax attention written out in matrix products, with head splitting, onto the Attention op. Each test
/// runs a graph built for the pass before and after it and compares the outputs.</summary>
public class AttentionFusionTests
{
    /// <summary>Multi-head attention as exporters write it: projections split into heads by Reshape and Transpose,
    /// kᵀ by its own Transpose, scores divided by √D, a mask, softmax, the product with v, heads merged.</summary>
    private static (GraphBuilder G, Value Y) Attention(int b, int t, int h, int d, Func<GraphBuilder, Value, Value> mask)
    {
        var g = new GraphBuilder();
        int e = h * d;
        var x = g.Input("x", DType.Float32, b, t, e);
        Value Heads(Value v, params int[] perm) => g.Permute(g.Reshape(v, b, t, h, d), perm);
        var q = Heads(g.Affine(x, 0.9f, 0.1f), 0, 2, 1, 3);
        var kT = Heads(g.Affine(x, -0.7f, 0.2f), 0, 2, 3, 1);
        var v = Heads(g.Affine(x, 1.1f, -0.3f), 0, 2, 1, 3);
        var scores = g.Div(g.MatMul(q, kT), Const(g, "sqrt_d", [MathF.Sqrt(d)]));
        var probs = g.Softmax(mask(g, scores), -1);
        var ctx = g.Permute(g.MatMul(probs, v), 0, 2, 1, 3);
        var y = g.Reshape(ctx, b, t, e);
        g.Output(y);
        return (g, y);
    }

    [Fact]
    public void Attention_with_a_padding_mask_becomes_the_Attention_op()
    {
        using var scope = TensorScope.Begin();
        var (g, y) = Attention(2, 6, 2, 4, (g, s) =>
        {
            var keep = g.Input("keep", DType.Float32, 2, 1, 1, 6);
            return g.Add(s, g.Affine(keep, 10000f, -10000f));   // (keep − 1)·10000, BERT's additive mask
        });
        var feeds = Feeds(g.Graph);
        feeds["keep"] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
        using var r = Check(g.Graph, [y], [new AttentionFusion(), new DeadNodeElimination()], feeds: feeds);
        var attention = Assert.Single(r.Graph.Nodes, n => n.Op.Kind == "Attention");
        Assert.Equal(4, attention.Inputs.Count);
        Assert.Equal(0, Count(r.Graph, "Softmax") + Count(r.Graph, "Gemm"));
        Assert.Equal(0.5f, ((AttentionGraphOp)attention.Op).Params.Scale, 6);
        // The heads' permutations: q and v as they were, k as [0, 2, 1, 3] instead of [0, 2, 3, 1], the merge.
        Assert.Equal(4, Count(r.Graph, "Permute"));
    }

    [Fact]
    public void A_causal_boolean_mask_becomes_the_causal_flag()
    {
        using var scope = TensorScope.Begin();
        const int t = 5;
        var tril = Enumerable.Range(0, t * t).Select(i => i % t <= i / t).ToArray();
        var (g, y) = Attention(1, t, 2, 3, (g, s) =>
            g.Where(g.Constant("causal", Tensor.FromArray(Dev, tril, 1, 1, t, t)), s, Const(g, "min", [float.MinValue])));
        using var r = Check(g.Graph, [y], [new AttentionFusion(), new DeadNodeElimination()]);
        var attention = Assert.Single(r.Graph.Nodes, n => n.Op.Kind == "Attention");
        Assert.Equal(3, attention.Inputs.Count);
        Assert.True(((AttentionGraphOp)attention.Op).Params.Causal);
        Assert.Equal(0, Count(r.Graph, "Where"));
    }

    [Fact]
    public void Another_boolean_mask_becomes_an_additive_one()
    {
        using var scope = TensorScope.Begin();
        const int t = 4;
        var band = Enumerable.Range(0, t * t).Select(i => Math.Abs(i % t - i / t) <= 1).ToArray();
        var (g, y) = Attention(2, t, 1, 8, (g, s) =>
            g.Where(g.Constant("band", Tensor.FromArray(Dev, band, t, t)), s, Const(g, "min", [-1e9f])));
        using var r = Check(g.Graph, [y], [new AttentionFusion(), new DeadNodeElimination()]);
        var attention = Assert.Single(r.Graph.Nodes, n => n.Op.Kind == "Attention");
        Assert.False(((AttentionGraphOp)attention.Op).Params.Causal);
        Assert.Equal("Where", attention.Inputs[3].Producer!.Op.Kind);
    }

    [Fact]
    public void Attention_whose_probabilities_are_read_elsewhere_is_not_fused()
    {
        using var scope = TensorScope.Begin();
        var (g, y) = Attention(1, 4, 1, 4, (_, s) => s);
        var probs = g.Graph.Nodes.Single(n => n.Op.Kind == "Softmax").Outputs[0];
        g.Output(probs);
        using var r = Check(g.Graph, [y, probs], [new AttentionFusion()], exact: true);
        Assert.Equal(0, Count(r.Graph, "Attention"));
    }
}
