using System.Runtime.Intrinsics;
using System.Numerics.Tensors;
using Tessera.Cpu.Kernels.Conv;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels;

/// <summary>Depthwise convolution (one input and one output channel per group) as direct loops over kernel taps:
/// each tap is a scaled row update (<see cref="DepthwiseTaps"/>), or, forward with unit stride along W, a register
/// accumulation over a zero-padded copy of the plane. Forward, y holds the bias on entry and a fused epilogue
/// (residual, activation) is applied to each output row, or plane, once its taps are done (in L1).</summary>
internal sealed unsafe partial class CpuKernels
{
    private void DepthwiseForward<TAct>(in ConvGeometry g, float* x, float* w, float* y, int planes, int channels,
        EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        if (StridedVector.Supports(g.SW))
        {
            DepthwiseForwardPadded(g, x, w, y, planes, channels, epilogue);
            return;
        }
        DepthwiseTaps(g, x, w, y, planes, channels, backward: false, epilogue);
    }

    /// <summary>Runs <see cref="DepthwiseForward"/> with the activation functor <see cref="UnaryDispatch"/> picks.</summary>
    private readonly struct DepthwiseRun(CpuKernels k, ConvGeometry g, float* x, float* w, float* y, float* residual, int planes, int channels)
        : IUnaryMathVisitor
    {
        public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath =>
            k.DepthwiseForward(g, x, w, y, planes, channels, new EpilogueMath<TMath>(math, residual, y));
    }

