using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>A contiguous copy of x[start:end:step] along one axis (Python rules); gradient scatters back into zeros.</summary>
public sealed class SliceGraphOp(int axis, int start, int end, int step = 1) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "Slice";
    /// <inheritdoc/>
    public override string Describe() => $"Slice[axis {axis}, {start}:{end}:{step}]";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, axis, start, end, step);

    /// <summary>The step (negative steps walk backwards).</summary>
    public int Step => step;

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return new[] { new TensorSpec(ShapeRules.Slice(node, inputs[0].Shape, axis, start, end, step).Y, inputs[0].DType) };
    }

    /// <summary>The rule of the gradient of this slice of an input of <paramref name="xShape"/>.</summary>
    internal Shape BackwardRule(string node, TensorSpec dy, Shape xShape)
    {
        ShapeRules.SliceBackward(node, dy, xShape, axis, start, end, step);
        return xShape;
    }

    /// <summary>The slice of <paramref name="t"/>, cached in the run's views.</summary>
    internal Tensor View(ExecContext ctx, Tensor t) => ctx.Views.Get(this, t) ?? ctx.Views.Add(this, t, 0, t.Slice(axis, start, end, step));

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Copy(View(ctx, inputs[0]!), outputs[0]);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[]
    {
        g.Apply1(new SliceBackwardOp(this, node.Inputs[0].Shape), $"d_{node.Name}", outputGrads[0]!),
    };
}

/// <summary>dx of a slice: zeros with dy written into the sliced positions.</summary>
public sealed class SliceBackwardOp(SliceGraphOp slice, Shape xShape) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "SliceBackward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return new[] { new TensorSpec(slice.BackwardRule(node, inputs[0].Spec, xShape), DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        ctx.Kernels.Fill(outputs[0], 0);
        ctx.Kernels.Copy(inputs[0]!, slice.View(ctx, outputs[0]));   // Copy accepts a strided destination
    }
}

/// <summary>Joins inputs along an axis; gradient slices dy back. The node's op holds the axis resolved
/// (<see cref="GraphOp.Resolve"/>).</summary>
public sealed class ConcatGraphOp(int axis) : GraphOp
{
    /// <summary>The axis the inputs are joined along.</summary>
    public int Axis => axis;

    /// <inheritdoc/>
    public override string Kind => "Concat";
    /// <inheritdoc/>
    public override string Describe() => $"Concat[axis {axis}]";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, axis);

    private static (int Axis, Shape Y) Rule(string node, IReadOnlyList<Value> inputs, int axis) =>
        ShapeRules.Concat(node, inputs.Select(v => v.Spec).ToArray(), axis);

    /// <inheritdoc/>
    public override GraphOp Resolve(string node, IReadOnlyList<Value> inputs)
    {
        int a = Rule(node, inputs, axis).Axis;
        return a == axis ? this : new ConcatGraphOp(a);
    }

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs) =>
        new[] { new TensorSpec(Rule(node, inputs, axis).Y, inputs[0].DType) };

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Concat((IReadOnlyList<Tensor>)inputs, outputs[0], axis);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads)
    {
        var grads = new Value?[node.Inputs.Count];
        int offset = 0;
        for (int k = 0; k < node.Inputs.Count; k++)
        {
            int len = node.Inputs[k].Shape[axis];
            if (g.RequiresGrad(node.Inputs[k]))
                grads[k] = g.Apply1(new SliceGraphOp(axis, offset, offset + len), $"d_{node.Name}_{k}", outputGrads[0]!);
            offset += len;
        }
        return grads;
    }
}

/// <summary>Pieces of the input along one axis with the given sizes, one output per piece. The gradient is the
/// concatenation of the pieces' gradients (zeros for a piece that does not reach the loss). The node's op holds the axis
/// resolved (<see cref="GraphOp.Resolve"/>).</summary>
public sealed class SplitGraphOp : GraphOp
{
    private readonly int _axis;
    private readonly int[] _sizes;

    /// <summary>Splits its input along <paramref name="axis"/> into pieces of the given <paramref name="sizes"/>.</summary>
    public SplitGraphOp(int axis, int[] sizes)
    {
        _axis = axis;
        _sizes = (int[])(sizes ?? Array.Empty<int>()).Clone();
    }

    /// <inheritdoc/>
    public override string Kind => "Split";
    /// <inheritdoc/>
    public override string Describe() => $"Split[axis {_axis}, {string.Join(",", _sizes)}]";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, _axis, _sizes);

    private (int Axis, Shape[] Pieces) Rule(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return ShapeRules.Split(node, inputs[0].Spec, _axis, _sizes);
    }

    /// <inheritdoc/>
    public override GraphOp Resolve(string node, IReadOnlyList<Value> inputs)
    {
        int a = Rule(node, inputs).Axis;
        return a == _axis ? this : new SplitGraphOp(a, _sizes);
    }

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs) =>
        Rule(node, inputs).Pieces.Select(s => new TensorSpec(s, inputs[0].DType)).ToArray();

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        var x = inputs[0]!;
        int offset = 0;
        for (int k = 0; k < _sizes.Length; k++)
        {
            var view = ctx.Views.Get(this, x, k) ?? ctx.Views.Add(this, x, k, x.Slice(_axis, offset, offset + _sizes[k]));
            offset += _sizes[k];
            ctx.Kernels.Copy(view, outputs[k]);
        }
    }

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads)
    {
        if (node.Inputs[0].DType != DType.Float32 || outputGrads.All(d => d is null)) return new Value?[] { null };
        var parts = new Value[_sizes.Length];
        for (int k = 0; k < parts.Length; k++)
            parts[k] = outputGrads[k] ?? g.Apply1(new FillOp(node.Outputs[k].Shape, DType.Float32, 0.0), $"d_{node.Name}_zero{k}");
        return new Value?[] { parts.Length == 1 ? parts[0] : g.Apply1(new ConcatGraphOp(_axis), $"d_{node.Name}", parts) };
    }
}
