using Tessera.Graph;
using Tessera.Graph.Optimization;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>Transpose and reshape chains collapsed, transposed operands read in place by matrix products. Each test
/// runs a graph built for the pass before and after it and compares the outputs.</summary>
public class TransposeReshapeEliminationTests
{
    [Fact]
    public void Permutations_compose_or_cancel_and_reshape_chains_collapse()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3, 4, 5);
        var p1 = g.Permute(x, 0, 2, 1, 3);
        var back = g.Permute(p1, 0, 2, 1, 3);                 // cancels
        var p2 = g.Permute(g.Permute(x, 1, 0, 2, 3), 0, 1, 3, 2);
        var r1 = g.Reshape(g.Reshape(g.Relu(x, "rx"), 6, 20), 120);
        var y = g.Add(g.Relu(back, "a"), g.Reshape(g.Permute(p2, 1, 0, 2, 3), 2, 3, 4, 5), "y");
        g.Output(y, r1);
        using var r = Check(g.Graph, [y, r1], [new TransposeReshapeElimination(), new DeadNodeElimination()], exact: true);
        Assert.Equal(1, Count(r.Graph, "Permute"));
        Assert.Equal(2, Count(r.Graph, "Reshape"));
    }

    [Fact]
    public void A_transposed_operand_is_read_in_place_by_the_matrix_product()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 3, 7, 8);
        var e = g.Input("e", DType.Float32, 10, 8);
        var logits = g.MatMul(x, g.Permute(e, 1, 0), "logits");         // tied embeddings: x · Eᵀ
        var a = g.Input("a", DType.Float32, 3, 8, 7);
        var b = g.MatMul(g.Permute(a, 0, 2, 1), g.Permute(x, 0, 2, 1), "b");
        g.Output(logits, b);
        using var r = Check(g.Graph, [logits, b], [new TransposeReshapeElimination(), new DeadNodeElimination()]);
        Assert.Equal(0, Count(r.Graph, "Permute"));
        Assert.Equal(["Gemm[NT]", "Gemm[TT]"], r.Graph.Nodes.Select(n => n.Op.Describe()).ToArray());
    }

    [Fact]
    public void Attention_reads_split_heads_and_writes_merged_heads_in_place()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        const int b = 2, t = 6, h = 2, d = 4;
        var x = g.Input("x", DType.Float32, b, t, h * d);
        Value Heads(Value v, params int[] perm) => g.Permute(g.Reshape(v, b, t, h, d), perm);
        var q = Heads(g.Affine(x, 0.9f, 0.1f), 0, 2, 1, 3);
        var kT = Heads(g.Affine(x, -0.7f, 0.2f), 0, 2, 3, 1);
        var v = Heads(g.Affine(x, 1.1f, -0.3f), 0, 2, 1, 3);
        var scores = g.Div(g.MatMul(q, kT), Const(g, "sqrt_d", [MathF.Sqrt(d)]));
        var y = g.Reshape(g.Permute(g.MatMul(g.Softmax(scores, -1), v), 0, 2, 1, 3), b, t, h * d);
        g.Output(y);
        using var r = Check(g.Graph, [y], [new AttentionFusion(), new TransposeReshapeElimination(), new DeadNodeElimination()]);
        // The split of q, k and v into heads and the merge of the result: no copies left.
        Assert.Equal(0, Count(r.Graph, "Permute"));
        var attention = Assert.Single(r.Graph.Nodes, n => n.Op.Kind == "Attention");
        var operands = ((Tessera.Graph.Operators.AttentionGraphOp)attention.Op).Operands!;
        foreach (var perm in new[] { operands.Q, operands.K, operands.V, operands.O }) Assert.Equal([0, 2, 1, 3], perm!);
        Assert.Equal("Attention[full q[0,2,1,3] k[0,2,1,3] v[0,2,1,3] o[0,2,1,3]]", attention.Op.Describe());
    }

    [Fact]
    public void An_attention_operand_read_elsewhere_keeps_its_permutation()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 1, 5, 2, 4);
        var q = g.Permute(x, 0, 2, 1, 3);
        var o = g.Attention(q, q, q, null, new Tessera.Kernels.AttentionParams(float.NaN, false), "attn");
        var y = g.Add(o, q, "y");
        g.Output(y);
        using var r = Check(g.Graph, [y], [new TransposeReshapeElimination(), new DeadNodeElimination()], exact: true);
        Assert.Equal(1, Count(r.Graph, "Permute"));
        Assert.Null(((Tessera.Graph.Operators.AttentionGraphOp)r.Graph.Nodes.Single(n => n.Op.Kind == "Attention").Op).Operands);
    }
}
