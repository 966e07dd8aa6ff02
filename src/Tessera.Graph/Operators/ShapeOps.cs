using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Same elements, new shape: the output shares the input's memory (no kernel runs).</summary>
public sealed class ReshapeGraphOp(int[] shape) : GraphOp
{
    public override string Kind => "Reshape";
    public override string Describe() => $"Reshape[{string.Join(",", shape)}]";
    public override int AliasInput => 0;

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        var x = inputs[0].Shape;
        var dims = (int[])shape.Clone();
        int infer = Array.IndexOf(dims, -1);
        long known = dims.Where(d => d != -1).Aggregate(1L, (a, d) => a * d);
        if (dims.Count(d => d == -1) > 1 || dims.Any(d => d < -1))
            throw new TesseraShapeException(node, "shape", $"bad target shape [{string.Join(", ", shape)}]");
        if (infer >= 0)
        {
            if (known == 0 || x.ElementCount % known != 0)
                throw new TesseraShapeException(node, "shape", $"cannot infer -1 reshaping {x} to [{string.Join(", ", shape)}]");
            dims[infer] = (int)(x.ElementCount / known);
        }
        var s = Shape.Create(node, dims);
        if (s.ElementCount != x.ElementCount)
            throw new TesseraShapeException(node, "shape", $"cannot reshape {inputs[0]} to {s}");
        return new[] { new OutputSpec(s, inputs[0].DType) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) { }

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) =>
        new Value?[] { g.Apply1(new ReshapeGraphOp(n.Inputs[0].Shape.ToArray()), $"d_{n.Name}", dOut[0]!) };
}

/// <summary>Identity in the forward pass; gradients stop here.</summary>
public sealed class StopGradientOp : GraphOp
{
    public override string Kind => "StopGradient";
    public override int AliasInput => 0;
    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[] { new OutputSpec(inputs[0].Shape, inputs[0].DType) };
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) { }
    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) => new Value?[] { null };
}

/// <summary>Axes reordered (a contiguous copy of the permuted view).</summary>
public sealed class PermuteGraphOp(int[] perm) : GraphOp
{
    private readonly Dictionary<Tensor, Tensor> _views = new(ReferenceEqualityComparer.Instance);
    public override string Kind => "Permute";
    public override string Describe() => $"Permute[{string.Join(",", perm)}]";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        var x = inputs[0].Shape;
        if (perm.Length != x.Rank || perm.Distinct().Count() != x.Rank || perm.Any(a => a < 0 || a >= x.Rank))
            throw new TesseraAxisException(node, "perm", $"[{string.Join(", ", perm)}] is not a permutation of the axes of {inputs[0]}");
        return new[] { new OutputSpec(new Shape(perm.Select(a => x[a]).ToArray()), inputs[0].DType) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o)
    {
        var x = i[0]!;
        if (!_views.TryGetValue(x, out var view)) _views[x] = view = x.Permute(perm);
        ctx.Kernels.Copy(view, o[0]);
    }

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut)
    {
        var inverse = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
        return new Value?[] { g.Apply1(new PermuteGraphOp(inverse), $"d_{n.Name}", dOut[0]!) };
    }
}

/// <summary>A contiguous copy of x[start:end:step] along one axis; gradient scatters back into zeros.</summary>
public sealed class SliceGraphOp(int axis, int start, int end, int step = 1) : GraphOp
{
    private readonly Dictionary<Tensor, Tensor> _views = new(ReferenceEqualityComparer.Instance);
    public override string Kind => "Slice";
    public override string Describe() => $"Slice[axis {axis}, {start}:{end}:{step}]";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        var x = inputs[0].Shape;
        int a = x.Axis(axis, node);
        if (step < 1) throw new TesseraArgumentException(node, "step", $"must be at least 1, got {step}");
        int n = x[a];
        int s = Math.Clamp(start < 0 ? start + n : start, 0, n), e = Math.Clamp(end < 0 ? end + n : end, 0, n);
        var dims = x.ToArray();
        dims[a] = e > s ? (e - s + step - 1) / step : 0;
        return new[] { new OutputSpec(new Shape(dims), inputs[0].DType) };
    }

    internal Tensor View(Tensor t)
    {
        if (!_views.TryGetValue(t, out var v)) _views[t] = v = t.Slice(axis, start, end, step);
        return v;
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Copy(View(i[0]!), o[0]);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) =>
        new Value?[] { g.Apply1(new SliceBackwardOp(this, n.Inputs[0].Shape), $"d_{n.Name}", dOut[0]!) };
}

