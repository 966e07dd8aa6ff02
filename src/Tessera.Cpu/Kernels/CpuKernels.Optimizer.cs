using Tessera.Cpu.Kernels.Optimizer;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Fused optimizer steps: the hyper-parameters of each mode are folded into the coefficients of one math
/// struct (see Optimizer/OptimizerMath.cs) on the host in double, then one vectorised pass updates parameter and
/// state in place. Strided parameters or states are stepped in pooled contiguous copies and written back.</summary>
internal sealed unsafe partial class CpuKernels : IOptimizerKernels
{
    public void SgdStep(Tensor param, Tensor grad, SgdParams p) =>
        RunStep(new SgdMath(p.LearningRate, p.WeightDecay), param, grad, null, null);

    public void MomentumStep(Tensor param, Tensor grad, Tensor velocity, MomentumParams p)
    {
        double lr = p.LearningRate, mu = p.Momentum, wd = p.WeightDecay;
        MomentumMath math;
        if (p.Mode == OptimizerMode.PyTorch)
        {
            // First step: buf = d_p (decay 0, scale 1); then buf = μ·buf + (1 − dampening)·d_p.
            bool first = p.Step <= 1;
            math = new MomentumMath((float)lr, (float)wd, first ? 0f : (float)mu, first ? 1f : (float)(1 - (double)p.Dampening), (float)mu, p.Nesterov);
        }
        else
        {
            // ONNX Momentum: alpha = momentum, beta = 1 − dampening (1 when T = 0), R decayed by 1 + T·decay_factor.
            double r = lr / (1 + p.Step * (double)p.DecayFactor);
            double beta = p.Step > 0 ? 1 - (double)p.Dampening : 1;
            math = new MomentumMath((float)r, (float)wd, (float)mu, (float)beta, (float)mu, p.Nesterov);
        }
        RunStep(math, param, grad, velocity, null);
    }

    public void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamParams p)
    {
        double lr = p.LearningRate, b1 = p.Beta1, b2 = p.Beta2, wd = p.WeightDecay;
        AdamMath math;
        if (p.Mode == OptimizerMode.PyTorch)
        {
            double bc1 = 1 - Math.Pow(b1, p.Step), bc2 = 1 - Math.Pow(b2, p.Step);
            math = new AdamMath(
                l2: p.Decoupled ? 0f : (float)wd,
                pre: p.Decoupled ? (float)(1 - lr * wd) : 1f,
                b1: p.Beta1, b2: p.Beta2,
                c2: (float)(1 / Math.Sqrt(bc2)), eps: p.Epsilon,
                step: (float)(lr / bc1), post: 1f);
        }
        else
        {
            long t = p.Step;
            double r = lr / (1 + t * (double)p.DecayFactor);
            double rAdj = t > 0 ? r * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t)) : r;
            math = new AdamMath(l2: (float)wd, pre: 1f, b1: p.Beta1, b2: p.Beta2, c2: 1f, eps: p.Epsilon,
                step: (float)rAdj, post: (float)(1 - (double)p.NormCoefficientPost));
        }
        RunStep(math, param, grad, m, v);
    }

    /// <summary>Runs one update over param/grad/states. Contiguous operands are updated where they are; strided ones go
    /// through pooled contiguous copies (written back afterwards).</summary>
    private void RunStep<TMath>(TMath math, Tensor param, Tensor grad, Tensor? s1, Tensor? s2) where TMath : struct, IOptimizerMath
    {
        long n = param.ElementCount;
        if (n == 0) return;
        using var g = grad.Contiguous();
        using var pw = param.Contiguous();
        using var s1w = s1?.Contiguous();
        using var s2w = s2?.Contiguous();
        OptimizerBody<TMath>.Run(math, pw.F32(), g.F32(), s1w is null ? null : s1w.F32(), s2w is null ? null : s2w.F32(), n, Threads);
        if (!param.IsContiguous) Copy(pw, param);
        if (s1 is { IsContiguous: false }) Copy(s1w!, s1);
        if (s2 is { IsContiguous: false }) Copy(s2w!, s2);
    }
}
