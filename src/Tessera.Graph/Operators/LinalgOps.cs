using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>y = x·wᵀ + b with x [..., In], w [Out, In], optional b [Out]. Runs as one GEMM over the flattened rows.</summary>
public sealed class LinearGraphOp : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "Linear";
    /// <inheritdoc/>
    public override string Signature => Kind;

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2, 3);
        var y = ShapeRules.Linear(node, inputs[0].Spec, inputs[1].Spec, inputs.Count > 2 ? inputs[2].Spec : null);
        return new[] { new TensorSpec(y, DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        var w = inputs[1]!;
        GemmGraphOp.RunGemm(ctx, ctx.Views.Rows(this, inputs[0]!, w.Shape[1]), w, inputs.Count > 2 ? inputs[2] : null,
            ctx.Views.Rows(this, outputs[0], w.Shape[0]), Transposed);
    }

    private static readonly GemmParams Transposed = new(TransB: true);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads)
    {
        var inputs = node.Inputs;
        bool hasBias = inputs.Count > 2;
        // Outputs dx, dw (and db): one per input of the forward node.
        return g.Apply(new LinearBackwardOp(hasBias, g.RequiresGrad(inputs[0])), $"d_{node.Name}", inputs[0], inputs[1], outputGrads[0]!);
    }

    /// <inheritdoc/>
    public override double Flops(Node node) => 2.0 * node.Outputs[0].Shape.ElementCount * node.Inputs[1].Shape[1];
}

/// <summary>Gradients of <see cref="LinearGraphOp"/> (inputs x, w, dy): dx = dy·w (when needed), dw = dyᵀ·x, db = Σ dy.</summary>
public sealed class LinearBackwardOp(bool hasBias, bool needInput) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "LinearBackward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 3);
        ShapeRules.LinearBackward(node, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec);
        var specs = new List<TensorSpec> { inputs[0].Spec, inputs[1].Spec };
        if (hasBias) specs.Add(new TensorSpec(new Shape(inputs[1].Shape[0]), DType.Float32));
        return specs.ToArray();
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        var k = ctx.Kernels;
        var w = inputs[1]!;
        int outF = w.Shape[0], inF = w.Shape[1];
        var x2 = ctx.Views.Rows(this, inputs[0]!, inF);
        var dy2 = ctx.Views.Rows(this, inputs[2]!, outF);
        if (needInput) k.Gemm(dy2, w, null, ctx.Views.Rows(this, outputs[0], inF), new GemmParams());
        k.Gemm(dy2, x2, null, outputs[1], new GemmParams(TransA: true));
        if (hasBias) k.Reduce(ReduceOp.Sum, dy2, outputs[2], BiasAxes);
    }

    private static readonly ReduceParams BiasAxes = new(new[] { 0 }, false);

    /// <inheritdoc/>
    public override double Flops(Node node) => (needInput ? 4.0 : 2.0) * node.Inputs[2].Shape.ElementCount * node.Inputs[1].Shape[1];
}

/// <summary>c = act(Alpha·op(a)·op(b) + bias) (inputs a, b and an optional bias broadcasting to c), batched over
/// broadcast leading dimensions, act the activation of <see cref="GemmParams.Epilogue"/>: <see cref="Ops.Gemm"/> writing a
/// new value, so Beta is not used. A product with a fused activation has no gradient rule (inference graphs).</summary>
public sealed class GemmGraphOp(GemmParams p) : GraphOp
{
    private readonly GemmParams _p = p with { Beta = 0f };

