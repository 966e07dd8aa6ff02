using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Depthwise forward on small maps with 16 channels per 512-bit vector (the blocked-channel layout, built per
/// block): each block's planes are gathered into a zero-bordered [row][column][16] buffer, every output is one vector
/// accumulating the window's taps (one load and one FMA per tap, nothing wasted on row ends however narrow the map),
/// and the block's outputs are written back plane by plane. Small maps are where plane-at-a-time loops spend their time
/// on per-plane and per-row overhead (a 7×7 map has 49 outputs per plane). A last partial block repeats its last
/// channel in the unused lanes and stores only its own. No residual (the caller keeps those elsewhere).</summary>
internal static unsafe class DepthwiseChannels
{
    private const int L = 16;

    /// <summary>Output positions up to which this path is taken. Ratio to ONNX Runtime in one run, against the paths
    /// these layers took before: 5×5 on 7×7 0.25 → 0.41 (576 and 1152 channels), 3×3 on 7×7 0.38 → 0.49, 3×3 / 2 from
    /// 14×14 0.29 → 0.42; 14×14 outputs slower (0.70 → 0.52), which stay on the padded-row path.</summary>
    public const int MaxPositions = 100;

    /// <summary>Whether the path runs this depthwise convolution: AVX-512 (and AVX2's gathers), undilated, a small map
    /// whose padded input tile stays in L1, at most 64 taps, no residual.</summary>
    public static bool Applies(in ConvGeometry g, bool residual) =>
        Avx512F.IsSupported && Avx2.IsSupported && !residual && g.DH == 1 && g.DW == 1 && g.P > 0 && g.P <= MaxPositions
        && (long)((g.OH - 1) * g.SH + g.KH) * ((g.OW - 1) * g.SW + g.KW) <= 1024 && g.KK <= 64;

    /// <summary>y[n, c, OH, OW] = act(bias + depthwise(x, w)); x, w contiguous, w [c, 1, KH, KW].</summary>
    public static void Forward<TAct>(CpuMemoryPool memory, int threads, in ConvGeometry g, int n, int c,
        float* x, float* w, float* bias, float* y, EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        int blocks = (c + L - 1) / L;
        int hp = (g.OH - 1) * g.SH + g.KH, wp = (g.OW - 1) * g.SW + g.KW;
        var st = (g, c, blocks, hp, wp, x: (nint)x, w: (nint)w, bias: (nint)bias, y: (nint)y, memory, epilogue);
        CpuParallel.For((long)n * blocks, threads, Math.Max(1, 8192 / Math.Max(1, (long)g.P * g.KK)), st, static (s, i0, i1) =>
        {
            var g = s.g;
            int hp = s.hp, wp = s.wp, kk = g.KK;
            using var buf = s.memory.Rent(((long)hp * wp + g.P + kk) * L * sizeof(float) + 64);
            float* pad = (float*)buf.Handle, outT = pad + (long)hp * wp * L, wv = outT + (long)g.P * L;
            // The border is zero once; each block writes only the positions the input covers.
            new Span<float>(pad, hp * wp * L).Clear();
            int ih0 = Math.Max(0, -g.PT), ih1 = Math.Min(g.H, hp - g.PT), iw0 = Math.Max(0, -g.PL), iw1 = Math.Min(g.W, wp - g.PL);
            for (long i = i0; i < i1; i++)
            {
                int b = (int)(i / s.blocks), c0 = (int)(i % s.blocks) * L, live = Math.Min(L, s.c - c0);
                // Lane k reads channel c0 + min(k, live − 1).
                var lane = Vector512.Min(Vector512<int>.Indices, Vector512.Create(live - 1));
                float* xb = (float*)s.x + ((long)b * s.c + c0) * g.HW;
                var planeIdx = lane * Vector512.Create(g.HW);
                for (int ih = ih0; ih < ih1; ih++)
                {
                    float* dst = pad + ((long)(ih + g.PT) * wp + iw0 + g.PL) * L;
                    float* src = xb + (long)ih * g.W;
                    for (int iw = iw0; iw < iw1; iw++, dst += L) Gather(src + iw, planeIdx).Store(dst);
                }
                var tapIdx = lane * Vector512.Create(kk);
                float* wc = (float*)s.w + (long)c0 * kk;
                for (int t = 0; t < kk; t++) Gather(wc + t, tapIdx).Store(wv + t * L);
                var bv = s.bias == 0 ? Vector512<float>.Zero : Gather((float*)s.bias + c0, lane);
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        var acc = bv;
                        float* p0 = pad + ((long)oh * g.SH * wp + ow * g.SW) * L;
                        float* wt = wv;
                        for (int kh = 0; kh < g.KH; kh++, p0 += wp * L)
                            for (int kw = 0; kw < g.KW; kw++, wt += L)
                                acc = Vector512.FusedMultiplyAdd(Vector512.Load(wt), Vector512.Load(p0 + kw * L), acc);
                        s.epilogue.Activate(acc).Store(outT + (oh * g.OW + ow) * L);
                    }
                float* yb = (float*)s.y + ((long)b * s.c + c0) * g.P;
                for (int k = 0; k < live; k++)
                {
                    float* yc = yb + (long)k * g.P;
                    for (int q = 0; q < g.P; q++) yc[q] = outT[q * L + k];
                }
            }
        });
    }

    /// <summary>p[idx[k]] for the 16 lanes (two 8-lane AVX2 gathers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Gather(float* p, Vector512<int> idx) =>
        Vector512.Create(Avx2.GatherVector256(p, idx.GetLower(), 4), Avx2.GatherVector256(p, idx.GetUpper(), 4));
}

/// <summary>Runs <see cref="DepthwiseChannels.Forward"/> with the activation functor <see cref="UnaryDispatch"/> picks.</summary>
internal readonly unsafe struct DepthwiseChannelsRun(CpuMemoryPool memory, int threads, ConvGeometry g, int n, int c,
    float* x, float* w, float* bias, float* y) : IUnaryMathVisitor
{
    public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath =>
        DepthwiseChannels.Forward(memory, threads, g, n, c, x, w, bias, y, new EpilogueMath<TMath>(math, null, y));
}
