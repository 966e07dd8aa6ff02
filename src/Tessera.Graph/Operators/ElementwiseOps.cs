using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>y = f(x) for a <see cref="UnaryOp"/>; gradient through <see cref="UnaryBackwardOp"/>.</summary>
public sealed class UnaryGraphOp(UnaryOp op, UnaryParams p = default) : GraphOp
{
    public UnaryOp Op => op;
    public override string Kind => op.ToString();
    public override string Describe() => p == default ? Kind : $"{Kind}[{p.Alpha}, {p.Beta}]";
    public override int InPlaceInput => 0;

    /// <summary>ReLU and LeakyReLU (α &gt; 0) have the sign of their input, so their gradient can read the output instead:
    /// the input may then die here (and be overwritten in place) rather than live until the backward pass.</summary>
    private bool SignFromOutput => op == UnaryOp.Relu || (op == UnaryOp.LeakyRelu && p.Alpha > 0);

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        GraphChecks.Float32(node, inputs[0], "x");
        ShapeRules.CheckUnaryParams(node, op, p);
        return new[] { new OutputSpec(inputs[0].Shape, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Unary(op, i[0]!, o[0], p);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) =>
        new Value?[] { g.Apply1(new UnaryBackwardOp(op, p), $"d_{n.Name}", SignFromOutput ? n.Outputs[0] : n.Inputs[0], n.Outputs[0], dOut[0]!) };

    public override double Flops(Node n) => n.Outputs[0].Shape.ElementCount;
}

/// <summary>dx = dy·f'(x) (inputs x, y, dy).</summary>
public sealed class UnaryBackwardOp(UnaryOp op, UnaryParams p) : GraphOp
{
    public override string Kind => op + "Backward";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 3);
        GraphChecks.SameShape(node, inputs[0], inputs[2], "dy");
        return new[] { new OutputSpec(inputs[0].Shape, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) =>
        ctx.Kernels.UnaryBackward(op, i[0]!, i[1]!, i[2]!, o[0], p);

    public override double Flops(Node n) => 2.0 * n.Outputs[0].Shape.ElementCount;
}

/// <summary>c = a ∘ b with broadcasting; gradient through <see cref="BinaryBackwardOp"/>.</summary>
public sealed class BinaryGraphOp(BinaryOp op) : GraphOp
{
    public BinaryOp Op => op;
    public override string Kind => op.ToString();

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 2);
        GraphChecks.Float32(node, inputs[0], "a");
        GraphChecks.Float32(node, inputs[1], "b");
        return new[] { new OutputSpec(ShapeRules.BinaryShape(node, inputs[0].Shape, inputs[1].Shape), DType.Float32) };
    }

    public override int InPlaceInput => 0;

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Binary(op, i[0]!, i[1]!, o[0]);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut)
    {
        bool needA = g.RequiresGrad(n.Inputs[0]), needB = g.RequiresGrad(n.Inputs[1]);
        var d = g.Apply(new BinaryBackwardOp(op, needA, needB), $"d_{n.Name}", n.Inputs[0], n.Inputs[1], dOut[0]!);
        return new Value?[] { needA ? d[0] : null, needB ? d[1] : null };
    }

    public override double Flops(Node n) => n.Outputs[0].Shape.ElementCount;
}

/// <summary>(da, db) of c = a ∘ b, reduced over broadcast dimensions (inputs a, b, dc). A gradient nobody needs (that of a
/// constant, say) is not computed; its output is left unwritten.</summary>
public sealed class BinaryBackwardOp(BinaryOp op, bool needA = true, bool needB = true) : GraphOp
{
    public override string Kind => op + "Backward";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 3);
        return new[] { new OutputSpec(inputs[0].Shape, DType.Float32), new OutputSpec(inputs[1].Shape, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) =>
        ctx.Kernels.BinaryBackward(op, i[0]!, i[1]!, i[2]!, needA ? o[0] : null, needB ? o[1] : null);

    public override double Flops(Node n) => 2.0 * n.Inputs[2].Shape.ElementCount;
}
