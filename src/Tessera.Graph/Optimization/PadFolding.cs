using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>Folds a zero padding of H and W into the average pooling that reads it: Pad(x, 0) then AvgPool (what
/// exporters write for a pooling whose padding counts in the divisor, as Inception's 3×3 / 1 pools) becomes one
/// AvgPool whose pads are the sum and whose padding counts (CountIncludePad). The kernel then reads x once, without a
/// padded copy. Folded only where the pooling's own padding already counted or there was none (otherwise its divisor
/// would change), where the sum stays smaller than the window, and where nothing else reads the padded tensor.</summary>
public sealed class PadFolding : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "pad-folding";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.All;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        foreach (var node in rewriter.Graph.Nodes)
        {
            if (node.Op is not Pool2dGraphOp { IsMax: false } pool || rewriter.IsEdited(node)) continue;
            if (!GraphRewriter.Computes<PadGraphOp>(node.Inputs[0], out var padNode, out var pad) || rewriter.IsEdited(padNode)) continue;
            if (!SpatialZeroPads(pad.Params, node.Inputs[0].Shape.Rank, out int top, out int left, out int bottom, out int right)) continue;
            var p = pool.Params;
            if (!p.CountIncludePad && (p.PadTop | p.PadLeft | p.PadBottom | p.PadRight) != 0) continue;
            Node[] nodes = [padNode, node];
            var y = node.Outputs[0];
            if (!rewriter.CanFuse(nodes, y)) continue;
            var folded = p with
            {
                PadTop = p.PadTop + top, PadLeft = p.PadLeft + left, PadBottom = p.PadBottom + bottom, PadRight = p.PadRight + right,
                CountIncludePad = true,
            };
            // A pooling's padding stays smaller than its window (a wider one would hold windows of padding only).
            if (Math.Max(folded.PadTop, folded.PadBottom) >= p.KernelH || Math.Max(folded.PadLeft, folded.PadRight) >= p.KernelW) continue;
            var x = padNode.Inputs[0];
            rewriter.Replace(nodes, [y], e => [e.Builder.AvgPool2d(e[x], folded, node.Name)],
                $"folded Pad '{padNode.Name}' into AvgPool2d '{node.Name}'");
        }
    }

    /// <summary>Whether a 4-D pad is constant zero, non-negative and on H and W only; its four spatial amounts.</summary>
    private static bool SpatialZeroPads(PadParams p, int rank, out int top, out int left, out int bottom, out int right)
    {
        top = left = bottom = right = 0;
        if (rank != 4 || p.Mode != PadMode.Constant || p.Value != 0f || p.Pads.Length != 8) return false;
        if (p.Pads[0] != 0 || p.Pads[1] != 0 || p.Pads[4] != 0 || p.Pads[5] != 0) return false;
        (top, left, bottom, right) = (p.Pads[2], p.Pads[3], p.Pads[6], p.Pads[7]);
        return top >= 0 && left >= 0 && bottom >= 0 && right >= 0;
    }
}
