using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Batch normalisation (inputs x [N, C, ...], gamma, beta, runningMean, runningVar; outputs y, saveMean, saveInvStd).
/// Training runs use batch statistics and update the running statistics in place; inference runs use the running ones.</summary>
public sealed class BatchNormGraphOp(BatchNormParams p) : GraphOp
{
    public override string Kind => "BatchNorm";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 5);
        var stat = ShapeRules.BatchNormStatShape(node, inputs[0].Shape);
        string[] names = { "x", "gamma", "beta", "runningMean", "runningVar" };
        for (int i = 0; i < 5; i++)
        {
            GraphChecks.Float32(node, inputs[i], names[i]);
            if (i > 0 && inputs[i].Shape != stat) throw new TesseraShapeException(node, names[i], $"expected {stat}, got {inputs[i]}");
        }
        return new[] { new OutputSpec(inputs[0].Shape, DType.Float32), new OutputSpec(stat, DType.Float32), new OutputSpec(stat, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o)
    {
        if (ctx.Training) ctx.Kernels.BatchNormTraining(i[0]!, i[1]!, i[2]!, o[0], i[3]!, i[4]!, o[1], o[2], p);
        else ctx.Kernels.BatchNormInference(i[0]!, i[1]!, i[2]!, i[3]!, i[4]!, o[0], p);
    }

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut)
    {
        var d = g.Apply(new BatchNormBackwardOp(p), $"d_{n.Name}", n.Inputs[0], dOut[0]!, n.Inputs[1], n.Outputs[1], n.Outputs[2]);
        return new Value?[] { d[0], d[1], d[2], null, null };
    }

    public override double Flops(Node n) => 8.0 * n.Inputs[0].Shape.ElementCount;
}

/// <summary>Fused batch-norm backward (inputs x, dy, gamma, saveMean, saveInvStd; outputs dx, dgamma, dbeta).</summary>
public sealed class BatchNormBackwardOp(BatchNormParams p) : GraphOp
{
    public override string Kind => "BatchNormBackward";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[]
    {
        new OutputSpec(inputs[0].Shape, DType.Float32), new OutputSpec(inputs[2].Shape, DType.Float32), new OutputSpec(inputs[2].Shape, DType.Float32),
    };

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) =>
        ctx.Kernels.BatchNormBackward(i[0]!, i[1]!, i[2]!, i[3]!, i[4]!, o[0], o[1], o[2], p);

    public override double Flops(Node n) => 10.0 * n.Inputs[0].Shape.ElementCount;
}

/// <summary>Layer normalisation over trailing axes (inputs x, gamma, beta; outputs y, mean, invStd).</summary>
public sealed class LayerNormGraphOp(int axis, float epsilon) : GraphOp
{
    private LayerNormParams _p;
    public override string Kind => "LayerNorm";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 3);
        var x = inputs[0].Shape;
        int a = ShapeRules.LayerNormAxis(node, x, axis);
        _p = new LayerNormParams(a, epsilon);
        var affine = ShapeRules.LayerNormAffineShape(x, a);
        foreach (var (v, name) in new[] { (inputs[1], "gamma"), (inputs[2], "beta") })
        {
            GraphChecks.Float32(node, v, name);
            if (v.Shape != affine) throw new TesseraShapeException(node, name, $"expected {affine}, got {v}");
        }
        var stat = ShapeRules.LayerNormStatShape(x, a);
        return new[] { new OutputSpec(x, DType.Float32), new OutputSpec(stat, DType.Float32), new OutputSpec(stat, DType.Float32) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) =>
        ctx.Kernels.LayerNorm(i[0]!, i[1], i[2], o[0], o[1], o[2], _p);

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut)
    {
        var d = g.Apply(new LayerNormBackwardOp(_p), $"d_{n.Name}", n.Inputs[0], dOut[0]!, n.Inputs[1], n.Outputs[1], n.Outputs[2]);
        return new Value?[] { d[0], d[1], d[2] };
    }

    public override double Flops(Node n) => 8.0 * n.Inputs[0].Shape.ElementCount;
}

/// <summary>Fused layer-norm backward (inputs x, dy, gamma, mean, invStd; outputs dx, dgamma, dbeta).</summary>
public sealed class LayerNormBackwardOp(LayerNormParams p) : GraphOp
{
    public override string Kind => "LayerNormBackward";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[]
    {
        new OutputSpec(inputs[0].Shape, DType.Float32), new OutputSpec(inputs[2].Shape, DType.Float32), new OutputSpec(inputs[2].Shape, DType.Float32),
    };

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) =>
        ctx.Kernels.LayerNormBackward(i[0]!, i[1]!, i[2], i[3]!, i[4]!, o[0], o[1], o[2], p);

    public override double Flops(Node n) => 10.0 * n.Inputs[0].Shape.ElementCount;
}

/// <summary>Inverted dropout (outputs y and the UInt8 mask). The mask of run s comes from (seed, s): reproducible, and
/// different at every step. Identity when the context is not training.</summary>
public sealed class DropoutGraphOp(float ratio, ulong seed) : GraphOp
{
    public override string Kind => "Dropout";
    public override string Describe() => $"Dropout[{ratio}]";

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        GraphChecks.Count(node, inputs, 1);
        GraphChecks.Float32(node, inputs[0], "x");
        if (!(ratio >= 0 && ratio < 1)) throw new TesseraArgumentException(node, "ratio", $"must be in [0, 1), got {ratio}");
        return new[] { new OutputSpec(inputs[0].Shape, DType.Float32), new OutputSpec(inputs[0].Shape, DType.UInt8) };
    }

    private DropoutParams At(ExecContext ctx) => new(ratio, StepSeed(seed, ctx.Step), ctx.Training);

    /// <summary>The seed of one step: a splitmix64 mix of the op's seed and the step.</summary>
    public static ulong StepSeed(ulong seed, long step)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)(step + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) => ctx.Kernels.Dropout(i[0]!, o[0], o[1], At(ctx));

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) =>
        new Value?[] { g.Apply1(new DropoutBackwardOp(ratio), $"d_{n.Name}", dOut[0]!, n.Outputs[1]) };
}

/// <summary>dx = dy·mask/(1−ratio) (inputs dy, mask).</summary>
public sealed class DropoutBackwardOp(float ratio) : GraphOp
{
    public override string Kind => "DropoutBackward";
    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs) => new[] { new OutputSpec(inputs[0].Shape, DType.Float32) };

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> i, IReadOnlyList<Tensor> o) =>
        ctx.Kernels.DropoutBackward(i[0]!, i[1]!, o[0], new DropoutParams(ratio, 0, ctx.Training));
}
