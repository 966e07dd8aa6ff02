using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Batch normalisation (inputs x [N, C, ...], gamma, beta, runningMean, runningVar; outputs y, saveMean, saveInvStd).
/// Training runs use batch statistics and update the running statistics in place; inference runs use the running ones.
/// When the run is one of a group of replicas (<see cref="ExecContext.Replicas"/>), training uses the global batch's
/// statistics (<see cref="ReplicaBatchNorm"/>).</summary>
public sealed class BatchNormGraphOp(BatchNormParams p) : GraphOp
{
    /// <summary>The normalisation's settings.</summary>
    public BatchNormParams Params => p;
    /// <inheritdoc/>
    public override string Kind => "BatchNorm";

    /// <summary>In training mode the node updates the running statistics it is given.</summary>
    public override bool HasSideEffects => true;

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 5);
        // Whether a run trains is known at run time only: the per-channel count training needs is checked there.
        var c = ShapeRules.BatchNorm(node, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec, inputs[3].Spec, inputs[4].Spec, p, training: false);
        return new[] { inputs[0].Spec, new TensorSpec(c, DType.Float32), new TensorSpec(c, DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        var x = inputs[0]!;
        if (ctx.Training)
        {
            ShapeRules.BatchNormTrainingCount(ctx.NodeName(Kind), x.Shape);
            if (ctx.Replicas is { Count: > 1 } group)
                ReplicaBatchNorm.Forward(ctx, group, p, x, inputs[1]!, inputs[2]!, inputs[3]!, inputs[4]!, outputs[0], outputs[1], outputs[2]);
            else ctx.Kernels.BatchNormTraining(x, inputs[1]!, inputs[2]!, outputs[0], inputs[3]!, inputs[4]!, outputs[1], outputs[2], p);
        }
        else ctx.Kernels.BatchNormInference(x, inputs[1]!, inputs[2]!, inputs[3]!, inputs[4]!, outputs[0], p);
    }

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads)
    {
        var d = g.Apply(new BatchNormBackwardOp(p), $"d_{node.Name}", node.Inputs[0], outputGrads[0]!, node.Inputs[1], node.Outputs[1], node.Outputs[2]);
        return new Value?[] { d[0], d[1], d[2], null, null };
    }

    /// <inheritdoc/>
    public override double Flops(Node node) => 8.0 * node.Inputs[0].Shape.ElementCount;
}

/// <summary>Fused batch-norm backward (inputs x, dy, gamma, saveMean, saveInvStd; outputs dx, dgamma, dbeta).</summary>
public sealed class BatchNormBackwardOp(BatchNormParams p) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "BatchNormBackward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 5);
        var c = ShapeRules.BatchNormBackward(node, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec, inputs[3].Spec, inputs[4].Spec);
        return new[] { inputs[0].Spec, new TensorSpec(c, DType.Float32), new TensorSpec(c, DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        if (ctx.Training && ctx.Replicas is { Count: > 1 } group)
            ReplicaBatchNorm.Backward(ctx, group, p, inputs[0]!, inputs[1]!, inputs[2]!, inputs[3]!, inputs[4]!, outputs[0], outputs[1], outputs[2]);
        else ctx.Kernels.BatchNormBackward(inputs[0]!, inputs[1]!, inputs[2]!, inputs[3]!, inputs[4]!, outputs[0], outputs[1], outputs[2], p);
    }

    /// <inheritdoc/>
    public override double Flops(Node node) => 10.0 * node.Inputs[0].Shape.ElementCount;
}

/// <summary>Layer normalisation over trailing axes (inputs x, gamma, beta; outputs y, mean, invStd). The axis may be
/// negative when the op is created; the node's op holds it resolved (<see cref="GraphOp.Resolve"/>).</summary>
public sealed class LayerNormGraphOp(LayerNormParams p) : GraphOp
{
    /// <summary>Layer norm over axes [axis, rank) (negative axes count from the end).</summary>
    public LayerNormGraphOp(int axis, float epsilon) : this(new LayerNormParams(axis, epsilon)) { }

    /// <summary>Axis and epsilon (the axis resolved once the op is a node's).</summary>
    public LayerNormParams Params => p;
    /// <inheritdoc/>
    public override string Kind => "LayerNorm";
    /// <inheritdoc/>
    public override string Signature => OpSignature.Of(Kind, p);

