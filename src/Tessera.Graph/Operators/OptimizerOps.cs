using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Input layout of the multi-tensor optimizer-step graph ops: R (learning rate, float32 scalar), T (steps
/// already taken, int64 scalar), then one list of n tensors per group (X..., G..., then the states), the tensors of one
/// index checked by the optimizer rule (<see cref="ShapeRules.OptimizerTensors"/>). Outputs: the new X... and the new
/// states, in input order.</summary>
internal static class OptimizerStepLayout
{
    /// <summary>Validates the inputs; returns n, the number of tensors updated.</summary>
    public static int Validate(string node, IReadOnlyList<Value> inputs, string[] groups)
    {
        int g = groups.Length;
        if (inputs.Count < 2 + g || (inputs.Count - 2) % g != 0)
            throw new TesseraArgumentException(node, "inputs", $"expected R, T and {g}·n tensors ({string.Join(", ", groups)} for each of n ≥ 1 tensors), got {inputs.Count} inputs");
        int n = Count(inputs.Count, g);
        var r = inputs[0];
        if (r.DType != DType.Float32 || r.Shape.ElementCount != 1)
            throw new TesseraDTypeException(node, "R", $"the learning rate must be a float32 scalar, got {r.Spec}");
        var t = inputs[1];
        if (t.DType != DType.Int64 || t.Shape.ElementCount != 1)
            throw new TesseraDTypeException(node, "T", $"the step count must be an int64 scalar, got {t.Spec}");
        for (int i = 0; i < n; i++)
        {
            var named = new (string, TensorSpec)[g];
            for (int k = 0; k < g; k++) named[k] = ($"{groups[k]}{i + 1}", inputs[2 + k * n + i].Spec);
            ShapeRules.OptimizerTensors(node, named);
        }
        return n;
    }

    /// <summary>n, the number of tensors updated, from the input count.</summary>
    public static int Count(int inputs, int groups) => (inputs - 2) / groups;

    /// <summary>Specs of X... and of each state group (all groups but the gradients).</summary>
    public static TensorSpec[] Outputs(IReadOnlyList<Value> inputs, int groups, int n)
    {
        var specs = new List<TensorSpec>();
        for (int g = 0; g < groups; g++)
        {
            if (g == 1) continue; // gradients are not outputs
            for (int i = 0; i < n; i++) specs.Add(inputs[2 + g * n + i].Spec);
        }
        return specs.ToArray();
    }

    /// <summary>R and T read from their tensors at run time.</summary>
    public static (float R, long T) Scalars(IReadOnlyList<Tensor?> inputs) => (inputs[0]!.Item<float>(), inputs[1]!.Item<long>());

    /// <summary>Elements updated per run (the X outputs).</summary>
    public static long Elements(Node node, int groups) => node.Outputs.Take(Count(node.Inputs.Count, groups)).Sum(o => o.Shape.ElementCount);
}

/// <summary>Adam over n tensors (the ONNX ai.onnx.preview.training Adam operator): inputs R, T, X1..Xn, G1..Gn, V1..Vn,
/// H1..Hn; outputs X1'..Xn', V1'..Vn', H1'..Hn'. Each run copies X, V, H into the outputs and applies the fused AdamStep
/// there in <see cref="OptimizerMode.DecayedRate"/> mode, with the learning rate and step count read from R and T. Alpha/Beta
/// of the operator are <see cref="AdamParams.Beta1"/>/<see cref="AdamParams.Beta2"/>; <see cref="AdamParams.LearningRate"/>
/// and <see cref="AdamParams.Step"/> are replaced by R and T. No gradient.</summary>
public sealed class AdamStepGraphOp(AdamParams p) : GraphOp
{
    private static readonly string[] Groups = { "X", "G", "V", "H" };

    /// <inheritdoc/>
    public override string Kind => "AdamStep";
    /// <inheritdoc/>
    public override bool IsOptimizerStep => true;
    /// <inheritdoc/>
    public override string Describe() => $"AdamStep[alpha {p.Beta1}, beta {p.Beta2}, eps {p.Epsilon}, norm {p.WeightDecay}, post {p.NormCoefficientPost}]";

    private AdamParams With(float r, long t) => p with { LearningRate = r, Step = t, Mode = OptimizerMode.DecayedRate };

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        int n = OptimizerStepLayout.Validate(node, inputs, Groups);
        ShapeRules.CheckAdam(node, With(0f, 0));
        return OptimizerStepLayout.Outputs(inputs, Groups.Length, n);
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        var (r, t) = OptimizerStepLayout.Scalars(inputs);
        var step = With(r, t);
        ShapeRules.CheckAdam(ctx.NodeName(Kind), step);
        int n = OptimizerStepLayout.Count(inputs.Count, Groups.Length);
        for (int i = 0; i < n; i++)
        {
            Tensor x = outputs[i], v = outputs[n + i], h = outputs[2 * n + i];
            ctx.Kernels.Copy(inputs[2 + i]!, x);
            ctx.Kernels.Copy(inputs[2 + 2 * n + i]!, v);
            ctx.Kernels.Copy(inputs[2 + 3 * n + i]!, h);
            ctx.Kernels.AdamStep(x, inputs[2 + n + i]!, v, h, step);
        }
    }

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[node.Inputs.Count];

    /// <inheritdoc/>
    public override double Flops(Node node) => 12.0 * OptimizerStepLayout.Elements(node, Groups.Length);
}