/// <summary>dx of a slice: zeros with dy written into the sliced positions.</summary>
public sealed class SliceBackwardOp(SliceGraphOp slice, Shape xShape) : GraphOp
{
    public override string Kind => "SliceBackward";
    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[] { new OutputSpec(xShape, inputs[0].DType) };

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o)
    {
        ctx.Kernels.Fill(o[0], 0);
        ctx.Kernels.Copy(i[0]!, slice.View(o[0]));   // Copy accepts a strided destination
    }
}

/// <summary>Joins inputs along an axis; gradient slices dy back.</summary>
public sealed class ConcatGraphOp(int axis) : GraphOp
{
    private int _axis;
    public override string Kind => "Concat";
    public override string Describe() => $"Concat[axis {axis}]";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        if (inputs.Count < 1) throw new TesseraArgumentException(node, "inputs", "Concat needs at least one input");
        var first = inputs[0].Shape;
        _axis = first.Axis(axis, node);
        var dims = first.ToArray();
        dims[_axis] = 0;
        foreach (var v in inputs)
        {
            if (v.DType != inputs[0].DType) throw new TesseraDTypeException(node, v.Name, $"{v} differs in dtype from {inputs[0]}");
            if (v.Shape.Rank != first.Rank) throw new TesseraShapeException(node, v.Name, $"{v} differs in rank from {inputs[0]}");
            for (int d = 0; d < first.Rank; d++)
                if (d != _axis && v.Shape[d] != first[d]) throw new TesseraShapeException(node, v.Name, $"{v} differs from {inputs[0]} outside axis {_axis}");
            dims[_axis] += v.Shape[_axis];
        }
        return new[] { new OutputSpec(Shape.Create(node, dims), inputs[0].DType) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Concat((IReadOnlyList<Tensor>)i, o[0], _axis);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut)
    {
        var grads = new Value?[n.Inputs.Count];
        int offset = 0;
        for (int k = 0; k < n.Inputs.Count; k++)
        {
            int len = n.Inputs[k].Shape[_axis];
            if (g.RequiresGrad(n.Inputs[k]))
                grads[k] = g.Apply1(new SliceGraphOp(_axis, offset, offset + len), $"d_{n.Name}_{k}", dOut[0]!);
            offset += len;
        }
        return grads;
    }
}

/// <summary>Broadcast to a larger shape (a contiguous copy); gradient sums over the broadcast dimensions.</summary>
public sealed class ExpandGraphOp(int[] shape) : GraphOp
{
    private readonly Dictionary<Tensor, Tensor> _views = new(ReferenceEqualityComparer.Instance);
    public override string Kind => "Expand";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        var target = Shape.Create(node, shape);
        ShapeRules.ExpandsTo(node, "x", inputs[0].Shape, target);
        return new[] { new OutputSpec(target, inputs[0].DType) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o)
    {
        var x = i[0]!;
        if (!_views.TryGetValue(x, out var v)) _views[x] = v = x.Expand(shape);
        ctx.Kernels.Copy(v, o[0]);
    }

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) =>
        new Value?[] { g.SumTo(dOut[0]!, n.Inputs[0].Shape, $"d_{n.Name}") };
}

/// <summary>Rows of data selected by integer indices along an axis (embedding lookup on axis 0).</summary>
public sealed class GatherGraphOp(int axis) : GraphOp
{
    private int _axis;
    public override string Kind => "Gather";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 2);
        var data = inputs[0].Shape;
        if (inputs[1].DType is not (DType.Int32 or DType.Int64)) throw new TesseraDTypeException(node, "indices", $"expected Int32 or Int64, got {inputs[1]}");
        _axis = data.Axis(axis, node);
        var dims = data.Dims[.._axis].ToArray().Concat(inputs[1].Shape.ToArray()).Concat(data.Dims[(_axis + 1)..].ToArray()).ToArray();
        return new[] { new OutputSpec(Shape.Create(node, dims), inputs[0].DType) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Gather(i[0]!, i[1]!, o[0], _axis);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) =>
        new Value?[] { g.Apply1(new GatherBackwardOp(_axis, n.Inputs[0].Shape), $"d_{n.Name}", n.Inputs[1], dOut[0]!), null };
}

/// <summary>dData of a gather: scatter-add of dy (inputs indices, dy).</summary>
public sealed class GatherBackwardOp(int axis, Shape dataShape) : GraphOp
{
    public override string Kind => "GatherBackward";
    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[] { new OutputSpec(dataShape, DType.Float32) };
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.GatherBackward(i[0]!, i[1]!, o[0], axis);
}
