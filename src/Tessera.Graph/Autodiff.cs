using Tessera.Graph.Operators;

namespace Tessera.Graph;

/// <summary>Reverse-mode differentiation on the graph: appends the backward pass of a scalar loss, op by op in
/// reverse order, through each op's gradient rule (<see cref="GraphOp.Backward"/>). Where a value feeds several nodes
/// its gradients are summed.</summary>
public static class Autodiff
{
    /// <summary>Appends the gradients of <paramref name="loss"/> with respect to <paramref name="wrt"/> (parameters or
    /// inputs) and marks them as graph outputs. A value the loss does not depend on gets a zero gradient.</summary>
    public static IReadOnlyDictionary<Value, Value> AppendBackward(GraphBuilder g, Value loss, IEnumerable<Value> wrt)
    {
        const string op = "Autodiff.AppendBackward";
        if (loss.Shape.ElementCount != 1 || loss.DType != DType.Float32)
            throw new TesseraShapeException(op, nameof(loss), $"the loss must be a float32 scalar, got {loss}");
        var targets = wrt.Distinct().ToArray();
        foreach (var t in targets)
            if (t.DType != DType.Float32)
                throw new TesseraDTypeException(op, nameof(wrt), $"cannot differentiate with respect to {t} (not float32)");

        var forward = g.Graph.Nodes.ToArray();
        g.Graph.HasBackward = true;
        // Values that depend on a target (forward reachability).
        var depends = new HashSet<Value>(targets);
        foreach (var n in forward)
            if (n.Inputs.Any(depends.Contains))
                foreach (var o in n.Outputs) depends.Add(o);
        var grads = new Dictionary<Value, Value>();
        g.GradientScope = depends;
        try
        {
        grads[loss] = g.Apply1(new FillOp(loss.Shape, DType.Float32, 1.0), $"d_{loss.Name}");
        for (int i = forward.Length - 1; i >= 0; i--)
        {
            var n = forward[i];
            if (!n.Outputs.Any(grads.ContainsKey)) continue;
            if (!n.Inputs.Any(v => depends.Contains(v) && !v.StopsGradient)) continue;
            var outGrads = n.Outputs.Select(o => grads.GetValueOrDefault(o)).ToArray();
            var inGrads = n.Op.Backward(g, n, outGrads);
            if (inGrads.Length != n.Inputs.Count)
                throw new TesseraException($"Autodiff ({n.Name})", $"gradient rule of {n.Op.Kind} returned {inGrads.Length} gradients for {n.Inputs.Count} inputs");
            for (int k = 0; k < inGrads.Length; k++)
            {
                var input = n.Inputs[k];
                var gIn = inGrads[k];
                if (gIn is null || !depends.Contains(input) || input.StopsGradient) continue;
                if (gIn.Shape != input.Shape)
                    throw new TesseraShapeException($"Autodiff ({n.Name})", $"input {k}", $"gradient {gIn.Shape} does not match {input}");
                grads[input] = grads.TryGetValue(input, out var prev)
                    ? g.Apply1(new AccumulateOp(), $"acc_{input.Name}", prev, gIn)
                    : gIn;
            }
        }
        }
        finally { g.GradientScope = null; }
        var result = new Dictionary<Value, Value>();
        foreach (var t in targets)
        {
            var grad = grads.TryGetValue(t, out var gv) ? gv : g.Apply1(new FillOp(t.Shape, DType.Float32, 0.0), $"d_{t.Name}");
            // A gradient that is the target itself (loss w.r.t. loss) or a bound value still needs its own output.
            g.Output(grad);
            result[t] = grad;
        }
        return result;
    }
}
