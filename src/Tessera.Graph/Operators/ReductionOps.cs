using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>y = reduce(x) over axes; gradient through <see cref="ReduceBackwardOp"/>.</summary>
public sealed class ReduceGraphOp(ReduceOp op, int[] axes, bool keepDims) : GraphOp
{
    private ReduceParams? _p;
    public override string Kind => "Reduce" + op;
    public override string Describe() => $"{Kind}[axes {string.Join(",", axes)}{(keepDims ? ", keep" : "")}]";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        GraphChecks.Float32(node, inputs[0], "x");
        _p = ShapeRules.Reduction(node, inputs[0].Shape, axes, keepDims);
        return new[] { new OutputSpec(ShapeRules.ReduceShape(inputs[0].Shape, _p), DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Reduce(op, i[0]!, o[0], _p!);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) =>
        new Value?[] { g.Apply1(new ReduceBackwardOp(op, _p!), $"d_{n.Name}", n.Inputs[0], n.Outputs[0], dOut[0]!) };

    public override double Flops(Node n) => n.Inputs[0].Shape.ElementCount;
}

/// <summary>dx of a reduction (inputs x, y, dy).</summary>
public sealed class ReduceBackwardOp(ReduceOp op, ReduceParams p) : GraphOp
{
    public override string Kind => "Reduce" + op + "Backward";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 3);
        return new[] { new OutputSpec(inputs[0].Shape, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) =>
        ctx.Kernels.ReduceBackward(op, i[0]!, i[1]!, i[2]!, o[0], p);
}

/// <summary>Softmax or log-softmax along an axis; gradient through <see cref="SoftmaxBackwardOp"/>.</summary>
public sealed class SoftmaxGraphOp(int axis, bool log) : GraphOp
{
    private SoftmaxParams _p;
    public override string Kind => log ? "LogSoftmax" : "Softmax";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        GraphChecks.Float32(node, inputs[0], "x");
        _p = new SoftmaxParams(inputs[0].Shape.Axis(axis, node), log);
        return new[] { new OutputSpec(inputs[0].Shape, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Softmax(i[0]!, o[0], _p);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) =>
        new Value?[] { g.Apply1(new SoftmaxBackwardOp(_p), $"d_{n.Name}", n.Outputs[0], dOut[0]!) };

    public override double Flops(Node n) => 5.0 * n.Inputs[0].Shape.ElementCount;
}

/// <summary>dx of softmax from its output y and dy.</summary>
public sealed class SoftmaxBackwardOp(SoftmaxParams p) : GraphOp
{
    public override string Kind => p.Log ? "LogSoftmaxBackward" : "SoftmaxBackward";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 2);
        return new[] { new OutputSpec(inputs[0].Shape, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.SoftmaxBackward(i[0]!, i[1]!, o[0], p);
}

/// <summary>Fused log-softmax + NLL from logits [N, C] and targets (int64 [N] or float32 [N, C]).</summary>
public sealed class CrossEntropyGraphOp(CrossEntropyParams p) : GraphOp
{
    public override string Kind => "CrossEntropy";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 2);
        GraphChecks.Float32(node, inputs[0], "logits");
        return new[] { new OutputSpec(ShapeRules.CrossEntropyShape(node, inputs[0].Shape, inputs[1].Shape, inputs[1].DType, p), DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.CrossEntropy(i[0]!, i[1]!, o[0], p);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) =>
        new Value?[] { g.Apply1(new CrossEntropyBackwardOp(p), $"d_{n.Name}", n.Inputs[0], n.Inputs[1], dOut[0]!), null };

    public override double Flops(Node n) => 5.0 * n.Inputs[0].Shape.ElementCount;
}

/// <summary>dlogits of cross-entropy (inputs logits, target, dloss).</summary>
public sealed class CrossEntropyBackwardOp(CrossEntropyParams p) : GraphOp
{
    public override string Kind => "CrossEntropyBackward";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 3);
        return new[] { new OutputSpec(inputs[0].Shape, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) =>
        ctx.Kernels.CrossEntropyBackward(i[0]!, i[1]!, i[2]!, o[0], p);
}

/// <summary>Mean squared error between a and b.</summary>
public sealed class MseGraphOp(LossReduction reduction) : GraphOp
{
    public override string Kind => "MseLoss";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 2);
        return new[] { new OutputSpec(ShapeRules.MseLossShape(node, inputs[0].Shape, inputs[1].Shape, reduction), DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.MseLoss(i[0]!, i[1]!, o[0], reduction);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut)
    {
        var da = g.Apply1(new MseBackwardOp(reduction), $"d_{n.Name}", n.Inputs[0], n.Inputs[1], dOut[0]!);
        var db = g.Apply1(new UnaryGraphOp(UnaryOp.Neg), $"d_{n.Name}_b", da);
        return new Value?[] { da, db };
    }
}

/// <summary>da of MSE (inputs a, b, dloss).</summary>
public sealed class MseBackwardOp(LossReduction reduction) : GraphOp
{
    public override string Kind => "MseLossBackward";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 3);
        return new[] { new OutputSpec(inputs[0].Shape, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) =>
        ctx.Kernels.MseLossBackward(i[0]!, i[1]!, i[2]!, o[0], reduction);
}
