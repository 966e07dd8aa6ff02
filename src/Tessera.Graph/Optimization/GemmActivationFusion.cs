using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>Fuses the activation after a matrix product into its epilogue: act(α·op(a)·op(b) + bias) becomes one Gemm
/// whose <see cref="GemmParams.Epilogue"/> applies act (ReLU, GELU erf and tanh, Sigmoid, SiLU, LeakyReLU, Clip,
/// HardSwish: <see cref="Epilogue.Activations"/>). Covers Gemm nodes (MatMul imports as one, a 3-D activation times a 2-D
/// weight included: the bias of a torch.onnx Linear joins it first, in <see cref="BatchNormFolding"/>) and Linear nodes
/// with an input of rank 2 or more, which become the Gemm x·wᵀ + b (over x's rows flattened into one matrix, as Linear
/// runs it, when x has more than 2 dimensions). The product's result must be read by the activation only (possibly
/// through a reshape) and be no output of the graph.</summary>
public sealed class GemmActivationFusion : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "gemm-activation";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.All;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        foreach (var node in rewriter.Graph.Nodes)
        {
            bool fusable = node.Op switch
            {
                GemmGraphOp gemm => gemm.Params.Epilogue.IsNone,
                LinearGraphOp => node.Inputs[0].Shape.Rank >= 2,
                _ => false,
            };
            if (!fusable || rewriter.IsEdited(node)
                || !EpilogueFusion.ActivationOf(rewriter, node.Outputs[0], out var reshape, out var act, out var epilogue)) continue;
            var nodes = EpilogueFusion.Taken(node, reshape, act);
            var y = act.Outputs[0];
            if (!rewriter.CanFuse(nodes, y)) continue;
            rewriter.Replace(nodes, [y], e => [Emit(e, node, epilogue, reshape)], $"fused {epilogue} into {node.Op.Kind} '{node.Name}'");
        }
    }

    /// <summary>The product of <paramref name="node"/> as a Gemm with <paramref name="epilogue"/>, then the reshape.</summary>
    private static Value Emit(GraphEmitter e, Node node, Epilogue epilogue, Node? reshape)
    {
        var g = e.Builder;
        var inputs = node.Inputs;
        Value a = e[inputs[0]], b = e[inputs[1]];
        Value? bias = inputs.Count > 2 ? e[inputs[2]] : null;
        if (node.Op is GemmGraphOp gemm) return EpilogueFusion.Reshaped(e, g.Gemm(a, b, bias, gemm.Params with { Epilogue = epilogue }, node.Name), reshape);
        var p = new GemmParams(TransB: true, Epilogue: epilogue);
        var y = node.Outputs[0];
        if (a.Shape.Rank == 2) return EpilogueFusion.Reshaped(e, g.Gemm(a, b, bias, p, node.Name), reshape);
        var rows = g.Reshape(a, (int)(a.Shape.ElementCount / a.Shape[^1]), a.Shape[^1]);
        var product = g.Gemm(rows, b, bias, p, node.Name);
        return EpilogueFusion.Reshaped(e, g.Reshape(product, y.Shape.ToArray()), reshape);
    }
}