/// <summary>Momentum over n tensors (the ONNX ai.onnx.preview.training Momentum operator): inputs R, T, X1..Xn,
/// G1..Gn, V1..Vn; outputs X1'..Xn', V1'..Vn'. Each run copies X and V into the outputs and applies the fused
/// MomentumStep there in <see cref="OptimizerMode.DecayedRate"/> mode (operator alpha = <see cref="MomentumParams.Momentum"/>,
/// beta = 1 − <see cref="MomentumParams.Dampening"/>, mode "nesterov" = <see cref="MomentumParams.Nesterov"/>,
/// norm_coefficient = <see cref="MomentumParams.WeightDecay"/>); the learning rate and step count come from R and T.
/// No gradient.</summary>
public sealed class MomentumStepGraphOp(MomentumParams p) : GraphOp
{
    private static readonly string[] Groups = { "X", "G", "V" };

    /// <inheritdoc/>
    public override string Kind => "MomentumStep";
    /// <inheritdoc/>
    public override bool IsOptimizerStep => true;
    /// <inheritdoc/>
    public override string Describe() => $"MomentumStep[alpha {p.Momentum}, beta {1 - p.Dampening}, norm {p.WeightDecay}{(p.Nesterov ? ", nesterov" : "")}]";

    private MomentumParams With(float r, long t) => p with { LearningRate = r, Step = t, Mode = OptimizerMode.DecayedRate };

    /// <inheritdoc/>
    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        int n = OptimizerStepLayout.Validate(node, inputs, Groups);
        ShapeRules.CheckMomentum(node, With(0f, 0));
        return OptimizerStepLayout.Outputs(inputs, Groups.Length, n);
    }

    /// <inheritdoc/>
    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        var (r, t) = OptimizerStepLayout.Scalars(inputs);
        var step = With(r, t);
        ShapeRules.CheckMomentum(ctx.NodeName(Kind), step);
        int n = OptimizerStepLayout.Count(inputs.Count, Groups.Length);
        for (int i = 0; i < n; i++)
        {
            Tensor x = outputs[i], v = outputs[n + i];
            ctx.Kernels.Copy(inputs[2 + i]!, x);
            ctx.Kernels.Copy(inputs[2 + 2 * n + i]!, v);
            ctx.Kernels.MomentumStep(x, inputs[2 + n + i]!, v, step);
        }
    }

    /// <inheritdoc/>
    public override Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) => new Value?[node.Inputs.Count];

    /// <inheritdoc/>
    public override double Flops(Node node) => 5.0 * OptimizerStepLayout.Elements(node, Groups.Length);
}
