using Tessera.Graph;
using Tessera.Kernels;

namespace Tessera.Tests.Coverage;

/// <summary>For every differentiable <see cref="OpKind"/>, a graph of its op on small inputs: appending the backward
/// pass through <see cref="Autodiff"/> reaches the graph op's gradient rule, which throws "has no gradient rule" when
/// the op has none.</summary>
internal static class GraphProbes
{
    private static Value X(GraphBuilder g, string name, params int[] shape) => g.Input(name, DType.Float32, shape);

    public static readonly IReadOnlyDictionary<OpKind, Func<GraphBuilder, Value>> Forward = new Dictionary<OpKind, Func<GraphBuilder, Value>>
    {
        [OpKind.Copy] = g => g.Permute(X(g, "x", 2, 3), 1, 0),
        [OpKind.Unary] = g => g.Tanh(X(g, "x", 4)),
        [OpKind.Binary] = g => g.Mul(X(g, "a", 2, 3), X(g, "b", 3)),
        [OpKind.Where] = g => g.Where(g.Input("c", DType.Bool, 4), X(g, "a", 4), X(g, "b", 4)),
        [OpKind.Reduce] = g => g.Sum(X(g, "x", 2, 3), new[] { 1 }),
        [OpKind.Softmax] = g => g.Softmax(X(g, "x", 2, 3)),
        [OpKind.CrossEntropy] = g => g.CrossEntropy(X(g, "x", 2, 3), g.Input("t", DType.Int64, 2)),
        [OpKind.MseLoss] = g => g.MseLoss(X(g, "a", 4), X(g, "b", 4)),
        [OpKind.Gemm] = g => g.MatMul(X(g, "a", 2, 3), X(g, "b", 3, 4)),
        [OpKind.Conv2d] = g => g.Conv2d(X(g, "x", 1, 2, 4, 4), X(g, "w", 3, 2, 3, 3), X(g, "b", 3), new Conv2dParams()),
        [OpKind.MaxPool2d] = g => g.MaxPool2d(X(g, "x", 1, 2, 4, 4), Pool2dParams.Square(2, 2)),
        [OpKind.AvgPool2d] = g => g.AvgPool2d(X(g, "x", 1, 2, 4, 4), Pool2dParams.Square(2, 2)),
        [OpKind.BatchNormTraining] = g => g.BatchNorm(X(g, "x", 2, 3, 2), X(g, "gamma", 3), X(g, "beta", 3), X(g, "mean", 3), X(g, "var", 3), new BatchNormParams()),
        [OpKind.LayerNorm] = g => g.LayerNorm(X(g, "x", 2, 3), X(g, "gamma", 3), X(g, "beta", 3)),
        [OpKind.Dropout] = g => g.Dropout(X(g, "x", 8), 0.5f, 7),
        [OpKind.Attention] = g => g.Attention(X(g, "q", 1, 1, 3, 4), X(g, "k", 1, 1, 3, 4), X(g, "v", 1, 1, 3, 4), null, new AttentionParams()),
        [OpKind.Concat] = g => g.Concat(1, X(g, "a", 2, 3), X(g, "b", 2, 1)),
        [OpKind.Gather] = g => g.Gather(X(g, "x", 4, 3), g.Input("i", DType.Int64, 2)),
        [OpKind.Pad] = g => g.Pad(X(g, "x", 2, 3), new PadParams(new[] { 1, 1, 1, 1 })),
    };

    /// <summary>Builds <paramref name="forward"/>, sums its output to a loss and appends the gradients of every float32
    /// input (throws what the gradient rules throw).</summary>
    public static void Differentiate(Func<GraphBuilder, Value> forward)
    {
        var g = new GraphBuilder();
        var y = forward(g);
        var loss = g.Loss(y.Shape.ElementCount == 1 && y.Shape.Rank == 0 ? y : g.Sum(y, Array.Empty<int>()));
        Autodiff.AppendBackward(g, loss, g.Graph.Inputs.Where(v => v.DType == DType.Float32).ToArray());
    }
}
