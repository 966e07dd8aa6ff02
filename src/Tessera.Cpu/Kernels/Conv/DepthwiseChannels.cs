using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Depthwise forward on small maps with 16 channels per 512-bit vector (the blocked-channel layout, built per
/// block): each block's planes are transposed into lanes (8×8 register transposes) and copied into a zero-bordered
/// [row][column][16] buffer, every output is one vector
/// accumulating the window's taps (one load and one FMA per tap, nothing wasted on row ends however narrow the map),
/// and the block's outputs are transposed back into their planes. Small maps are where plane-at-a-time loops spend their
/// time on per-plane and per-row overhead and half-empty rows (a 7×7 map has 49 outputs per plane). A last partial
/// block has zeros in its unused lanes and stores only its own. No residual (the caller keeps those elsewhere).</summary>
internal static unsafe class DepthwiseChannels
{
    private const int L = 16;

    /// <summary>Output positions up to which this path is taken (16×16 maps; measured in
    /// <see cref="CpuKernels.DepthwisePath"/>). On 28×28 maps and larger the planes' 512-bit rows are full.</summary>
    public const int MaxPositions = 256;

    /// <summary>Whether the path runs this depthwise convolution: AVX-512, undilated, a small map
    /// whose padded input tile stays in L1, at most 64 taps, no residual.</summary>
    public static bool Applies(in ConvGeometry g, bool residual) =>
        Avx512F.IsSupported && !residual && g.DH == 1 && g.DW == 1 && g.P > 0 && g.P <= MaxPositions
        && (long)((g.OH - 1) * g.SH + g.KH) * ((g.OW - 1) * g.SW + g.KW) <= 1024 && g.KK <= 64;

    /// <summary>y[n, c, OH, OW] = act(bias + depthwise(x, w)); x, w contiguous, w [c, 1, KH, KW].</summary>
    public static void Forward<TAct>(CpuMemoryPool memory, int threads, in ConvGeometry g, int n, int c,
        float* x, float* w, float* bias, float* y, EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        int blocks = (c + L - 1) / L;
        int hp = (g.OH - 1) * g.SH + g.KH, wp = (g.OW - 1) * g.SW + g.KW;
        long grain = Math.Max(1, 8192 / Math.Max(1, (long)g.P * g.KK));
        using var scratch = new SlotScratch(memory, CpuParallel.Slots((long)n * blocks, threads, grain),
            ((long)hp * wp + g.P + g.KK + g.HW) * L * sizeof(float) + 64);
        var st = (g, c, blocks, hp, wp, x: (nint)x, w: (nint)w, bias: (nint)bias, y: (nint)y, scratch, epilogue);
        CpuParallel.ForSlots((long)n * blocks, threads, grain, st, static (s, i0, i1, slot) =>
        {
            var g = s.g;
            int hp = s.hp, wp = s.wp, kk = g.KK;
            float* pad = s.scratch[slot], outT = pad + (long)hp * wp * L, wv = outT + (long)g.P * L, xT = wv + (long)kk * L;
            // The border is zero once; each block writes only the positions the input covers.
            new Span<float>(pad, hp * wp * L).Clear();
            int ih0 = Math.Max(0, -g.PT), ih1 = Math.Min(g.H, hp - g.PT), iw0 = Math.Max(0, -g.PL), iw1 = Math.Min(g.W, wp - g.PL);
            for (long i = i0; i < i1; i++)
            {
                int b = (int)(i / s.blocks), c0 = (int)(i % s.blocks) * L, live = Math.Min(L, s.c - c0);
                float* xb = (float*)s.x + ((long)b * s.c + c0) * g.HW;
                // The block's planes into lanes (xT [HW][16]), then each input row into the bordered buffer.
                ToLanes(xb, g.HW, live, g.HW, xT);
                for (int ih = ih0; ih < ih1; ih++)
                    new ReadOnlySpan<float>(xT + ((long)ih * g.W + iw0) * L, (iw1 - iw0) * L)
                        .CopyTo(new Span<float>(pad + ((long)(ih + g.PT) * wp + iw0 + g.PL) * L, (iw1 - iw0) * L));
                ToLanes((float*)s.w + (long)c0 * kk, kk, live, kk, wv);
                var bv = s.bias == 0 ? Vector512<float>.Zero : Lanes.Load((float*)s.bias + c0, live);
                if (g.KH == 3 && g.KW == 3) Outputs3x3(g, pad, wp, wv, bv, outT, s.epilogue);
                else if (g.KH == 5 && g.KW == 5) Outputs5x5(g, pad, wp, wv, bv, outT, s.epilogue);
                else
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
                FromLanes(outT, g.P, live, (float*)s.y + ((long)b * s.c + c0) * g.P);
            }
        });
    }

    /// <summary>Every output of a 3×3 window with its 9 weight vectors held in registers (the general loop reloads
    /// them for each output).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Outputs3x3<TAct>(in ConvGeometry g, float* pad, int wp, float* wv, Vector512<float> bias, float* outT,
        in EpilogueMath<TAct> e) where TAct : struct, IUnaryMath
    {
        var w0 = Vector512.Load(wv + 0);
        var w1 = Vector512.Load(wv + 16);
        var w2 = Vector512.Load(wv + 32);
        var w3 = Vector512.Load(wv + 48);
        var w4 = Vector512.Load(wv + 64);
        var w5 = Vector512.Load(wv + 80);
        var w6 = Vector512.Load(wv + 96);
        var w7 = Vector512.Load(wv + 112);
        var w8 = Vector512.Load(wv + 128);
        long row = (long)wp * L;
        for (int oh = 0; oh < g.OH; oh++)
        {
            float* r0 = pad + (long)oh * g.SH * row;
            for (int ow = 0; ow < g.OW; ow++, r0 += g.SW * L)
            {
                var acc = bias;
                acc = Vector512.FusedMultiplyAdd(w0, Vector512.Load(r0 + 0), acc); acc = Vector512.FusedMultiplyAdd(w1, Vector512.Load(r0 + 16), acc); acc = Vector512.FusedMultiplyAdd(w2, Vector512.Load(r0 + 32), acc);
                acc = Vector512.FusedMultiplyAdd(w3, Vector512.Load(r0 + 1 * row + 0), acc); acc = Vector512.FusedMultiplyAdd(w4, Vector512.Load(r0 + 1 * row + 16), acc); acc = Vector512.FusedMultiplyAdd(w5, Vector512.Load(r0 + 1 * row + 32), acc);
                acc = Vector512.FusedMultiplyAdd(w6, Vector512.Load(r0 + 2 * row + 0), acc); acc = Vector512.FusedMultiplyAdd(w7, Vector512.Load(r0 + 2 * row + 16), acc); acc = Vector512.FusedMultiplyAdd(w8, Vector512.Load(r0 + 2 * row + 32), acc);
                e.Activate(acc).Store(outT + (oh * g.OW + ow) * L);
            }
        }
    }

    /// <summary>Every output of a 5×5 window with its 25 weight vectors held in registers (the general loop reloads
    /// them for each output).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Outputs5x5<TAct>(in ConvGeometry g, float* pad, int wp, float* wv, Vector512<float> bias, float* outT,
        in EpilogueMath<TAct> e) where TAct : struct, IUnaryMath
    {
        var w0 = Vector512.Load(wv + 0);
        var w1 = Vector512.Load(wv + 16);
        var w2 = Vector512.Load(wv + 32);
        var w3 = Vector512.Load(wv + 48);
        var w4 = Vector512.Load(wv + 64);
        var w5 = Vector512.Load(wv + 80);
        var w6 = Vector512.Load(wv + 96);
        var w7 = Vector512.Load(wv + 112);
        var w8 = Vector512.Load(wv + 128);
        var w9 = Vector512.Load(wv + 144);
        var w10 = Vector512.Load(wv + 160);
        var w11 = Vector512.Load(wv + 176);
        var w12 = Vector512.Load(wv + 192);
        var w13 = Vector512.Load(wv + 208);
        var w14 = Vector512.Load(wv + 224);
        var w15 = Vector512.Load(wv + 240);
        var w16 = Vector512.Load(wv + 256);
        var w17 = Vector512.Load(wv + 272);
        var w18 = Vector512.Load(wv + 288);
        var w19 = Vector512.Load(wv + 304);
        var w20 = Vector512.Load(wv + 320);
        var w21 = Vector512.Load(wv + 336);
        var w22 = Vector512.Load(wv + 352);
        var w23 = Vector512.Load(wv + 368);
        var w24 = Vector512.Load(wv + 384);
        long row = (long)wp * L;
        for (int oh = 0; oh < g.OH; oh++)
        {
            float* r0 = pad + (long)oh * g.SH * row;
            for (int ow = 0; ow < g.OW; ow++, r0 += g.SW * L)
            {
                var acc = bias;
                acc = Vector512.FusedMultiplyAdd(w0, Vector512.Load(r0 + 0), acc); acc = Vector512.FusedMultiplyAdd(w1, Vector512.Load(r0 + 16), acc); acc = Vector512.FusedMultiplyAdd(w2, Vector512.Load(r0 + 32), acc); acc = Vector512.FusedMultiplyAdd(w3, Vector512.Load(r0 + 48), acc); acc = Vector512.FusedMultiplyAdd(w4, Vector512.Load(r0 + 64), acc);
                acc = Vector512.FusedMultiplyAdd(w5, Vector512.Load(r0 + 1 * row + 0), acc); acc = Vector512.FusedMultiplyAdd(w6, Vector512.Load(r0 + 1 * row + 16), acc); acc = Vector512.FusedMultiplyAdd(w7, Vector512.Load(r0 + 1 * row + 32), acc); acc = Vector512.FusedMultiplyAdd(w8, Vector512.Load(r0 + 1 * row + 48), acc); acc = Vector512.FusedMultiplyAdd(w9, Vector512.Load(r0 + 1 * row + 64), acc);
                acc = Vector512.FusedMultiplyAdd(w10, Vector512.Load(r0 + 2 * row + 0), acc); acc = Vector512.FusedMultiplyAdd(w11, Vector512.Load(r0 + 2 * row + 16), acc); acc = Vector512.FusedMultiplyAdd(w12, Vector512.Load(r0 + 2 * row + 32), acc); acc = Vector512.FusedMultiplyAdd(w13, Vector512.Load(r0 + 2 * row + 48), acc); acc = Vector512.FusedMultiplyAdd(w14, Vector512.Load(r0 + 2 * row + 64), acc);
                acc = Vector512.FusedMultiplyAdd(w15, Vector512.Load(r0 + 3 * row + 0), acc); acc = Vector512.FusedMultiplyAdd(w16, Vector512.Load(r0 + 3 * row + 16), acc); acc = Vector512.FusedMultiplyAdd(w17, Vector512.Load(r0 + 3 * row + 32), acc); acc = Vector512.FusedMultiplyAdd(w18, Vector512.Load(r0 + 3 * row + 48), acc); acc = Vector512.FusedMultiplyAdd(w19, Vector512.Load(r0 + 3 * row + 64), acc);
                acc = Vector512.FusedMultiplyAdd(w20, Vector512.Load(r0 + 4 * row + 0), acc); acc = Vector512.FusedMultiplyAdd(w21, Vector512.Load(r0 + 4 * row + 16), acc); acc = Vector512.FusedMultiplyAdd(w22, Vector512.Load(r0 + 4 * row + 32), acc); acc = Vector512.FusedMultiplyAdd(w23, Vector512.Load(r0 + 4 * row + 48), acc); acc = Vector512.FusedMultiplyAdd(w24, Vector512.Load(r0 + 4 * row + 64), acc);
                e.Activate(acc).Store(outT + (oh * g.OW + ow) * L);
            }
        }
    }

    /// <summary>dst[j·16 + k] = src[k·lds + j] for j &lt; cols: the live channels' rows into lanes; lanes past
    /// <paramref name="live"/> are zero.</summary>
    private static void ToLanes(float* src, long lds, int live, int cols, float* dst)
    {
        Transpose8x8.Matrix(src, lds, live, cols, dst, L);
        for (int j = 0; live < L && j < cols; j++) new Span<float>(dst + (long)j * L + live, L - live).Clear();
    }

    /// <summary>y[k·P + q] = src[q·16 + k] for the live channels k and the P positions q: the inverse of
    /// <see cref="ToLanes"/>.</summary>
    private static void FromLanes(float* src, int p, int live, float* y) => Transpose8x8.Matrix(src, L, p, live, y, p);
}

/// <summary>Runs <see cref="DepthwiseChannels.Forward"/> with the activation functor <see cref="UnaryDispatch"/> picks.</summary>
internal readonly unsafe struct DepthwiseChannelsRun(CpuMemoryPool memory, int threads, ConvGeometry g, int n, int c,
    float* x, float* w, float* bias, float* y) : IUnaryMathVisitor
{
    public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath =>
        DepthwiseChannels.Forward(memory, threads, g, n, c, x, w, bias, y, new EpilogueMath<TMath>(math, null, y));
}
