using Tessera.Kernels;

namespace Tessera.Gpu.Kernels;

/// <summary>Fused optimizer launchers (kernels/portable/optimizer.h). Each mode's hyper-parameters are folded on the
/// host, in double, into the coefficients of one per-element formula per optimizer — the same folding as
/// CpuKernels.Optimizer.cs, so both backends run the same float math. Parameter, gradient and state go in as views and
/// are updated in place through them (strided tensors need no copies).</summary>
public partial class GpuKernels : IOptimizerKernels
{
    private const string Optimizer = "optimizer";

    /// <inheritdoc/>
    public void SgdStep(Tensor param, Tensor grad, SgdParams p)
    {
        const string op = "SgdStep";
        long n = param.ElementCount;
        LaunchElements(Optimizer, "sgd_step_f32", n, Flat(param, param.Shape, op), Flat(grad, param.Shape, op),
            GpuArg.F32(p.LearningRate), GpuArg.F32(p.WeightDecay), GpuArg.I64(n));
    }

    /// <inheritdoc/>
    public void MomentumStep(Tensor param, Tensor grad, Tensor velocity, MomentumParams p)
    {
        const string op = "MomentumStep";
        double lr = p.LearningRate, mu = p.Momentum;
        float rate, decay, scale;
        if (p.Mode == OptimizerMode.PyTorch)
        {
            // First step: v = g' (decay 0, scale 1); then v = μ·v + (1 − dampening)·g'.
            bool first = p.Step <= 1;
            rate = (float)lr;
            decay = first ? 0f : (float)mu;
            scale = first ? 1f : (float)(1 - (double)p.Dampening);
        }
        else
        {
            // ONNX Momentum: alpha = momentum, beta = 1 − dampening (1 when T = 0), R decayed by 1 + T·decay_factor.
            rate = (float)(lr / (1 + p.Step * (double)p.DecayFactor));
            decay = (float)mu;
            scale = p.Step > 0 ? (float)(1 - (double)p.Dampening) : 1f;
        }
        long n = param.ElementCount;
        LaunchElements(Optimizer, "momentum_step_f32", n, Flat(param, param.Shape, op), Flat(grad, param.Shape, op),
            Flat(velocity, param.Shape, op), GpuArg.F32(rate), GpuArg.F32(p.WeightDecay), GpuArg.F32(decay), GpuArg.F32(scale),
            GpuArg.F32((float)mu), GpuArg.I32(p.Nesterov ? 1 : 0), GpuArg.I64(n));
    }

    /// <inheritdoc/>
    public void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamParams p)
    {
        const string op = "AdamStep";
        double lr = p.LearningRate, b1 = p.Beta1, b2 = p.Beta2, wd = p.WeightDecay;
        float l2, pre, c2, step, post;
        if (p.Mode == OptimizerMode.PyTorch)
        {
            double bc1 = 1 - Math.Pow(b1, p.Step), bc2 = 1 - Math.Pow(b2, p.Step);
            l2 = p.Decoupled ? 0f : (float)wd;
            pre = p.Decoupled ? (float)(1 - lr * wd) : 1f;
            c2 = (float)(1 / Math.Sqrt(bc2));
            step = (float)(lr / bc1);
            post = 1f;
        }
        else
        {
            long t = p.Step;
            double r = lr / (1 + t * (double)p.DecayFactor);
            l2 = (float)wd;
            pre = 1f;
            c2 = 1f;
            step = (float)(t > 0 ? r * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t)) : r);
            post = (float)(1 - (double)p.NormCoefficientPost);
        }
        long n = param.ElementCount;
        LaunchElements(Optimizer, "adam_step_f32", n, Flat(param, param.Shape, op), Flat(grad, param.Shape, op),
            Flat(m, param.Shape, op), Flat(v, param.Shape, op), GpuArg.F32(l2), GpuArg.F32(pre), GpuArg.F32(p.Beta1),
            GpuArg.F32(1f - p.Beta1), GpuArg.F32(p.Beta2), GpuArg.F32(1f - p.Beta2), GpuArg.F32(c2), GpuArg.F32(p.Epsilon),
            GpuArg.F32(step), GpuArg.F32(post), GpuArg.I64(n));
    }
}