    /// <summary>Stride 1 or 2 along W: each plane is copied into a zero-padded buffer so every tap is in bounds, then
    /// each run of 8 outputs accumulates all KH·KW taps in one register (y holds the bias on entry); a tap's 8 inputs
    /// are one load, or with stride 2 the even half of two (<see cref="StridedVector"/>). 3×3 and 5×5 windows keep their
    /// weights in registers (<see cref="DepthwiseRows"/>); other windows, and rows those leave, take the general loop.</summary>
    private void DepthwiseForwardPadded<TAct>(in ConvGeometry g, float* x, float* w, float* y, int planes, int channels,
        EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        int pw = (g.OW + 7) / 8 * 8 * g.SW + (g.KW - 1) * g.DW; // every load of every tap stays inside a row
        int ph = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1;    // rows any tap reads
        long grain = Math.Max(1, 16384 / Math.Max(1, g.P * g.KK));
        using var scratch = new SlotScratch(Device.Memory, CpuParallel.Slots(planes, Threads, grain), (long)pw * ph * sizeof(float));
        var st = (g, x: (nint)x, w: (nint)w, y: (nint)y, channels, pw, ph, scratch, epilogue);
        CpuParallel.ForSlots(planes, Threads, grain, st, static (s, p0, p1, slot) =>
        {
            var g = s.g;
            int pw = s.pw, ph = s.ph;
            float* pad = s.scratch[slot];
            for (long pl = p0; pl < p1; pl++)
            {
                float* xp = (float*)s.x + pl * g.HW, yp = (float*)s.y + pl * g.P, wp = (float*)s.w + (pl % s.channels) * g.KK;
                new Span<float>(pad, pw * ph).Clear();
                int copyW = Math.Min(g.W, pw - g.PL);
                for (int ih = 0; ih < g.H && ih + g.PT < ph; ih++)
                    if (copyW > 0) new ReadOnlySpan<float>(xp + (long)ih * g.W, copyW).CopyTo(new Span<float>(pad + (long)(ih + g.PT) * pw + g.PL, copyW));
                int oh = DepthwiseRows.Run(g, pad, pw, wp, yp, s.epilogue);
                for (; oh < g.OH; oh++)
                {
                    float* yrow = yp + oh * g.OW;
                    for (int ow = 0; ow < g.OW; ow += 8)
                    {
                        var acc = DepthwiseRows.Load(yrow + ow, g.OW - ow);
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            float* prow = pad + (long)(oh * g.SH + kh * g.DH) * pw + ow * g.SW;
                            float* wk = wp + kh * g.KW;
                            for (int kw = 0; kw < g.KW; kw++)
                                acc = Vector256.FusedMultiplyAdd(Vector256.Create(wk[kw]), StridedVector.Load(prow + kw * g.DW, g.SW), acc);
                        }
                        DepthwiseRows.Store(acc, yrow + ow, g.OW - ow);
                    }
                    if (s.epilogue.IsActive) s.epilogue.ApplyInPlace(yrow, g.OW);
                }
            }
        });
    }

    /// <summary>dx (cleared by the caller) += taps of dy.</summary>
    private void DepthwiseBackwardData(in ConvGeometry g, float* dy, float* w, float* dx, int planes, int channels) =>
        DepthwiseTaps(g, dx, w, dy, planes, channels, backward: true, default(EpilogueMath<IdentityMath>));

    /// <summary>Every tap of every output row of every plane as a scaled row update between an input-shaped plane
    /// (<paramref name="image"/>: x, or dx) and an output-shaped one (<paramref name="output"/>: y, or dy): forward
    /// y += w·x at the tap, backward dx at the tap += w·dy. A vector multiply-add when the stride along W is 1. Forward,
    /// the epilogue then runs over each finished output plane.</summary>
    private void DepthwiseTaps<TAct>(in ConvGeometry g, float* image, float* w, float* output, int planes, int channels, bool backward,
        EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        var st = (g, image: (nint)image, w: (nint)w, output: (nint)output, channels, backward, epilogue);
        CpuParallel.For(planes, Threads, Math.Max(1, 16384 / Math.Max(1, g.P * g.KK)), st, static (s, p0, p1) =>
        {
            var g = s.g;
            for (long pl = p0; pl < p1; pl++)
            {
                float* ip = (float*)s.image + pl * g.HW, op = (float*)s.output + pl * g.P, wp = (float*)s.w + (pl % s.channels) * g.KK;
                for (int oh = 0; oh < g.OH; oh++)
                {
                    float* orow = op + oh * g.OW;
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        int ih = oh * g.SH - g.PT + kh * g.DH;
                        if ((uint)ih >= (uint)g.H) continue;
                        float* irow = ip + (long)ih * g.W;
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            float wv = wp[kh * g.KW + kw];
                            int off = kw * g.DW - g.PL;
                            ConvGeometry.ValidRange(g.OW, g.SW, off, g.W, out int lo, out int hi);
                            if (lo >= hi) continue;
                            if (g.SW == 1)
                            {
                                var dst = new Span<float>(s.backward ? irow + lo + off : orow + lo, hi - lo);
                                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(s.backward ? orow + lo : irow + lo + off, hi - lo), wv, dst, dst);
                            }
                            else if (s.backward) for (int ow = lo; ow < hi; ow++) irow[ow * g.SW + off] += wv * orow[ow];
                            else for (int ow = lo; ow < hi; ow++) orow[ow] += wv * irow[ow * g.SW + off];
                        }
                    }
                }
                if (!s.backward && s.epilogue.IsActive) s.epilogue.ApplyInPlace(op, g.P);
            }
        });
    }

    /// <summary>dw[c, kh, kw] = Σ over samples and outputs of dy · x at the tap (parallel over channels).</summary>
    private void DepthwiseBackwardWeight(in ConvGeometry g, float* x, float* dy, float* dw, int n, int channels)
    {
        var st = (g, x: (nint)x, dy: (nint)dy, dw: (nint)dw, n, channels);
        CpuParallel.For(channels, Threads, 1, st, static (s, c0, c1) =>
        {
            var g = s.g;
            for (long ch = c0; ch < c1; ch++)
                for (int kh = 0; kh < g.KH; kh++)
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        int off = kw * g.DW - g.PL;
                        ConvGeometry.ValidRange(g.OW, g.SW, off, g.W, out int lo, out int hi);
                        double sum = 0;
                        for (int b = 0; b < s.n && lo < hi; b++)
                        {
                            long pl = (long)b * s.channels + ch;
                            float* xp = (float*)s.x + pl * g.HW, dyp = (float*)s.dy + pl * g.P;
                            for (int oh = 0; oh < g.OH; oh++)
                            {
                                int ih = oh * g.SH - g.PT + kh * g.DH;
                                if ((uint)ih >= (uint)g.H) continue;
                                float* xrow = xp + (long)ih * g.W, dyrow = dyp + oh * g.OW;
                                if (g.SW == 1)
                                    sum += TensorPrimitives.Dot(new ReadOnlySpan<float>(dyrow + lo, hi - lo), new ReadOnlySpan<float>(xrow + lo + off, hi - lo));
                                else
                                {
                                    float part = 0f;
                                    for (int ow = lo; ow < hi; ow++) part += dyrow[ow] * xrow[ow * g.SW + off];
                                    sum += part;
                                }
                            }
                        }
                        ((float*)s.dw)[ch * g.KK + kh * g.KW + kw] = (float)sum;
                    }
        });
    }
}
