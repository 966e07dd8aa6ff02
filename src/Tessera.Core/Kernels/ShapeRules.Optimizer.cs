namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>One SGD step: Float32 param and grad of one shape; hyper-parameters per <see cref="CheckSgd"/>.</summary>
    public static void SgdStep(string op, TensorSpec param, TensorSpec grad, SgdParams p)
    {
        OptimizerTensors(op, ("param", param), ("grad", grad));
        CheckSgd(op, p);
    }

    /// <summary>One momentum-SGD step: Float32 param, grad and velocity of one shape; hyper-parameters per
    /// <see cref="CheckMomentum"/>.</summary>
    public static void MomentumStep(string op, TensorSpec param, TensorSpec grad, TensorSpec velocity, MomentumParams p)
    {
        OptimizerTensors(op, ("param", param), ("grad", grad), ("velocity", velocity));
        CheckMomentum(op, p);
    }

    /// <summary>One Adam/AdamW step: Float32 param, grad, m and v of one shape; hyper-parameters per <see cref="CheckAdam"/>.</summary>
    public static void AdamStep(string op, TensorSpec param, TensorSpec grad, TensorSpec m, TensorSpec v, AdamParams p)
    {
        OptimizerTensors(op, ("param", param), ("grad", grad), ("m", m), ("v", v));
        CheckAdam(op, p);
    }

    /// <summary>The tensors of one optimizer step, named: the parameter, its gradient, then the states. All are Float32
    /// of the parameter's shape.</summary>
    public static void OptimizerTensors(string op, params (string Name, TensorSpec Spec)[] tensors)
    {
        var (pName, param) = tensors[0];
        var (gName, grad) = tensors[1];
        Check.Float32(op, pName, param);
        Check.Float32(op, gName, grad);
        if (grad.Shape != param.Shape)
            throw new TesseraShapeException(op, gName, $"shape {grad.Shape} differs from {pName} {param.Shape}");
        for (int i = 2; i < tensors.Length; i++)
        {
            var (name, s) = tensors[i];
            if (s.DType != DType.Float32)
                throw new TesseraDTypeException(op, name, $"optimizer state must be Float32 like {pName}, got {s.DType} (shape {s.Shape})");
            if (s.Shape != param.Shape)
                throw new TesseraShapeException(op, name, $"optimizer state shape {s.Shape} differs from {pName} {param.Shape}");
        }
    }

    /// <summary>Throws a <see cref="TesseraArgumentException"/> naming <paramref name="op"/> when an SGD
    /// hyper-parameter is not finite or out of range.</summary>
    public static void CheckSgd(string op, SgdParams p)
    {
        Check.NonNegativeFinite(op, nameof(p.LearningRate), p.LearningRate);
        Check.Finite(op, nameof(p.WeightDecay), p.WeightDecay);
    }

    /// <summary>Hyper-parameter rules of momentum SGD (PyTorch: Step ≥ 1, Nesterov needs momentum &gt; 0 and no
    /// dampening; ONNX: Step = T ≥ 0, DecayFactor ≥ 0).</summary>
    public static void CheckMomentum(string op, MomentumParams p)
    {
        Check.NonNegativeFinite(op, nameof(p.LearningRate), p.LearningRate);
        Check.NonNegativeFinite(op, nameof(p.Momentum), p.Momentum);
        Check.Finite(op, nameof(p.Dampening), p.Dampening);
        Check.Finite(op, nameof(p.WeightDecay), p.WeightDecay);
        Check.NonNegativeFinite(op, nameof(p.DecayFactor), p.DecayFactor);
        if (p.Mode == OptimizerMode.PyTorch)
        {
            if (p.Step < 1) throw new TesseraArgumentException(op, nameof(p.Step), $"PyTorch mode counts steps from 1, got {p.Step}");
            if (p.Nesterov && (p.Momentum <= 0 || p.Dampening != 0))
                throw new TesseraArgumentException(op, nameof(p.Nesterov), $"Nesterov momentum needs Momentum > 0 and Dampening = 0 (got {p.Momentum}, {p.Dampening})");
            if (p.DecayFactor != 0) throw new TesseraArgumentException(op, nameof(p.DecayFactor), "the learning-rate decay applies in DecayedRate mode only");
        }
        else if (p.Mode == OptimizerMode.DecayedRate)
        {
            if (p.Step < 0) throw new TesseraArgumentException(op, nameof(p.Step), $"DecayedRate mode's T (steps already taken) must be ≥ 0, got {p.Step}");
        }
        else throw new TesseraArgumentException(op, nameof(p.Mode), $"unknown mode {(int)p.Mode}");
    }

    /// <summary>Hyper-parameter rules of Adam/AdamW (PyTorch: Step ≥ 1; DecayedRate: Step = T ≥ 0, not decoupled).</summary>
    public static void CheckAdam(string op, AdamParams p)
    {
        Check.NonNegativeFinite(op, nameof(p.LearningRate), p.LearningRate);
        if (!(p.Beta1 >= 0 && p.Beta1 < 1)) throw new TesseraArgumentException(op, nameof(p.Beta1), $"must be in [0, 1), got {p.Beta1}");
        if (!(p.Beta2 >= 0 && p.Beta2 < 1)) throw new TesseraArgumentException(op, nameof(p.Beta2), $"must be in [0, 1), got {p.Beta2}");
        Check.NonNegativeFinite(op, nameof(p.Epsilon), p.Epsilon);
        Check.Finite(op, nameof(p.WeightDecay), p.WeightDecay);
        Check.NonNegativeFinite(op, nameof(p.DecayFactor), p.DecayFactor);
        Check.Finite(op, nameof(p.NormCoefficientPost), p.NormCoefficientPost);
        if (p.Mode == OptimizerMode.PyTorch)
        {
            if (p.Step < 1) throw new TesseraArgumentException(op, nameof(p.Step), $"PyTorch mode counts steps from 1, got {p.Step}");
            if (p.DecayFactor != 0 || p.NormCoefficientPost != 0)
                throw new TesseraArgumentException(op, p.DecayFactor != 0 ? nameof(p.DecayFactor) : nameof(p.NormCoefficientPost), "applies in DecayedRate mode only");
        }
        else if (p.Mode == OptimizerMode.DecayedRate)
        {
            if (p.Step < 0) throw new TesseraArgumentException(op, nameof(p.Step), $"DecayedRate mode's T (steps already taken) must be ≥ 0, got {p.Step}");
            if (p.Decoupled) throw new TesseraArgumentException(op, nameof(p.Decoupled), "DecayedRate mode has no decoupled weight decay (use NormCoefficientPost)");
        }
        else throw new TesseraArgumentException(op, nameof(p.Mode), $"unknown mode {(int)p.Mode}");
    }
}
