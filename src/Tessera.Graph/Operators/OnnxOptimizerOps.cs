using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Shared input layout of the ONNX training-domain optimizer ops: R (learning rate, float32 scalar),
/// T (steps already taken, int64 scalar), then <c>groups</c> lists of n float32 tensors each (X..., G..., then the
/// states), all tensors of one index alike in shape. Outputs: the new X... and the new states, in input order.</summary>
internal static class OnnxOptimizerLayout
{
    public static int Count(string node, IReadOnlyList<Value> inputs, int groups, string[] names)
    {
        if (inputs.Count < 2 + groups || (inputs.Count - 2) % groups != 0)
            throw new TesseraArgumentException(node, "inputs", $"expected R, T and {groups}·n tensors ({string.Join(", ", names)} for each of n ≥ 1 tensors), got {inputs.Count} inputs");
        int n = (inputs.Count - 2) / groups;
        var r = inputs[0];
        if (r.DType != DType.Float32 || r.Shape.ElementCount != 1)
            throw new TesseraDTypeException(node, "R", $"the learning rate must be a float32 scalar, got {r}");
        var t = inputs[1];
        if (t.DType != DType.Int64 || t.Shape.ElementCount != 1)
            throw new TesseraDTypeException(node, "T", $"the step count must be an int64 scalar, got {t}");
        for (int g = 0; g < groups; g++)
            for (int i = 0; i < n; i++)
            {
                var v = inputs[2 + g * n + i];
                string name = $"{names[g]}{i + 1}";
                GraphChecks.Float32(node, v, name);
                if (v.Shape != inputs[2 + i].Shape) throw new TesseraShapeException(node, name, $"{v} must have the shape of {inputs[2 + i]}");
            }
        return n;
    }

    /// <summary>Specs of X... and of each state group (all groups but the gradients).</summary>
    public static OutputSpec[] Outputs(IReadOnlyList<Value> inputs, int groups, int n)
    {
        var specs = new List<OutputSpec>();
        for (int g = 0; g < groups; g++)
        {
            if (g == 1) continue; // gradients are not outputs
            for (int i = 0; i < n; i++) specs.Add(new OutputSpec(inputs[2 + g * n + i].Shape, DType.Float32));
        }
        return specs.ToArray();
    }

    /// <summary>R and T read from their tensors at run time.</summary>
    public static (float R, long T) Scalars(IReadOnlyList<Tensor?> inputs) => (inputs[0]!.Item<float>(), inputs[1]!.Item<long>());
}

/// <summary>ONNX Adam (ai.onnx.preview.training): inputs R, T, X1..Xn, G1..Gn, V1..Vn, H1..Hn; outputs X1'..Xn',
/// V1'..Vn', H1'..Hn'. Each run copies X, V, H into the outputs and applies the fused AdamStep in ONNX mode there, with
/// the learning rate and step count read from R and T. Alpha/Beta of the operator are <see cref="AdamParams.Beta1"/>/
/// <see cref="AdamParams.Beta2"/>; <see cref="AdamParams.LearningRate"/> and <see cref="AdamParams.Step"/> are
/// replaced by R and T. No gradient.</summary>
public sealed class AdamGraphOp(AdamParams p) : GraphOp
{
    private static readonly string[] Names = { "X", "G", "V", "H" };
    private string _node = "Adam";
    private int _n;

    public override string Kind => "Adam";
    public override string Describe() => $"Adam[alpha {p.Beta1}, beta {p.Beta2}, eps {p.Epsilon}, norm {p.WeightDecay}, post {p.NormCoefficientPost}]";

    private AdamParams With(float r, long t) => p with { LearningRate = r, Step = t, Mode = OptimizerMode.Onnx };

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        _node = node;
        _n = OnnxOptimizerLayout.Count(node, inputs, 4, Names);
        ShapeRules.CheckAdam(node, With(0f, 0));
        return OnnxOptimizerLayout.Outputs(inputs, 4, _n);
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        var (r, t) = OnnxOptimizerLayout.Scalars(inputs);
        var step = With(r, t);
        ShapeRules.CheckAdam(_node, step);
        int n = _n;
        for (int i = 0; i < n; i++)
        {
            Tensor x = outputs[i], v = outputs[n + i], h = outputs[2 * n + i];
            ctx.Kernels.Copy(inputs[2 + i]!, x);
            ctx.Kernels.Copy(inputs[2 + 2 * n + i]!, v);
            ctx.Kernels.Copy(inputs[2 + 3 * n + i]!, h);
            ctx.Kernels.AdamStep(x, inputs[2 + n + i]!, v, h, step);
        }
    }

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) => new Value?[n.Inputs.Count];

    public override double Flops(Node n) => 12.0 * n.Outputs.Take(_n).Sum(o => o.Shape.ElementCount);
}

/// <summary>ONNX Momentum (ai.onnx.preview.training): inputs R, T, X1..Xn, G1..Gn, V1..Vn; outputs X1'..Xn', V1'..Vn'.
/// Each run copies X and V into the outputs and applies the fused MomentumStep in ONNX mode there (operator alpha =
/// <see cref="MomentumParams.Momentum"/>, beta = 1 − <see cref="MomentumParams.Dampening"/>, mode "nesterov" =
/// <see cref="MomentumParams.Nesterov"/>, norm_coefficient = <see cref="MomentumParams.WeightDecay"/>); the learning
/// rate and step count come from R and T. No gradient.</summary>
public sealed class MomentumGraphOp(MomentumParams p) : GraphOp
{
    private static readonly string[] Names = { "X", "G", "V" };
    private string _node = "Momentum";
    private int _n;

    public override string Kind => "Momentum";
    public override string Describe() => $"Momentum[alpha {p.Momentum}, beta {1 - p.Dampening}, norm {p.WeightDecay}{(p.Nesterov ? ", nesterov" : "")}]";

    private MomentumParams With(float r, long t) => p with { LearningRate = r, Step = t, Mode = OptimizerMode.Onnx };

    public override OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        _node = node;
        _n = OnnxOptimizerLayout.Count(node, inputs, 3, Names);
        ShapeRules.CheckMomentum(node, With(0f, 0));
        return OnnxOptimizerLayout.Outputs(inputs, 3, _n);
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        var (r, t) = OnnxOptimizerLayout.Scalars(inputs);
        var step = With(r, t);
        ShapeRules.CheckMomentum(_node, step);
        int n = _n;
        for (int i = 0; i < n; i++)
        {
            Tensor x = outputs[i], v = outputs[n + i];
            ctx.Kernels.Copy(inputs[2 + i]!, x);
            ctx.Kernels.Copy(inputs[2 + 2 * n + i]!, v);
            ctx.Kernels.MomentumStep(x, inputs[2 + n + i]!, v, step);
        }
    }

    public override Value?[] Backward(GraphBuilder g, Node n, IReadOnlyList<Value?> dOut) => new Value?[n.Inputs.Count];

    public override double Flops(Node n) => 5.0 * n.Outputs.Take(_n).Sum(o => o.Shape.ElementCount);
}
