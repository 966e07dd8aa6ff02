using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>c = a op b with broadcasting → Bool (no gradient).</summary>
public sealed class CompareGraphOp(CompareOp op) : GraphOp
{
    public CompareOp Op => op;
    public override string Kind => op.ToString();

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 2);
        var shape = ShapeRules.CompareShape(node, op, inputs[0].Shape, inputs[0].DType, inputs[1].Shape, inputs[1].DType);
        return new[] { new OutputSpec(shape, DType.Bool) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Compare(op, i[0]!, i[1]!, o[0]);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) => new Value?[] { null, null };

    public override double Flops(Node n) => n.Outputs[0].Shape.ElementCount;
}

/// <summary>c = cond ? a : b, broadcasting all three (inputs cond, a, b). For float32 a and b the gradient is
/// da = where(cond, dc, 0), db = where(cond, 0, dc), each summed to its input's shape.</summary>
public sealed class WhereGraphOp : GraphOp
{
    public override string Kind => "Where";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 3);
        Value c = inputs[0], a = inputs[1], b = inputs[2];
        var shape = ShapeRules.WhereShape(node, c.Shape, c.DType, a.Shape, a.DType, b.Shape, b.DType);
        return new[] { new OutputSpec(shape, a.DType) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Where(i[0]!, i[1]!, i[2]!, o[0]);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut)
    {
        var grads = new Value?[3];
        var dc = dOut[0];
        if (dc is null || n.Outputs[0].DType != DType.Float32) return grads;
        var zero = g.Apply1(new FillOp(new Shape(Array.Empty<int>()), DType.Float32, 0.0), $"d_{n.Name}_zero");
        if (g.RequiresGrad(n.Inputs[1]))
            grads[1] = g.SumTo(g.Where(n.Inputs[0], dc, zero, $"d_{n.Name}_a"), n.Inputs[1].Shape, $"d_{n.Name}_a_sum");
        if (g.RequiresGrad(n.Inputs[2]))
            grads[2] = g.SumTo(g.Where(n.Inputs[0], zero, dc, $"d_{n.Name}_b"), n.Inputs[2].Shape, $"d_{n.Name}_b_sum");
        return grads;
    }
}

/// <summary>y = !x for a Bool tensor (ONNX Not; no gradient).</summary>
public sealed class NotGraphOp : GraphOp
{
    public override string Kind => "Not";
    public override int InPlaceInput => 0;

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        if (inputs[0].DType != DType.Bool) throw new TesseraDTypeException(node, "x", $"expected Bool, got {inputs[0]}");
        return new[] { new OutputSpec(inputs[0].Shape, DType.Bool) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.LogicalNot(i[0]!, o[0]);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) => new Value?[] { null };
}

/// <summary>The input converted to <paramref name="dtype"/> (float → integer truncates toward zero; → Bool is "non-zero").
/// The gradient passes through a Float32 → Float32 cast only.</summary>
public sealed class CastGraphOp(DType dtype) : GraphOp
{
    private static readonly DType[] Castable =
        { DType.Float32, DType.Float16, DType.BFloat16, DType.Int32, DType.Int64, DType.UInt8, DType.Bool };

    public DType To => dtype;
    public override string Kind => "Cast";
    public override string Describe() => $"Cast[{dtype}]";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        if (Array.IndexOf(Castable, inputs[0].DType) < 0)
            throw new TesseraDTypeException(node, "x", $"cannot cast from {inputs[0]} (supported: {string.Join(", ", Castable)})");
        if (Array.IndexOf(Castable, dtype) < 0)
            throw new TesseraDTypeException(node, "to", $"cannot cast to {dtype} (supported: {string.Join(", ", Castable)})");
        return new[] { new OutputSpec(inputs[0].Shape, dtype) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o)
    {
        if (i[0]!.DType == dtype) ctx.Kernels.Copy(i[0]!, o[0]);
        else ctx.Kernels.Cast(i[0]!, o[0]);
    }

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) =>
        new Value?[] { n.Inputs[0].DType == DType.Float32 && dtype == DType.Float32 ? dOut[0] : null };
}

/// <summary>Int64 index of the maximum along one axis (first occurrence, or the last with selectLastIndex; no gradient).</summary>
public sealed class ArgMaxGraphOp(int axis, bool keepDims = false, bool selectLastIndex = false) : GraphOp
{
    private ArgReduceParams _p;
    public override string Kind => "ArgMax";
    public override string Describe() => $"ArgMax[axis {axis}{(keepDims ? ", keepdims" : "")}{(selectLastIndex ? ", last" : "")}]";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        GraphChecks.Float32(node, inputs[0], "x");
        var x = inputs[0].Shape;
        _p = new ArgReduceParams(x.Axis(axis, node), keepDims, selectLastIndex);
        if (x[_p.Axis] == 0) throw new TesseraShapeException(node, "x", $"axis {axis} of {inputs[0]} is empty");
        return new[] { new OutputSpec(ShapeRules.ArgReduceShape(x, _p), DType.Int64) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.ArgMax(i[0]!, o[0], _p);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) => new Value?[] { null };
}
