using Tessera.Devices;
using Tessera.Graph.Operators;

namespace Tessera.Graph.Optimization;

/// <summary>Runs once, at optimization time, every node whose inputs are all constants (or results of such nodes) and
/// whose op has a <see cref="GraphOp.Signature"/> (a pure function of its inputs), and makes its outputs constants: the
/// node's own kernel on the device the constants live on, so the values are those a run would compute (a view op, which
/// runs no kernel, gives a view of its input's constant). Results larger
/// than <see cref="OptimizationOptions.MaxFoldedElements"/> are left to run, and so is a node whose kernel refuses its
/// constants (an index out of range is reported when the graph runs, as without optimization).</summary>
public sealed class ConstantFolding : GraphPass
{
    /// <inheritdoc/>
    public override string Name => "constant-folding";
    /// <inheritdoc/>
    public override OptimizationLevel Level => OptimizationLevel.Basic;
    /// <inheritdoc/>
    public override bool Exact => true;

    /// <inheritdoc/>
    public override void Run(GraphRewriter rewriter)
    {
        var folded = new Dictionary<Value, Tensor>();
        var nodes = new List<Node>();
        var devices = new HashSet<IDevice>();
        Tensor? ConstantOf(Value v) => folded.TryGetValue(v, out var t) ? t : rewriter.ConstantTensor(v);
        foreach (var node in rewriter.Graph.Nodes)
        {
            if (node.Op.Signature is null || node.Inputs.Count == 0) continue;
            if (node.Outputs.Any(o => o.Shape.ElementCount > rewriter.Options.MaxFoldedElements)) continue;
            var inputs = node.Inputs.Select(ConstantOf).ToArray();
            if (inputs.Any(t => t is null)) continue;
            var device = inputs[0]!.Device;
            Tensor[] outputs;
            if (node.Op.AliasInput >= 0)
            {
                // A view op runs no kernel (the plan aliases its output): its constant is a view of the input's.
                outputs = new[] { rewriter.Own(inputs[node.Op.AliasInput]!.Reshape(node.Outputs[0].Shape.ToArray())) };
            }
            else
            {
                outputs = node.Outputs.Select(o => rewriter.Own(Tensor.Empty(device, o.DType, o.Shape))).ToArray();
                try
                {
                    using var ctx = new ExecContext(device) { Training = false };
                    node.Op.Run(ctx, inputs, outputs);
                }
                catch (TesseraException)
                {
                    continue;
                }
            }
            devices.Add(device);
            for (int k = 0; k < outputs.Length; k++) folded[node.Outputs[k]] = outputs[k];
            nodes.Add(node);
        }
        foreach (var d in devices) d.DefaultStream.Synchronize();
        var foldedNodes = nodes.ToHashSet();
        foreach (var node in nodes)
        {
            // Outputs read only by other folded nodes need no constant of their own.
            var kept = node.Outputs.Where(o => !rewriter.UsedOnlyBy(o, foldedNodes)).ToArray();
            if (kept.Length == 0)
            {
                rewriter.Remove(node, "folded");
                continue;
            }
            rewriter.Replace(new[] { node }, kept, e => kept.Select(o => e.Constant(o.Name, folded[o])).ToArray(), "folded");
        }
    }
}
