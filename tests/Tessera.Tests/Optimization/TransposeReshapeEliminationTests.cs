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
}
