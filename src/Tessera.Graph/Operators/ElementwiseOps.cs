using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>y = f(x) for a <see cref="UnaryOp"/>; gradient through <see cref="UnaryBackwardOp"/>.</summary>
public sealed class UnaryGraphOp(UnaryOp op, UnaryParams p = default) : GraphOp
{
    /// <summary>The element-wise function.</summary>
    public UnaryOp Op => op;
    /// <summary>The function's scalars.</summary>
    public UnaryParams Params => p;
    /// <inheritdoc/>
    public override string Kind => op.ToString();
    /// <inheritdoc/>
    public override string Describe() => p == default ? Kind : $"{Kind}[{p.Alpha}, {p.Beta}]";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, p.Alpha, p.Beta);
    /// <inheritdoc/>
    public override int InPlaceInput => 0;

    /// <summary>ReLU and LeakyReLU (α &gt; 0) have the sign of their input, so their gradient can read the output instead:
    /// the input may then die here (and be overwritten in place) rather than live until the backward pass.</summary>
    private bool SignFromOutput => op == UnaryOp.Relu || (op == UnaryOp.LeakyRelu && p.Alpha > 0);

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        return new[] { new TensorSpec(ShapeRules.Unary(node, op, inputs[0].Spec, p), DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Unary(op, inputs[0]!, outputs[0], p);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[]
    {
        g.Apply1(new UnaryBackwardOp(op, p), $"d_{node.Name}", SignFromOutput ? node.Outputs[0] : node.Inputs[0], node.Outputs[0], outputGrads[0]!),
    };

    /// <inheritdoc/>
    public override double Flops(Node node) => node.Outputs[0].Shape.ElementCount;
}

/// <summary>dx = dy·f'(x) (inputs x, y, dy; ReLU-like ops may pass y for x, see <see cref="UnaryGraphOp"/>).</summary>
public sealed class UnaryBackwardOp(UnaryOp op, UnaryParams p) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => op + "Backward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 3);
        return new[] { new TensorSpec(ShapeRules.UnaryBackward(node, op, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec, p), DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.UnaryBackward(op, inputs[0]!, inputs[1]!, inputs[2]!, outputs[0], p);

    /// <inheritdoc/>
    public override double Flops(Node node) => 2.0 * node.Outputs[0].Shape.ElementCount;
}

/// <summary>c = a ∘ b with broadcasting; gradient through <see cref="BinaryBackwardOp"/>.</summary>
public sealed class BinaryGraphOp(BinaryOp op) : GraphOp
{
    /// <summary>The element-wise function.</summary>
    public BinaryOp Op => op;
    /// <inheritdoc/>
    public override string Kind => op.ToString();
    /// <inheritdoc/>
    public override string Signature => Kind;

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2);
        return new[] { new TensorSpec(ShapeRules.Binary(node, op, inputs[0].Spec, inputs[1].Spec), DType.Float32) };
    }

    /// <inheritdoc/>
    public override int InPlaceInput => 0;

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Binary(op, inputs[0]!, inputs[1]!, outputs[0]);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => Gradients(op, g, node, outputGrads);

    /// <summary>(da, db) through <see cref="BinaryBackwardOp"/>, computing only those the backward pass needs.</summary>
    internal static Value?[] Gradients(BinaryOp op, GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads)
    {
        bool needA = g.RequiresGrad(node.Inputs[0]), needB = g.RequiresGrad(node.Inputs[1]);
        var d = g.Apply(new BinaryBackwardOp(op, needA, needB), $"d_{node.Name}", node.Inputs[0], node.Inputs[1], outputGrads[0]!);
        return new Value?[] { needA ? d[0] : null, needB ? d[1] : null };
    }

    /// <inheritdoc/>
    public override double Flops(Node node) => node.Outputs[0].Shape.ElementCount;
}

/// <summary>ONNX PRelu: y = x ≥ 0 ? x : slope·x with the slope broadcast to x only (inputs x, slope); gradient through
/// <see cref="BinaryBackwardOp"/>. <see cref="BinaryGraphOp"/> with <see cref="BinaryOp.PRelu"/> is the form that
/// broadcasts both ways.</summary>
public sealed class PReluGraphOp : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "PRelu";
    /// <inheritdoc/>
    public override string Signature => Kind;

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2);
        return new[] { new TensorSpec(ShapeRules.PRelu(node, inputs[0].Spec, inputs[1].Spec), DType.Float32) };
    }

    /// <inheritdoc/>
    public override int InPlaceInput => 0;

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Binary(BinaryOp.PRelu, inputs[0]!, inputs[1]!, outputs[0]);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) =>
        BinaryGraphOp.Gradients(BinaryOp.PRelu, g, node, outputGrads);

    /// <inheritdoc/>
    public override double Flops(Node node) => node.Outputs[0].Shape.ElementCount;
}

/// <summary>(da, db) of c = a ∘ b, reduced over broadcast dimensions (inputs a, b, dc). A gradient nobody needs (that of a
/// constant, say) is not computed; its output is left unwritten.</summary>
public sealed class BinaryBackwardOp(BinaryOp op, bool needA = true, bool needB = true) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => op + "Backward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 3);
        ShapeRules.BinaryBackward(node, op, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec);
        return new[] { new TensorSpec(inputs[0].Shape, DType.Float32), new TensorSpec(inputs[1].Shape, DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.BinaryBackward(op, inputs[0]!, inputs[1]!, inputs[2]!, needA ? outputs[0] : null, needB ? outputs[1] : null);

    /// <inheritdoc/>
    public override double Flops(Node node) => 2.0 * node.Inputs[2].Shape.ElementCount;
}
