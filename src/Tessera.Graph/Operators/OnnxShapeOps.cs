using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>ONNX Pad (constant, reflect or edge; negative pads crop); the float32 gradient runs the PadBackward kernel.</summary>
public sealed class PadGraphOp(PadParams p) : GraphOp
{
    public PadParams Params => p;
    public override string Kind => "Pad";
    public override string Describe() => $"Pad[{p.Mode}, [{string.Join(",", p.Pads)}]{(p.Mode == PadMode.Constant ? $", {p.Value}" : "")}]";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        var x = inputs[0];
        if (x.DType is not (DType.Float32 or DType.Int32 or DType.Int64 or DType.UInt8 or DType.Bool or DType.Float16 or DType.BFloat16))
            throw new TesseraDTypeException(node, "x", $"cannot pad {x}");
        if (p.Mode == PadMode.Constant && !float.IsFinite(p.Value) && x.DType is not (DType.Float32 or DType.Float16 or DType.BFloat16))
            throw new TesseraArgumentException(node, "value", $"{p.Value} cannot be stored in {x.DType}");
        return new[] { new OutputSpec(ShapeRules.Pad(node, x.Shape, p), x.DType) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Pad(i[0]!, o[0], p);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) =>
        n.Inputs[0].DType != DType.Float32 || dOut[0] is null
            ? new Value?[] { null }
            : new Value?[] { g.Apply1(new PadBackwardOp(p, n.Inputs[0].Shape), $"d_{n.Name}", dOut[0]!) };
}

/// <summary>dx of a pad (input dy): each output gradient added to the input element it was read from.</summary>
public sealed class PadBackwardOp(PadParams p, Shape xShape) : GraphOp
{
    public override string Kind => "PadBackward";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        GraphChecks.Float32(node, inputs[0], "dy");
        var expected = ShapeRules.Pad(node, xShape, p);
        if (inputs[0].Shape != expected) throw new TesseraShapeException(node, "dy", $"expected {expected} (padding of {xShape}), got {inputs[0]}");
        return new[] { new OutputSpec(xShape, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.PadBackward(i[0]!, o[0], p);
}

/// <summary>Pieces of the input along one axis with the given sizes, one output per piece. The gradient is the
/// concatenation of the pieces' gradients (zeros for a piece that does not reach the loss).</summary>
public sealed class SplitGraphOp : GraphOp
{
    private readonly int _axisArg;
    private readonly int[] _sizes;
    private int _axis;
    private readonly Dictionary<Tensor, Tensor[]> _views = new(ReferenceEqualityComparer.Instance);

    public SplitGraphOp(int axis, int[] sizes)
    {
        _axisArg = axis;
        _sizes = (int[])(sizes ?? Array.Empty<int>()).Clone();
    }

    public override string Kind => "Split";
    public override string Describe() => $"Split[axis {_axisArg}, {string.Join(",", _sizes)}]";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        var x = inputs[0].Shape;
        _axis = x.Axis(_axisArg, node);
        if (_sizes.Length == 0) throw new TesseraArgumentException(node, "sizes", "at least one size is needed");
        long sum = 0;
        foreach (var s in _sizes)
        {
            if (s < 0) throw new TesseraArgumentException(node, "sizes", $"sizes must be non-negative, got [{string.Join(", ", _sizes)}]");
            sum += s;
        }
        if (sum != x[_axis])
            throw new TesseraShapeException(node, "sizes", $"[{string.Join(", ", _sizes)}] sums to {sum}, but axis {_axis} of {inputs[0]} has {x[_axis]}");
        return _sizes.Select(s =>
        {
            var dims = x.ToArray();
            dims[_axis] = s;
            return new OutputSpec(new Shape(dims), inputs[0].DType);
        }).ToArray();
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o)
    {
        var x = i[0]!;
        if (!_views.TryGetValue(x, out var views))
        {
            views = new Tensor[_sizes.Length];
            int offset = 0;
            for (int k = 0; k < _sizes.Length; k++)
            {
                views[k] = x.Slice(_axis, offset, offset + _sizes[k]);
                offset += _sizes[k];
            }
            _views[x] = views;
        }
        for (int k = 0; k < views.Length; k++) ctx.Kernels.Copy(views[k], o[k]);
    }

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut)
    {
        if (n.Inputs[0].DType != DType.Float32 || dOut.All(d => d is null)) return new Value?[] { null };
        var parts = new Value[_sizes.Length];
        for (int k = 0; k < parts.Length; k++)
            parts[k] = dOut[k] ?? g.Apply1(new FillOp(n.Outputs[k].Shape, DType.Float32, 0.0), $"d_{n.Name}_zero{k}");
        return new Value?[] { parts.Length == 1 ? parts[0] : g.Apply1(new ConcatGraphOp(_axis), $"d_{n.Name}", parts) };
    }
}