    private (LayerNormParams P, Shape Y, Shape Stat) Rule(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 3);
        return ShapeRules.LayerNorm(node, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec, p.Axis, p.Epsilon);
    }

    /// <inheritdoc/>
    public override GraphOp Resolve(string node, IReadOnlyList<Value> inputs)
    {
        var r = Rule(node, inputs).P;
        return r == p ? this : new LayerNormGraphOp(r);
    }

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        var (_, y, stat) = Rule(node, inputs);
        return new[] { new TensorSpec(y, DType.Float32), new TensorSpec(stat, DType.Float32), new TensorSpec(stat, DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.LayerNorm(inputs[0]!, inputs[1], inputs[2], outputs[0], outputs[1], outputs[2], p);

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads)
    {
        var d = g.Apply(new LayerNormBackwardOp(p), $"d_{node.Name}", node.Inputs[0], outputGrads[0]!, node.Inputs[1], node.Outputs[1], node.Outputs[2]);
        return new Value?[] { d[0], d[1], d[2] };
    }

    /// <inheritdoc/>
    public override double Flops(Node node) => 8.0 * node.Inputs[0].Shape.ElementCount;
}

/// <summary>Fused layer-norm backward (inputs x, dy, gamma, mean, invStd; outputs dx, dgamma, dbeta).</summary>
public sealed class LayerNormBackwardOp(LayerNormParams p) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "LayerNormBackward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 5);
        var (_, affine) = ShapeRules.LayerNormBackward(node, inputs[0].Spec, inputs[1].Spec, inputs[2].Spec, inputs[3].Spec, inputs[4].Spec,
            p.Axis, p.Epsilon);
        return new[] { inputs[0].Spec, new TensorSpec(affine, DType.Float32), new TensorSpec(affine, DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.LayerNormBackward(inputs[0]!, inputs[1]!, inputs[2], inputs[3]!, inputs[4]!, outputs[0], outputs[1], outputs[2], p);

    /// <inheritdoc/>
    public override double Flops(Node node) => 10.0 * node.Inputs[0].Shape.ElementCount;
}

/// <summary>Inverted dropout (outputs y and the UInt8 mask). The mask of run s comes from (seed, s): reproducible, and
/// different at every step. Identity when the context is not training.</summary>
public sealed class DropoutGraphOp(float ratio, ulong seed) : GraphOp
{
    /// <summary>The drop probability.</summary>
    public float Ratio => ratio;
    /// <inheritdoc/>
    public override string Kind => "Dropout";
    /// <inheritdoc/>
    public override string Describe() => $"Dropout[{ratio}]";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 1);
        var y = ShapeRules.Dropout(node, inputs[0].Spec, ratio);
        return new[] { new TensorSpec(y, DType.Float32), new TensorSpec(y, DType.UInt8) };
    }

    private DropoutParams At(ExecContext ctx, Tensor x) => new(ratio, OffsetSeed(StepSeed(seed, ctx.Step), ctx.SampleOffset, x), ctx.Training);

    /// <summary>The kernels draw element i from splitmix64 at seed + (i+1)·golden, so starting <paramref name="samples"/>
    /// samples into the global batch is the seed advanced by that many elements times golden (0 samples: the seed).</summary>
    private static ulong OffsetSeed(ulong stepSeed, long samples, Tensor x)
    {
        if (samples == 0 || x.Rank == 0 || x.Shape[0] == 0) return stepSeed;
        ulong perSample = (ulong)(x.ElementCount / x.Shape[0]);
        return unchecked(stepSeed + (ulong)samples * perSample * 0x9E3779B97F4A7C15UL);
    }

    /// <summary>The seed of one step: a splitmix64 mix of the op's seed and the step.</summary>
    public static ulong StepSeed(ulong seed, long step)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)(step + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.Dropout(inputs[0]!, outputs[0], outputs[1], At(ctx, inputs[0]!));

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) =>
        new Value?[] { g.Apply1(new DropoutBackwardOp(ratio), $"d_{node.Name}", outputGrads[0]!, node.Outputs[1]) };
}

/// <summary>dx = dy·mask/(1−ratio) (inputs dy, mask).</summary>
public sealed class DropoutBackwardOp(float ratio) : GraphOp
{
    /// <inheritdoc/>
    public override string Kind => "DropoutBackward";

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        Check.InputCount(node, inputs.Count, 2);
        return new[] { new TensorSpec(ShapeRules.DropoutBackward(node, inputs[0].Spec, inputs[1].Spec, ratio), DType.Float32) };
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
        ctx.Kernels.DropoutBackward(inputs[0]!, inputs[1]!, outputs[0], new DropoutParams(ratio, 0, ctx.Training));
}
