using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>What the epilogue-fusion passes share: finding the activation that follows a convolution's or product's
/// result (through a reshape, which an element-wise activation commutes with), and emitting a convolution again with
/// another epilogue or residual.</summary>
internal static class EpilogueFusion
{
    /// <summary>The activation applied to <paramref name="y"/> alone, as a fused epilogue: <paramref name="y"/> (and the
    /// reshape's result, when one comes first) has one reader, and it is a unary op of <see cref="Epilogue.Activations"/>.
    /// Returns the reshape (or null) and the activation node, or false.</summary>
    public static bool ActivationOf(GraphRewriter r, Value y, out Node? reshape, out Node activation, out Epilogue epilogue)
    {
        reshape = null;
        activation = null!;
        epilogue = default;
        var user = r.SingleUser(y);
        if (user is { Op: ReshapeGraphOp })
        {
            reshape = user;
            user = r.SingleUser(user.Outputs[0]);
        }
        if (user is not { Op: UnaryGraphOp unary } || unary.Op == UnaryOp.Identity || !Epilogue.Activations.Contains(unary.Op)
            || user.Outputs[0].DType != DType.Float32) return false;
        activation = user;
        epilogue = new Epilogue(unary.Op, unary.Params);
        return true;
    }

    /// <summary>The nodes a fusion takes: the product, the reshape when there is one, then the rest.</summary>
    public static Node[] Taken(Node product, Node? reshape, params Node[] rest) =>
        reshape is null ? [product, .. rest] : [product, reshape, .. rest];

    /// <summary>The input, weight, bias (or null) and residual (or null) of a convolution node.</summary>
    public static (Value X, Value W, Value? Bias, Value? Residual) ConvInputs(Node conv)
    {
        var op = (Conv2dGraphOp)conv.Op;
        var inputs = conv.Inputs;
        int withoutResidual = inputs.Count - (op.HasResidual ? 1 : 0);
        return (inputs[0], inputs[1], withoutResidual > 2 ? inputs[2] : null, op.HasResidual ? inputs[^1] : null);
    }

    /// <summary>The convolution of <paramref name="conv"/> again in the new graph, named as it was, with
    /// <paramref name="epilogue"/> and <paramref name="residual"/> (a source value; the node's own when null), then the
    /// reshape when one followed it.</summary>
    public static Value EmitConv(GraphEmitter e, Node conv, Epilogue epilogue, Value? residual, Node? reshape)
    {
        var (x, w, bias, own) = ConvInputs(conv);
        var p = ((Conv2dGraphOp)conv.Op).Params with { Epilogue = epilogue };
        residual ??= own;
        return Reshaped(e, e.Builder.Conv2d(e[x], e[w], bias is null ? null : e[bias], p, residual is null ? null : e[residual], conv.Name), reshape);
    }

    /// <summary><paramref name="y"/>, through the source graph's <paramref name="reshape"/> again when there is one.</summary>
    public static Value Reshaped(GraphEmitter e, Value y, Node? reshape) =>
        reshape is null ? y : e.Builder.Apply1(reshape.Op, reshape.Name, y);
}
