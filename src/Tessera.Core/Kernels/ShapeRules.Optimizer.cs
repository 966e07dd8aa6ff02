namespace Tessera.Kernels;

/// <summary>Shape inference and argument rules shared by the eager facade and the graph executor.</summary>
public static partial class ShapeRules
{
    /// <summary>Throws a <see cref="TesseraArgumentException"/> naming <paramref name="op"/> when an SGD
    /// hyper-parameter is not finite or out of range.</summary>
    public static void CheckSgd(string op, SgdParams p)
    {
        NonNegativeFinite(op, nameof(p.LearningRate), p.LearningRate);
        Check.Finite(op, nameof(p.WeightDecay), p.WeightDecay);
    }

    /// <summary>Hyper-parameter rules of momentum SGD (PyTorch: Step ≥ 1, Nesterov needs momentum &gt; 0 and no
    /// dampening; ONNX: Step = T ≥ 0, DecayFactor ≥ 0).</summary>
    public static void CheckMomentum(string op, MomentumParams p)
    {
        NonNegativeFinite(op, nameof(p.LearningRate), p.LearningRate);
        NonNegativeFinite(op, nameof(p.Momentum), p.Momentum);
        Check.Finite(op, nameof(p.Dampening), p.Dampening);
        Check.Finite(op, nameof(p.WeightDecay), p.WeightDecay);
        NonNegativeFinite(op, nameof(p.DecayFactor), p.DecayFactor);
        if (p.Mode == OptimizerMode.PyTorch)
        {
            if (p.Step < 1) throw new TesseraArgumentException(op, nameof(p.Step), $"PyTorch mode counts steps from 1, got {p.Step}");
            if (p.Nesterov && (p.Momentum <= 0 || p.Dampening != 0))
                throw new TesseraArgumentException(op, nameof(p.Nesterov), $"Nesterov momentum needs Momentum > 0 and Dampening = 0 (got {p.Momentum}, {p.Dampening})");
            if (p.DecayFactor != 0) throw new TesseraArgumentException(op, nameof(p.DecayFactor), "the learning-rate decay applies in ONNX mode only");
        }
        else if (p.Mode == OptimizerMode.Onnx)
        {
            if (p.Step < 0) throw new TesseraArgumentException(op, nameof(p.Step), $"ONNX mode's T (steps already taken) must be ≥ 0, got {p.Step}");
        }
        else throw new TesseraArgumentException(op, nameof(p.Mode), $"unknown mode {(int)p.Mode}");
    }

    /// <summary>Hyper-parameter rules of Adam/AdamW (PyTorch: Step ≥ 1; ONNX: Step = T ≥ 0, not decoupled).</summary>
    public static void CheckAdam(string op, AdamParams p)
    {
        NonNegativeFinite(op, nameof(p.LearningRate), p.LearningRate);
        if (!(p.Beta1 >= 0 && p.Beta1 < 1)) throw new TesseraArgumentException(op, nameof(p.Beta1), $"must be in [0, 1), got {p.Beta1}");
        if (!(p.Beta2 >= 0 && p.Beta2 < 1)) throw new TesseraArgumentException(op, nameof(p.Beta2), $"must be in [0, 1), got {p.Beta2}");
        NonNegativeFinite(op, nameof(p.Epsilon), p.Epsilon);
        Check.Finite(op, nameof(p.WeightDecay), p.WeightDecay);
        NonNegativeFinite(op, nameof(p.DecayFactor), p.DecayFactor);
        Check.Finite(op, nameof(p.NormCoefficientPost), p.NormCoefficientPost);
        if (p.Mode == OptimizerMode.PyTorch)
        {
            if (p.Step < 1) throw new TesseraArgumentException(op, nameof(p.Step), $"PyTorch mode counts steps from 1, got {p.Step}");
            if (p.DecayFactor != 0 || p.NormCoefficientPost != 0)
                throw new TesseraArgumentException(op, p.DecayFactor != 0 ? nameof(p.DecayFactor) : nameof(p.NormCoefficientPost), "applies in ONNX mode only");
        }
        else if (p.Mode == OptimizerMode.Onnx)
        {
            if (p.Step < 0) throw new TesseraArgumentException(op, nameof(p.Step), $"ONNX mode's T (steps already taken) must be ≥ 0, got {p.Step}");
            if (p.Decoupled) throw new TesseraArgumentException(op, nameof(p.Decoupled), "the ONNX Adam operator has no decoupled weight decay (use NormCoefficientPost)");
        }
        else throw new TesseraArgumentException(op, nameof(p.Mode), $"unknown mode {(int)p.Mode}");
    }

    private static void NonNegativeFinite(string op, string name, float value)
    {
        if (!float.IsFinite(value) || value < 0) throw new TesseraArgumentException(op, name, $"must be finite and ≥ 0, got {value}");
    }
}
