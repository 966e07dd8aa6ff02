using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>Folds a per-output-channel affine map into the convolution or matrix product before it: y = conv(x, W) + b
/// followed by ·s, /s, +t, −t with constants per channel (the form ONNX BatchNormalization imports as) or by a batch norm
/// in inference mode on constant statistics becomes conv(x, W·s) + (b·s + t). Covers Conv2d (channels on axis 1, also
/// through the reshape a 1-D convolution ends with), Linear and Gemm with a constant weight (channels on the last axis);
/// a bias-only chain (MatMul followed by Add of a bias) moves the bias into the product and leaves the weight as it is.
/// A chain of such steps on a [N, C, H, W] tensor that no product precedes becomes a 1×1 depthwise convolution.</summary>
public sealed class BatchNormFolding : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "batchnorm-folding";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.All;

    /// <summary>The product being folded into: where its channels are and how its weight is laid out.</summary>
    private sealed record Target(Node Node, Value Weight, Value? Bias, int Channels, int ChannelAxis, bool ChannelsAreWeightRows);

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        foreach (var node in rewriter.Graph.Nodes)
        {
            if (rewriter.IsEdited(node) || Describe(rewriter, node) is not { } target) continue;
            var scale = Enumerable.Repeat(1.0, target.Channels).ToArray();
            var shift = new double[target.Channels];
            var taken = new List<Node> { node };
            Node? reshape = null;
            var cur = node.Outputs[0];
            while (rewriter.SingleUser(cur) is { } user && !rewriter.IsEdited(user))
            {
                if (user.Op is ReshapeGraphOp && node.Op is Conv2dGraphOp && reshape is null && taken.Count == 1 && KeepsChannels(cur.Shape, user.Outputs[0].Shape))
                    reshape = user;
                else if (!Compose(rewriter, user, cur, target, scale, shift))
                    break;
                taken.Add(user);
                cur = user.Outputs[0];
            }
            if (taken.Count == (reshape is null ? 1 : 2)) continue;
            Fold(rewriter, target, taken, reshape, cur, scale, shift);
        }
        foreach (var node in rewriter.Graph.Nodes)
            if (!rewriter.IsEdited(node)) ToDepthwise(rewriter, node);
    }

    /// <summary>A per-channel affine chain of at least two steps that no product precedes (a batch norm after a
    /// concatenation, as DenseNet's pre-activation layers have; imported as Mul then Add) on a [N, C, H, W] tensor
    /// becomes a 1×1 depthwise convolution with weight = scale and bias = shift: one pass over the tensor instead of one
    /// per step, and an activation after it then fuses into its epilogue (<see cref="ConvActivationFusion"/>).</summary>
    private static void ToDepthwise(GraphRewriter r, Node first)
    {
        if (first.Op is not BinaryGraphOp || first.Inputs.Count != 2 || first.Outputs[0].Shape.Rank != 4) return;
        // The input is the first step's operand that is not constant; the other one must be (Compose checks its shape).
        var x = first.Inputs.FirstOrDefault(v => !r.IsConstant(v));
        var c = first.Inputs.FirstOrDefault(r.IsConstant);
        if (x is null || c is null || x.DType != DType.Float32 || x.Shape.Rank != 4 || r.ConstantTensor(c) is not { } anyConstant) return;
        int channels = x.Shape[1];
        var t = new Target(first, x, null, channels, 1, true);
        var scale = Enumerable.Repeat(1.0, channels).ToArray();
        var shift = new double[channels];
        var taken = new List<Node>();
        var cur = x;
        var user = first;
        while (user is not null && !r.IsEdited(user) && (taken.Count == 0 || r.SingleUser(cur) == user) && Compose(r, user, cur, t, scale, shift))
        {
            taken.Add(user);
            cur = user.Outputs[0];
            user = r.SingleUser(cur);
        }
        if (taken.Count < 2 || !r.CanFuse(taken, cur)) return;
        var device = anyConstant.Device;
        var weight = scale.Select(v => (float)v).ToArray();
        var bias = shift.Select(v => (float)v).ToArray();
        var name = taken[^1].Name;
        r.Replace(taken, new[] { cur }, e =>
        {
            var w = e.Constant($"{name}:scale", device, weight, channels, 1, 1, 1);
            var b = e.Constant($"{name}:shift", device, bias, channels);
            return new[] { e.Builder.Conv2d(e[x], w, b, Conv2dParams.Square(1, 0, 1, channels), name: name) };
        }, $"per-channel affine of {taken.Count} steps as a 1x1 depthwise Conv2d '{name}'");
    }

    /// <summary>The convolution, Linear or Gemm <paramref name="node"/> with a constant weight (and bias, when it has a
    /// per-channel one) and no fused epilogue (an affine step after an activation or a residual does not fold), else null.</summary>
    private static Target? Describe(GraphRewriter r, Node node)
    {
        switch (node.Op)
        {
            case Conv2dGraphOp conv when conv.Params.Epilogue.IsNone && !conv.HasResidual:
            {
                var w = node.Inputs[1];
                var b = node.Inputs.Count > 2 ? node.Inputs[2] : null;
                if (!r.IsConstant(w) || (b is not null && !r.IsConstant(b))) return null;
                return new Target(node, w, b, w.Shape[0], 1, true);
            }
            case LinearGraphOp:
            {
                var w = node.Inputs[1];
                var b = node.Inputs.Count > 2 ? node.Inputs[2] : null;
                if (!r.IsConstant(w) || (b is not null && !r.IsConstant(b))) return null;
                return new Target(node, w, b, w.Shape[0], node.Outputs[0].Shape.Rank - 1, true);
            }
            case GemmGraphOp gemm when gemm.Params.Epilogue.IsNone:
            {
                var w = node.Inputs[1];
                var y = node.Outputs[0];
                var b = node.Inputs.Count > 2 ? node.Inputs[2] : null;
                int n = y.Shape[^1];
                if (w.Shape.Rank != 2 || !r.IsConstant(w) || (b is not null && !(r.IsConstant(b) && PerChannel(b, y.Shape, y.Shape.Rank - 1, n))))
                    return null;
                return new Target(node, w, b, n, y.Shape.Rank - 1, gemm.Params.TransB);
            }
            default:
                return null;
        }
    }

    /// <summary>A reshape of [N, C, ...] that keeps N and C in front (the 4-D result of a 1-D convolution made 3-D).</summary>
    private static bool KeepsChannels(Shape from, Shape to) => to.Rank >= 2 && to[0] == from[0] && to[1] == from[1];

    /// <summary>Folds <paramref name="user"/> (reading <paramref name="cur"/>) into scale and shift when it is a per-channel
    /// affine step; false when it is not.</summary>
    private static bool Compose(GraphRewriter r, Node user, Value cur, Target t, double[] scale, double[] shift)
    {
        var y = user.Outputs[0];
        if (y.Shape != cur.Shape || y.DType != DType.Float32) return false;
        if (user.Op is BatchNormGraphOp bn)
            return r.Options.Inference && t.ChannelAxis == 1 && user.Inputs[0] == cur && user.Inputs.Skip(1).All(r.IsConstant)
                && !user.Outputs.Skip(1).Any(o => r.Uses(o).Count > 0 || GraphRewriter.IsGraphOutput(o))
                && ComposeBatchNorm(r, user, bn.Params.Epsilon, scale, shift);
        if (user.Op is not BinaryGraphOp { Op: BinaryOp.Add or BinaryOp.Sub or BinaryOp.Mul or BinaryOp.Div } binary) return false;
        var c = GraphRewriter.Other(user, cur);
        if (c is null || c == cur || !PerChannel(c, cur.Shape, t.ChannelAxis, t.Channels) || r.ConstantFloats(c) is not { } data) return false;
        if (binary.Op is BinaryOp.Sub or BinaryOp.Div && user.Inputs[0] != cur) return false;
        for (int i = 0; i < scale.Length; i++)
        {
            double v = data.Length == 1 ? data[0] : data[i];
            switch (binary.Op)
            {
                case BinaryOp.Add: shift[i] += v; break;
                case BinaryOp.Sub: shift[i] -= v; break;
                case BinaryOp.Mul: scale[i] *= v; shift[i] *= v; break;
                default: scale[i] /= v; shift[i] /= v; break;
            }
        }
        return true;
    }

    /// <summary>y = (x − mean)·γ/√(var + ε) + β composed into scale and shift.</summary>
    private static bool ComposeBatchNorm(GraphRewriter r, Node bn, float epsilon, double[] scale, double[] shift)
    {
        var p = bn.Inputs.Skip(1).Select(r.ConstantFloats).ToArray();
        if (p.Any(a => a is null || a.Length != scale.Length)) return false;
        float[] gamma = p[0]!, beta = p[1]!, mean = p[2]!, variance = p[3]!;
        for (int i = 0; i < scale.Length; i++)
        {
            double a = gamma[i] / Math.Sqrt(variance[i] + (double)epsilon);
            scale[i] *= a;
            shift[i] = shift[i] * a + beta[i] - mean[i] * a;
        }
        return true;
    }

    /// <summary>True when constant <paramref name="c"/> broadcasts against <paramref name="y"/> along its channel axis only
    /// (one value per channel, or one value).</summary>
    private static bool PerChannel(Value c, Shape y, int axis, int channels)
    {
        if (c.DType != DType.Float32 || c.Shape.Rank > y.Rank) return false;
        if (c.Shape.ElementCount == 1) return true;
        int lead = y.Rank - c.Shape.Rank;
        for (int i = 0; i < c.Shape.Rank; i++)
        {
            int d = c.Shape[i];
            if (i + lead == axis ? d != channels : d != 1) return false;
        }
        return lead <= axis;
    }

    private static void Fold(GraphRewriter r, Target t, List<Node> taken, Node? reshape, Value result, double[] scale, double[] shift)
    {
        var device = r.ConstantTensor(t.Weight)!.Device;
        int channels = t.Channels;
        bool scaled = scale.Any(s => s != 1);
        float[]? weight = null;
        if (scaled)
        {
            weight = (float[])r.ConstantFloats(t.Weight)!.Clone();
            var shape = t.Weight.Shape;
            if (t.ChannelsAreWeightRows)
            {
                int per = (int)(shape.ElementCount / channels);
                for (int o = 0; o < channels; o++)
                    for (int i = 0; i < per; i++) weight[o * per + i] = (float)(weight[o * per + i] * scale[o]);
            }
            else
            {
                int rows = shape[0];
                for (int k = 0; k < rows; k++)
                    for (int o = 0; o < channels; o++) weight[k * channels + o] = (float)(weight[k * channels + o] * scale[o]);
            }
        }
        var oldBias = t.Bias is null ? null : r.ConstantFloats(t.Bias)!;
        var bias = new float[channels];
        for (int o = 0; o < channels; o++)
            bias[o] = (float)((oldBias is null ? 0 : oldBias.Length == 1 ? oldBias[0] : oldBias[o]) * scale[o] + shift[o]);
        var node = t.Node;
        var x = node.Inputs[0];
        r.Replace(taken, new[] { result }, e =>
        {
            var w = weight is null ? e[t.Weight] : e.Constant($"{t.Weight.Name}:folded", device, weight, t.Weight.Shape.ToArray());
            var b = e.Constant($"{node.Name}:folded_bias", device, bias, channels);
            var g = e.Builder;
            var y = node.Op switch
            {
                Conv2dGraphOp conv => g.Conv2d(e[x], w, b, conv.Params, name: node.Name),
                LinearGraphOp => g.Linear(e[x], w, b, node.Name),
                _ => g.Gemm(e[x], w, b, ((GemmGraphOp)node.Op).Params, node.Name),
            };
            if (reshape is not null) y = g.Apply1(reshape.Op, reshape.Name, y);
            return new[] { y };
        }, $"folded into {node.Op.Kind} '{node.Name}'");
    }
}
