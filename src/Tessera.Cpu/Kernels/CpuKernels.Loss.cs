using System.Numerics.Tensors;
using Tessera.Cpu.Kernels.Reduction;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Cross-entropy from logits (fused log-softmax + NLL, PyTorch's label smoothing) and mean squared error,
/// forward and backward. Per-sample work is parallel over rows; the final sum over samples is done in double.</summary>
internal sealed unsafe partial class CpuKernels
{
    public void CrossEntropy(Tensor logits, Tensor target, Tensor loss, CrossEntropyParams p)
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        using var xcLease = TensorLease.Dense(logits);
        var xc = xcLease.Tensor;
        using var tcLease = TensorLease.Dense(target);
        var tc = tcLease.Tensor;
        bool indices = target.DType == DType.Int64;
        long count = indices ? CountTargets(tc, n, c, p.IgnoreIndex) : n;
        using var scratch = p.Reduction == LossReduction.None ? null : Scratch(DType.Float32, n);
        float* pp = scratch is null ? loss.F32() : scratch.F32();
        var st = (x: (nint)xc.F32(), t: (nint)tc.Address, per: (nint)pp, c, indices, p);
        CpuParallel.For(n, Threads, Math.Max(1, ElementLoop.Grain / Math.Max(1, c)), st, static (s, r0, r1) =>
        {
            float eps = s.p.LabelSmoothing;
            for (long r = r0; r < r1; r++)
            {
                float* xr = (float*)s.x + r * s.c;
                float l;
                if (s.indices && ((long*)s.t)[r] == s.p.IgnoreIndex) l = 0f;
                else
                {
                    // Written around the row maximum m (lse = m + log s) so that large logits do not cancel.
                    float m = RowReduce.Run(new MaxReduce(), xr, s.c);
                    float logS = MathF.Log(RowReduce.Run(new ExpShiftMath(m), new SumReduce(), xr, null, s.c));
                    float lse = m + logS;
                    float sumX = eps != 0f ? RowReduce.Run(new SumReduce(), xr, s.c) : 0f;
                    if (s.indices)
                        l = logS + (1f - eps) * (m - xr[((long*)s.t)[r]]) + (eps != 0f ? eps * (m - sumX / s.c) : 0f);
                    else
                    {
                        var pr = new ReadOnlySpan<float>((float*)s.t + r * s.c, s.c);
                        var xs = new ReadOnlySpan<float>(xr, s.c);
                        float sumQ = (1f - eps) * TensorPrimitives.Sum(pr) + eps;
                        float sumQx = (1f - eps) * TensorPrimitives.Dot(pr, xs) + eps / s.c * sumX;
                        l = lse * sumQ - sumQx;
                    }
                }
                ((float*)s.per)[r] = l;
            }
        });
        if (p.Reduction == LossReduction.None) return;
        double total = 0;
        for (int i = 0; i < n; i++) total += pp[i];
        loss.F32()[0] = (float)(p.Reduction == LossReduction.Mean ? total / count : total);
    }

    public void CrossEntropyBackward(Tensor logits, Tensor target, Tensor dloss, Tensor dlogits, CrossEntropyParams p)
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        using var xcLease = TensorLease.Dense(logits);
        var xc = xcLease.Tensor;
        using var tcLease = TensorLease.Dense(target);
        var tc = tcLease.Tensor;
        using var gcLease = TensorLease.Dense(dloss);
        var gc = gcLease.Tensor;
        bool indices = target.DType == DType.Int64;
        long count = indices ? CountTargets(tc, n, c, p.IgnoreIndex) : n;
        float scale = p.Reduction == LossReduction.Mean ? 1f / count : 1f;
        var st = (x: (nint)xc.F32(), t: (nint)tc.Address, g: (nint)gc.F32(), dx: (nint)dlogits.F32(), c, indices, p, scale);
        CpuParallel.For(n, Threads, Math.Max(1, ElementLoop.Grain / Math.Max(1, c)), st, static (s, r0, r1) =>
        {
            float eps = s.p.LabelSmoothing;
            for (long r = r0; r < r1; r++)
            {
                float* xr = (float*)s.x + r * s.c, dxr = (float*)s.dx + r * s.c;
                float g = (s.p.Reduction == LossReduction.None ? ((float*)s.g)[r] : ((float*)s.g)[0]) * s.scale;
                if (s.indices && ((long*)s.t)[r] == s.p.IgnoreIndex) { new Span<float>(dxr, s.c).Clear(); continue; }
                float m = RowReduce.Run(new MaxReduce(), xr, s.c);
                float sum = RowReduce.Run(new ExpShiftMath(m), new SumReduce(), xr, null, s.c);
                if (s.indices)
                {
                    Drivers.Map(new CrossEntropyIndexGradMath(m, 1f / sum, g, eps / s.c), xr, dxr, s.c);
                    dxr[((long*)s.t)[r]] -= g * (1f - eps);
                }
                else
                {
                    float* pr = (float*)s.t + r * s.c;
                    float sumQ = (1f - eps) * TensorPrimitives.Sum(new ReadOnlySpan<float>(pr, s.c)) + eps;
                    Drivers.Map(new CrossEntropyProbGradMath(m, sumQ / sum, g, 1f - eps, eps / s.c), xr, pr, dxr, s.c);
                }
            }
        });
    }

    /// <summary>Counts the samples that are not ignored, refusing class indices outside [0, C) before any row is read.</summary>
    private static long CountTargets(Tensor target, int n, int c, long ignore)
    {
        long* t = target.I64();
        long count = 0;
        for (int i = 0; i < n; i++)
        {
            if (t[i] == ignore) continue;
            if (t[i] < 0 || t[i] >= c)
                throw new TesseraArgumentException("CrossEntropy", "target", $"class index {t[i]} of sample {i} is outside [0, {c}) (logits [{n}, {c}])");
            count++;
        }
        return count;
    }

    public void MseLoss(Tensor a, Tensor b, Tensor loss, LossReduction reduction)
    {
        if (reduction == LossReduction.None) { Drivers.Binary(new SquaredDiffMath(), a, b, loss, Threads); return; }
        using var sq = Scratch(DType.Float32, a.Shape.ToArray());
        Drivers.Binary(new SquaredDiffMath(), a, b, sq, Threads);
        var dims = new[] { checked((int)a.ElementCount) };
        ReduceEngine.Run(reduction == LossReduction.Mean ? ReduceOp.Mean : ReduceOp.Sum, sq.F32(), dims, new[] { true }, loss.F32(), Threads);
    }

    public void MseLossBackward(Tensor a, Tensor b, Tensor dloss, Tensor da, LossReduction reduction)
    {
        if (reduction == LossReduction.None) { Drivers.Ternary(new MseGradMath(), a, b, dloss, da, Threads); return; }
        float g = dloss.F32()[0];
        float scale = 2f * g * (reduction == LossReduction.Mean ? 1f / a.ElementCount : 1f);
        Drivers.Binary(new ScaledDiffMath(scale), a, b, da, Threads);
    }
}