    /// <summary>Transpositions and Alpha (Beta is not used: the op writes a new value).</summary>
    public GemmParams Params => _p;
    /// <inheritdoc/>
    public override string Kind => "Gemm";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, _p, _p.Epilogue.Params);
    /// <inheritdoc/>
    public override string Describe() =>
        $"Gemm[{(_p.TransA ? "T" : "N")}{(_p.TransB ? "T" : "N")}{(_p.Alpha != 1 ? $", {_p.Alpha}" : "")}{(_p.Epilogue.IsNone ? "" : $" {_p.Epilogue}")}]";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2, 3);
        var c = ShapeRules.Gemm(node, inputs[0].Spec, inputs[1].Spec, inputs.Count > 2 ? inputs[2].Spec : null, _p);
        return new[] { new TensorSpec(c, DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        RunGemm(ctx, inputs[0]!, inputs[1]!, inputs.Count > 2 ? inputs[2] : null, outputs[0], _p);

    /// <summary>The Gemm kernel for a node whose input 1 is b, reading b's packed form when it is a constant
    /// (<see cref="OperandPacks"/>).</summary>
    internal static void RunGemm(ExecContext ctx, Tensor a, Tensor b, Tensor? bias, Tensor c, GemmParams p)
    {
        var packed = ctx.Packs.Get(ctx, 1, b, (a, b, c, p), static (k, s) => k.PackGemmB(s.a, s.b, s.c, s.p));
        if (packed is not null) ((IOperandPacking)ctx.Kernels).GemmPacked(a, b, packed, bias, c, p);
        else ctx.Kernels.Gemm(a, b, bias, c, p);
    }

    /// <summary>Gradients: da = α·dc·op(b)ᵀ, db = α·op(a)ᵀ·dc, arranged for the transposition flags, each summed over the
    /// batch dimensions its operand was broadcast along; the bias gradient is dc summed down to the bias's shape. An
    /// unbatched b under a batched, untransposed a (x [B, T, C] · W [C, C]) gets its gradient from one product over the
    /// flattened rows; other broadcasts compute the product at c's batch shape and sum it down.</summary>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads)
    {
        if (!_p.Epilogue.IsNone)
            throw new TesseraArgumentException($"Autodiff ({node.Name})", "epilogue",
                $"a product with a fused epilogue ({_p.Epilogue}) has no gradient: fused operators are for inference graphs");
        Value a = node.Inputs[0], b = node.Inputs[1], dc = outputGrads[0]!;
        bool transA = _p.TransA, transB = _p.TransB;
        float alpha = _p.Alpha;
        // c = op(a)·op(b). d op(a) = dc·op(b)ᵀ ; d op(b) = op(a)ᵀ·dc.
        var grads = new Value?[node.Inputs.Count];
        if (g.RequiresGrad(a))
        {
            var da = transA
                ? g.Gemm(b, dc, null, new GemmParams(transB, true, alpha), $"d_{node.Name}_a")   // a = d op(a)ᵀ = op(b)·dcᵀ
                : g.Gemm(dc, b, null, new GemmParams(false, !transB, alpha), $"d_{node.Name}_a");
            grads[0] = g.ExpandBackward(da, a.Shape, $"d_{node.Name}_a_sum");
        }
        if (g.RequiresGrad(b))
        {
            bool equalBatch = a.Shape.Rank == b.Shape.Rank && a.Shape.Dims[..^2].SequenceEqual(b.Shape.Dims[..^2]);
            if (!equalBatch && !transA && a.Shape.Dims[..^2].SequenceEqual(dc.Shape.Dims[..^2])
                && b.Shape.ElementCount == b.Shape[^2] * (long)b.Shape[^1])
            {
                // b is one matrix shared by every batch of a: db sums the batches, which one product over the rows does.
                var a2 = g.Reshape(a, -1, a.Shape[^1]);
                var dc2 = g.Reshape(dc, -1, dc.Shape[^1]);
                var db = transB
                    ? g.Gemm(dc2, a2, null, new GemmParams(true, false, alpha), $"d_{node.Name}_b")
                    : g.Gemm(a2, dc2, null, new GemmParams(true, false, alpha), $"d_{node.Name}_b");
                grads[1] = g.Reshape(db, b.Shape.ToArray());
            }
            else
            {
                var db = transB
                    ? g.Gemm(dc, a, null, new GemmParams(true, transA, alpha), $"d_{node.Name}_b")   // b = d op(b)ᵀ = dcᵀ·op(a)
                    : g.Gemm(a, dc, null, new GemmParams(!transA, false, alpha), $"d_{node.Name}_b");
                grads[1] = g.ExpandBackward(db, b.Shape, $"d_{node.Name}_b_sum");
            }
        }
        if (node.Inputs.Count > 2 && g.RequiresGrad(node.Inputs[2]))
            grads[2] = g.ExpandBackward(dc, node.Inputs[2].Shape, $"d_{node.Name}_bias");
        return grads;
    }

    /// <inheritdoc/>
    public override double Flops(Node node)
    {
        var a = node.Inputs[0].Shape;
        return 2.0 * node.Outputs[0].Shape.ElementCount * (_p.TransA ? a[^2] : a[^1]);
    }
}
