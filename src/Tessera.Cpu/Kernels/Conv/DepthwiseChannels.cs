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
                if (g.KH == 3 && g.KW == 3) Outputs(g, pad, wp, new Window3(wv), bv, outT, s.epilogue);
                else if (g.KH == 5 && g.KW == 5) Outputs(g, pad, wp, new Window5(wv), bv, outT, s.epilogue);
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
                            Store(acc, outT + (oh * g.OW + ow) * L, s.epilogue);
                        }
                if (TAct.ComputeBound) s.epilogue.ApplyInPlace(outT, (long)g.P * L);
                FromLanes(outT, g.P, live, (float*)s.y + ((long)b * s.c + c0) * g.P);
            }
        });
    }

    /// <summary>Every output of a 3×3 or 5×5 window with its weight vectors held in registers (the general loop reloads
    /// them for each output), four outputs of a row at a time, then two, then one: each output's taps are one chain of
    /// dependent multiply-adds, and two chains kept the FMA units a quarter busy (5×5 on 14×14 maps: 25 FMAs of four
    /// cycles' latency per output pair). Four chains: 5×5 on 14×14 0.93 of the time. Never inlined: tier-1 code of the
    /// activation dispatch inlined it with Forward and ran out of inlining budget, so that the window's row helpers
    /// became calls (EfficientNet's 5×5 layers five times slower).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Outputs<TWin, TAct>(in ConvGeometry g, float* pad, int wp, TWin win, Vector512<float> bias, float* outT,
        in EpilogueMath<TAct> e) where TWin : struct, IWindow where TAct : struct, IUnaryMath
    {
        long row = (long)wp * L, step = (long)g.SW * L;
        for (int oh = 0; oh < g.OH; oh++)
        {
            float* r0 = pad + (long)oh * g.SH * row, o = outT + (long)oh * g.OW * L;
            int ow = 0;
            for (; ow + 4 <= g.OW; ow += 4, r0 += 4 * step, o += 4 * L)
            {
                Vector512<float> a = bias, b = bias, c = bias, d = bias;
                win.Fma(ref a, ref b, ref c, ref d, r0, step, row);
                Store(a, o, e);
                Store(b, o + L, e);
                Store(c, o + 2 * L, e);
                Store(d, o + 3 * L, e);
            }
            for (; ow + 2 <= g.OW; ow += 2, r0 += 2 * step, o += 2 * L)
            {
                Vector512<float> a = bias, b = bias;
                win.Fma(ref a, ref b, r0, r0 + step, row);
                Store(a, o, e);
                Store(b, o + L, e);
            }
            if (ow < g.OW) Store(win.Fma(bias, r0, row), o, e);
        }
    }

    /// <summary>A window's weight vectors (16 channels each), held in registers.</summary>
    private interface IWindow
    {
        /// <summary>a + the window's taps over the bordered rows at ra (rows <paramref name="row"/> floats apart,
        /// positions 16 apart); b likewise at rb, the two chains interleaved.</summary>
        void Fma(ref Vector512<float> a, ref Vector512<float> b, float* ra, float* rb, long row);

        /// <summary>acc + the window's taps over the bordered rows at r: one chain (a row's odd last output).</summary>
        Vector512<float> Fma(Vector512<float> acc, float* r, long row);

        /// <summary>a, b, c, d + the window's taps at r, r + step, r + 2·step, r + 3·step: four chains interleaved.</summary>
        void Fma(ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c, ref Vector512<float> d, float* r, long step, long row);
    }

    private readonly struct Window3(float* w) : IWindow
    {
        private readonly Row3 _r0 = new(w), _r1 = new(w + 48), _r2 = new(w + 96);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Fma(ref Vector512<float> a, ref Vector512<float> b, float* ra, float* rb, long row)
        {
            _r0.Fma(ref a, ref b, ra, rb);
            _r1.Fma(ref a, ref b, ra + row, rb + row);
            _r2.Fma(ref a, ref b, ra + 2 * row, rb + 2 * row);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Fma(Vector512<float> acc, float* r, long row) => _r2.Fma(_r1.Fma(_r0.Fma(acc, r), r + row), r + 2 * row);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Fma(ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c, ref Vector512<float> d, float* r, long step, long row)
        {
            _r0.Fma(ref a, ref b, ref c, ref d, r, step);
            _r1.Fma(ref a, ref b, ref c, ref d, r + row, step);
            _r2.Fma(ref a, ref b, ref c, ref d, r + 2 * row, step);
        }
    }

    /// <summary>A 3-wide window row's weight vectors.</summary>
    private readonly struct Row3(float* w)
    {
        private readonly Vector512<float> _w0 = Vector512.Load(w), _w1 = Vector512.Load(w + 16), _w2 = Vector512.Load(w + 32);

        /// <summary>a and b + this row's taps over the bordered rows at ra and rb.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Fma(ref Vector512<float> a, ref Vector512<float> b, float* ra, float* rb)
        {
            a = Vector512.FusedMultiplyAdd(_w0, Vector512.Load(ra), a); b = Vector512.FusedMultiplyAdd(_w0, Vector512.Load(rb), b);
            a = Vector512.FusedMultiplyAdd(_w1, Vector512.Load(ra + 16), a); b = Vector512.FusedMultiplyAdd(_w1, Vector512.Load(rb + 16), b);
            a = Vector512.FusedMultiplyAdd(_w2, Vector512.Load(ra + 32), a); b = Vector512.FusedMultiplyAdd(_w2, Vector512.Load(rb + 32), b);
        }

        /// <summary>acc + this row's taps at r.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Fma(Vector512<float> acc, float* r) =>
            Vector512.FusedMultiplyAdd(_w2, Vector512.Load(r + 32), Vector512.FusedMultiplyAdd(_w1, Vector512.Load(r + 16),
                Vector512.FusedMultiplyAdd(_w0, Vector512.Load(r), acc)));

        /// <summary>a, b, c, d + this row's taps at r + k·step.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Fma(ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c, ref Vector512<float> d, float* r, long step)
        {
            Taps4(_w0, ref a, ref b, ref c, ref d, r, step);
            Taps4(_w1, ref a, ref b, ref c, ref d, r + 16, step);
            Taps4(_w2, ref a, ref b, ref c, ref d, r + 32, step);
        }
    }

    /// <summary>One tap's weight vector over four outputs' positions (r + k·step).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Taps4(Vector512<float> w, ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c, ref Vector512<float> d,
        float* r, long step)
    {
        a = Vector512.FusedMultiplyAdd(w, Vector512.Load(r), a);
        b = Vector512.FusedMultiplyAdd(w, Vector512.Load(r + step), b);
        c = Vector512.FusedMultiplyAdd(w, Vector512.Load(r + 2 * step), c);
        d = Vector512.FusedMultiplyAdd(w, Vector512.Load(r + 3 * step), d);
    }

    private readonly struct Window5(float* w) : IWindow
    {
        private readonly Row5 _r0 = new(w), _r1 = new(w + 80), _r2 = new(w + 160), _r3 = new(w + 240), _r4 = new(w + 320);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Fma(ref Vector512<float> a, ref Vector512<float> b, float* ra, float* rb, long row)
        {
            _r0.Fma(ref a, ref b, ra, rb);
            _r1.Fma(ref a, ref b, ra + row, rb + row);
            _r2.Fma(ref a, ref b, ra + 2 * row, rb + 2 * row);
            _r3.Fma(ref a, ref b, ra + 3 * row, rb + 3 * row);
            _r4.Fma(ref a, ref b, ra + 4 * row, rb + 4 * row);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Fma(Vector512<float> acc, float* r, long row) =>
            _r4.Fma(_r3.Fma(_r2.Fma(_r1.Fma(_r0.Fma(acc, r), r + row), r + 2 * row), r + 3 * row), r + 4 * row);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Fma(ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c, ref Vector512<float> d, float* r, long step, long row)
        {
            _r0.Fma(ref a, ref b, ref c, ref d, r, step);
            _r1.Fma(ref a, ref b, ref c, ref d, r + row, step);
            _r2.Fma(ref a, ref b, ref c, ref d, r + 2 * row, step);
            _r3.Fma(ref a, ref b, ref c, ref d, r + 3 * row, step);
            _r4.Fma(ref a, ref b, ref c, ref d, r + 4 * row, step);
        }
    }

    /// <summary>A 5-wide window row's weight vectors.</summary>
    private readonly struct Row5(float* w)
    {
        private readonly Vector512<float> _w0 = Vector512.Load(w), _w1 = Vector512.Load(w + 16), _w2 = Vector512.Load(w + 32),
            _w3 = Vector512.Load(w + 48), _w4 = Vector512.Load(w + 64);

        /// <summary>a and b + this row's taps over the bordered rows at ra and rb.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Fma(ref Vector512<float> a, ref Vector512<float> b, float* ra, float* rb)
        {
            a = Vector512.FusedMultiplyAdd(_w0, Vector512.Load(ra), a); b = Vector512.FusedMultiplyAdd(_w0, Vector512.Load(rb), b);
            a = Vector512.FusedMultiplyAdd(_w1, Vector512.Load(ra + 16), a); b = Vector512.FusedMultiplyAdd(_w1, Vector512.Load(rb + 16), b);
            a = Vector512.FusedMultiplyAdd(_w2, Vector512.Load(ra + 32), a); b = Vector512.FusedMultiplyAdd(_w2, Vector512.Load(rb + 32), b);
            a = Vector512.FusedMultiplyAdd(_w3, Vector512.Load(ra + 48), a); b = Vector512.FusedMultiplyAdd(_w3, Vector512.Load(rb + 48), b);
            a = Vector512.FusedMultiplyAdd(_w4, Vector512.Load(ra + 64), a); b = Vector512.FusedMultiplyAdd(_w4, Vector512.Load(rb + 64), b);
        }

        /// <summary>acc + this row's taps at r.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Fma(Vector512<float> acc, float* r)
        {
            acc = Vector512.FusedMultiplyAdd(_w0, Vector512.Load(r), acc);
            acc = Vector512.FusedMultiplyAdd(_w1, Vector512.Load(r + 16), acc);
            acc = Vector512.FusedMultiplyAdd(_w2, Vector512.Load(r + 32), acc);
            acc = Vector512.FusedMultiplyAdd(_w3, Vector512.Load(r + 48), acc);
            return Vector512.FusedMultiplyAdd(_w4, Vector512.Load(r + 64), acc);
        }

        /// <summary>a, b, c, d + this row's taps at r + k·step.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Fma(ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c, ref Vector512<float> d, float* r, long step)
        {
            Taps4(_w0, ref a, ref b, ref c, ref d, r, step);
            Taps4(_w1, ref a, ref b, ref c, ref d, r + 16, step);
            Taps4(_w2, ref a, ref b, ref c, ref d, r + 32, step);
            Taps4(_w3, ref a, ref b, ref c, ref d, r + 48, step);
            Taps4(_w4, ref a, ref b, ref c, ref d, r + 64, step);
        }
    }

    /// <summary>Stores an output vector; a compute-bound activation (exp) is left for the pass over the whole block
    /// (<see cref="Forward"/>), where it does not push the held weights out of registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TAct>(Vector512<float> acc, float* o, in EpilogueMath<TAct> e) where TAct : struct, IUnaryMath =>
        (TAct.ComputeBound ? acc : e.Activate(acc)).Store(o);

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
