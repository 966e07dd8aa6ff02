using Tessera.Kernels;

namespace Tessera.Reference;

/// <summary>Reference optimizer steps: element by element in double, written as the formulas are published
/// (torch.optim.SGD/Adam/AdamW and the ONNX ai.onnx.preview.training Momentum/Adam operators). Each returns new
/// tensors; the inputs are not modified.</summary>
public static class RefOptimizer
{
    /// <summary>p ← p − lr·(g + wd·p).</summary>
    public static RefTensor SgdStep(RefTensor param, RefTensor grad, SgdParams p)
    {
        var x = param.Clone();
        for (int i = 0; i < x.Length; i++)
        {
            double g = grad.Data[i] + (double)p.WeightDecay * param.Data[i];
            x.Data[i] = param.Data[i] - (double)p.LearningRate * g;
        }
        return x;
    }

    /// <summary>Momentum SGD, PyTorch or ONNX formulas (see <see cref="MomentumParams"/>).</summary>
    public static (RefTensor Param, RefTensor Velocity) MomentumStep(RefTensor param, RefTensor grad, RefTensor velocity, MomentumParams p)
    {
        var xNew = param.Clone();
        var vNew = velocity.Clone();
        double lr = p.LearningRate, mu = p.Momentum, damp = p.Dampening, wd = p.WeightDecay;
        for (int i = 0; i < xNew.Length; i++)
        {
            double x = param.Data[i], g = grad.Data[i], v = velocity.Data[i];
            if (p.Mode == OptimizerMode.PyTorch)
            {
                // torch.optim.SGD: d_p = g + wd·p; buf = d_p on the first step, else μ·buf + (1−dampening)·d_p.
                double dp = g + wd * x;
                double buf = p.Step <= 1 ? dp : mu * v + (1 - damp) * dp;
                double dir = p.Nesterov ? dp + mu * buf : buf;
                xNew.Data[i] = x - lr * dir;
                vNew.Data[i] = buf;
            }
            else
            {
                // ONNX Momentum: R decayed by DecayFactor over T; beta = 1 − dampening, replaced by 1 when T = 0.
                long t = p.Step;
                double r = lr / (1 + t * (double)p.DecayFactor);
                double alpha = mu, beta = 1 - damp;
                double gReg = wd * x + g;
                double betaAdj = t > 0 ? beta : 1;
                double vn = alpha * v + betaAdj * gReg;
                xNew.Data[i] = p.Nesterov ? x - r * (gReg + alpha * vn) : x - r * vn;
                vNew.Data[i] = vn;
            }
        }
        return (xNew, vNew);
    }

    /// <summary>Adam / AdamW (PyTorch) or the ONNX Adam operator (see <see cref="AdamParams"/>).</summary>
    public static (RefTensor Param, RefTensor M, RefTensor V) AdamStep(RefTensor param, RefTensor grad, RefTensor m, RefTensor v, AdamParams p)
    {
        var xNew = param.Clone();
        var mNew = m.Clone();
        var vNew = v.Clone();
        double lr = p.LearningRate, b1 = p.Beta1, b2 = p.Beta2, eps = p.Epsilon, wd = p.WeightDecay;
        for (int i = 0; i < xNew.Length; i++)
        {
            double x = param.Data[i], g = grad.Data[i], mi = m.Data[i], vi = v.Data[i];
            if (p.Mode == OptimizerMode.PyTorch)
            {
                long t = p.Step;
                if (p.Decoupled) x *= 1 - lr * wd;       // AdamW
                else g += wd * x;                        // Adam with L2 penalty
                mi = b1 * mi + (1 - b1) * g;
                vi = b2 * vi + (1 - b2) * g * g;
                double bc1 = 1 - Math.Pow(b1, t), bc2 = 1 - Math.Pow(b2, t);
                double stepSize = lr / bc1;
                double denom = Math.Sqrt(vi) / Math.Sqrt(bc2) + eps;
                x -= stepSize * mi / denom;
            }
            else
            {
                long t = p.Step;
                double r = lr / (1 + t * (double)p.DecayFactor);
                double gReg = wd * x + g;
                mi = b1 * mi + (1 - b1) * gReg;
                vi = b2 * vi + (1 - b2) * gReg * gReg;
                double hSqrt = Math.Sqrt(vi) + eps;
                double rAdj = t > 0 ? r * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t)) : r;
                x = x - rAdj * (mi / hSqrt);
                x *= 1 - (double)p.NormCoefficientPost;
            }
            xNew.Data[i] = x;
            mNew.Data[i] = mi;
            vNew.Data[i] = vi;
        }
        return (xNew, mNew, vNew);
    }
}
