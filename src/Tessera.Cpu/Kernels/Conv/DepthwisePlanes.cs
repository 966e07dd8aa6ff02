using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Depthwise forward, 3×3 and 5×5 windows at stride 1 or 2, plane by plane with 512-bit rows and one pass over
/// the output. Each plane is copied, a band of output rows' worth at a time (24 KB: in L1 while its taps read it; a
/// 112×112 plane padded whole took 58 KB), into a zero-bordered buffer (its border columns zeroed once per work chunk),
/// split at stride 2 into the even and odd columns of each row, so that every tap of 16 consecutive outputs is one contiguous
/// load: tap (kh, kw) of output (oh, ow) reads padded row oh·S + kh, column phase kw mod S, column ow + kw div S. The
/// accumulators start at the bias, the window's weights stay in registers (3×3: two output rows share their loaded
/// input rows), and the epilogue (residual, activation) runs on the registers before the single store (an activation
/// that computes, SiLU's exp, over the band's finished rows instead); a row's last partial vector is stored masked. The plane-at-a-time paths before it filled y with the bias, accumulated into y
/// and ran the epilogue as a third pass: on 112×112 and 56×56 maps that traffic, not the FMAs, set their speed.
/// A 1×1 window (a per-channel scale and shift, as a batch norm no convolution precedes becomes) reads the plane in
/// place, and so do 3×3 windows at stride 2 and on wide rows, shifting and splitting the row's vectors in registers
/// (<see cref="Taps1"/>, <see cref="Taps2"/>).</summary>
internal static unsafe class DepthwisePlanes
{
    private const int L = 16;

    /// <summary>Whether this path runs the depthwise convolution: AVX-512, and a pointwise window or an undilated square
    /// 3×3 or 5×5 one at equal strides of 1 or 2.</summary>
    public static bool Applies(in ConvGeometry g) =>
        Avx512F.IsSupported && VectorWidth.Use512 && g.OH > 0 && g.OW > 0
        && (g.IsPointwise || g.KH == g.KW && (g.KH == 3 || g.KH == 5) && g.DH == 1 && g.DW == 1
            && g.SH == g.SW && (g.SH == 1 || g.SH == 2) && g.PT >= 0 && g.PL >= 0);

    /// <summary>y[plane] = epilogue(bias[channel] + depthwise(x[plane], w[channel])) for every plane (n·c of them;
    /// channel = plane mod c). x, w contiguous, w [c, 1, K, K]; y fully written.</summary>
    public static void Forward<TAct>(CpuMemoryPool memory, int threads, in ConvGeometry g, long planes, int channels,
        float* x, float* w, float* bias, float* y, EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        int s = g.SW, k = g.KW;
        // Per row and phase: every 16-wide load of every tap stays inside (the last vector reads past OW).
        int cols = (g.OW + L - 1) / L * L + (k - 1) / s;
        int band = BandRows(g, cols), rows = (band - 1) * s + k;
        bool direct = ReadsInPlace(g);
        // A 1×1 window reads x in place; so does a 3×3 one (ReadsInPlace), whose buffer is only a zero row (from float
        // 16) for the rows above and below the image.
        long planeFloats = g.IsPointwise ? 0 : direct ? ZeroRowFloats(g) : (long)rows * s * cols;
        long grain = Math.Max(1, 16384 / Math.Max(1, (long)g.P * g.KK));
        using var scratch = new SlotScratch(memory, CpuParallel.Slots(planes, threads, grain), planeFloats * sizeof(float) + 64);
        var st = (g, x: (nint)x, w: (nint)w, bias: (nint)bias, y: (nint)y, channels, cols, band, planeFloats, scratch, epilogue, direct);
        CpuParallel.ForSlots(planes, threads, grain, st, static (s, p0, p1, slot) =>
        {
            var g = s.g;
            float* pad = s.scratch[slot];
            new Span<float>(pad, (int)s.planeFloats).Clear();   // the border columns; each band writes its rows
            for (long pl = p0; pl < p1; pl++)
            {
                int ch = (int)(pl % s.channels);
                float* xp = (float*)s.x + pl * g.HW, yp = (float*)s.y + pl * g.P;
                if (g.IsPointwise)
                {
                    // A per-channel scale and shift: the plane itself is the only row.
                    Plane1x1(g.P, xp, ((float*)s.w)[ch], s.bias == 0 ? 0f : ((float*)s.bias)[ch], yp, s.epilogue);
                    if (TAct.ComputeBound) s.epilogue.ApplyInPlace(yp, g.P);
                    continue;
                }
                float b = s.bias == 0 ? 0f : ((float*)s.bias)[ch];
                float* wc = (float*)s.w + (long)ch * g.KK;
                if (s.direct)
                {
                    if (g.SW == 1) Direct3x3S1(g, xp, pad + L, wc, b, yp, s.epilogue);
                    else Direct3x3S2(g, xp, pad + L, wc, b, yp, s.epilogue);
                    if (TAct.ComputeBound) s.epilogue.ApplyInPlace(yp, g.P);
                    continue;
                }
                for (int oh0 = 0; oh0 < g.OH; oh0 += s.band)
                {
                    // The band's padded rows: input rows where the image has them, zeros above and below it.
                    int nb = Math.Min(s.band, g.OH - oh0);
                    FillRows(g, xp, pad, s.cols, oh0 * g.SH, oh0 * g.SH + (nb - 1) * g.SH + g.KH);
                    var gb = g with { OH = nb };
                    if (g.KH == 3) Plane3x3(gb, pad, s.cols, wc, b, yp + (long)oh0 * g.OW, s.epilogue);
                    else Plane5x5(gb, pad, s.cols, wc, b, yp + (long)oh0 * g.OW, s.epilogue);
                    if (TAct.ComputeBound) s.epilogue.ApplyInPlace(yp + (long)oh0 * g.OW, (long)nb * g.OW);
                }
            }
        });
    }

    /// <summary>Whether the window reads the input plane in place (<see cref="Direct3x3S1"/>, <see cref="Direct3x3S2"/>):
    /// 3×3 with one column of left padding (the taps then shift lanes by one), at stride 2, or at stride 1 on rows of
    /// more than <see cref="MinInPlaceWidth"/> columns. Against the padded band copy, single layers: stride 2 96 × 112²
    /// 0.64, 144 × 56² 0.61, 192 × 28² 0.99; stride 1 32 × 112² 0.68, but 144 × 56² 1.04 (four vectors a row, the
    /// last half empty, where the row ends' masked loads and carried vectors weigh more). 5×5 at stride 2 (taps 0, 1
    /// and 4 shifted from the even and odd lanes) measured 1.17 on 144 × 56², 1.00 on 672 × 14², and keeps the copy.</summary>
    private static bool ReadsInPlace(in ConvGeometry g) => g.KH == 3 && g.PL == 1 && (g.SW == 2 || g.SW == 1 && g.W > MinInPlaceWidth);

    private const int MinInPlaceWidth = 64;

    /// <summary>Whether a 3×3 window at stride 2 whose output is small enough for <see cref="DepthwiseChannels"/> runs
    /// here instead: from an input of at least <see cref="StridedMinInputs"/> positions, reading the plane in place
    /// beats transposing four times the output's positions into lanes and back. Single layers on an Intel Xeon core
    /// (minimum of 2000 runs, three alternations), channel blocks → planes: 240 × 28² → 14² 0.083-0.10 → 0.031-0.053 ms,
    /// 192 × 28² 0.074-0.077 → 0.029-0.046; even from 20² (32 channels, 0.006 ms); from 14² the channel blocks keep
    /// it (576 × 14² 0.034-0.043 against 0.044-0.089), and every 5×5 window (672 × 14² 0.055-0.083 against 0.137-0.188).</summary>
    public static bool TakesStrided(in ConvGeometry g) => g.SW == 2 && ReadsInPlace(g) && Applies(g) && (long)g.H * g.W >= StridedMinInputs;

    private const int StridedMinInputs = 24 * 24;

    /// <summary>Floats of the zero row the in-place windows read for rows outside the image: 16 before it (a masked
    /// load at column −1), the widest row a tap reads, and a vector past it.</summary>
    private static long ZeroRowFloats(in ConvGeometry g) => L + Math.Max(g.W, (long)g.OW * g.SW + 2 * L) + 2 * L;

    /// <summary>The 3×3 window's nine weights, broadcast.</summary>
    private readonly struct Weights3x3(float* w)
    {
        public readonly Vector512<float> W00 = Vector512.Create(w[0]), W01 = Vector512.Create(w[1]), W02 = Vector512.Create(w[2]);
        public readonly Vector512<float> W10 = Vector512.Create(w[3]), W11 = Vector512.Create(w[4]), W12 = Vector512.Create(w[5]);
        public readonly Vector512<float> W20 = Vector512.Create(w[6]), W21 = Vector512.Create(w[7]), W22 = Vector512.Create(w[8]);

        /// <summary>acc + window row <paramref name="kh"/>'s taps on the three input vectors.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Row(int kh, Vector512<float> acc, Vector512<float> t0, Vector512<float> t1, Vector512<float> t2) => kh switch
        {
            0 => Vector512.FusedMultiplyAdd(W02, t2, Vector512.FusedMultiplyAdd(W01, t1, Vector512.FusedMultiplyAdd(W00, t0, acc))),
            1 => Vector512.FusedMultiplyAdd(W12, t2, Vector512.FusedMultiplyAdd(W11, t1, Vector512.FusedMultiplyAdd(W10, t0, acc))),
            _ => Vector512.FusedMultiplyAdd(W22, t2, Vector512.FusedMultiplyAdd(W21, t1, Vector512.FusedMultiplyAdd(W20, t0, acc))),
        };
    }

    /// <summary>Input row ih of the plane, or the zero row outside the image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* RowAt(in ConvGeometry g, float* x, float* zeros, int ih) => (uint)ih < (uint)g.H ? x + (long)ih * g.W : zeros;

    /// <summary>One input row's three taps for outputs [o, o + 16) at stride 1 with one column of left padding: the row's
    /// vector at column o (<paramref name="cur"/>) is the middle tap; the left one is it shifted up by a lane behind the
    /// previous vector's last (<paramref name="prev"/>, zero at the row's start), the right one shifted down by a lane
    /// with the next vector's first (loaded here, zero past the row) last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Taps1(float* row, int o, int w, ref Vector512<float> prev, ref Vector512<float> cur,
        out Vector512<float> t0, out Vector512<float> t1, out Vector512<float> t2)
    {
        int c = o + L;
        var next = c + L <= w ? Vector512.Load(row + c) : Lanes.Load(row + c, w - c);
        t0 = Avx512F.AlignRight32(cur.AsInt32(), prev.AsInt32(), 15).AsSingle();
        t1 = cur;
        t2 = Avx512F.AlignRight32(next.AsInt32(), cur.AsInt32(), 1).AsSingle();
        prev = cur;
        cur = next;
    }

    /// <summary>The row's first vector (columns [0, 16), zero past the row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FirstVector(float* row, int w) => L <= w ? Vector512.Load(row) : Lanes.Load(row, w);

    /// <summary>3×3 at stride 1 read from the plane itself (<see cref="Taps1"/>): output rows in pairs read four input
    /// rows, the middle two shared.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Direct3x3S1<TAct>(in ConvGeometry g, float* x, float* zeros, float* w, float bias, float* y, in EpilogueMath<TAct> e)
        where TAct : struct, IUnaryMath
    {
        int ow = g.OW, wd = g.W;
        var win = new Weights3x3(w);
        var bv = Vector512.Create(bias);
        int oh = 0;
        for (; oh + 2 <= g.OH; oh += 2)
        {
            int ih = oh - g.PT;
            float* r0 = RowAt(g, x, zeros, ih), r1 = RowAt(g, x, zeros, ih + 1), r2 = RowAt(g, x, zeros, ih + 2), r3 = RowAt(g, x, zeros, ih + 3);
            float* y0 = y + (long)oh * ow, y1 = y0 + ow;
            Vector512<float> p0 = default, p1 = default, p2 = default, p3 = default;
            Vector512<float> c0 = FirstVector(r0, wd), c1 = FirstVector(r1, wd), c2 = FirstVector(r2, wd), c3 = FirstVector(r3, wd);
            for (int o = 0; o < ow; o += L)
            {
                Taps1(r0, o, wd, ref p0, ref c0, out var t0, out var t1, out var t2);
                var a = win.Row(0, bv, t0, t1, t2);
                Taps1(r1, o, wd, ref p1, ref c1, out t0, out t1, out t2);
                a = win.Row(1, a, t0, t1, t2);
                var b = win.Row(0, bv, t0, t1, t2);
                Taps1(r2, o, wd, ref p2, ref c2, out t0, out t1, out t2);
                a = win.Row(2, a, t0, t1, t2);
                b = win.Row(1, b, t0, t1, t2);
                Taps1(r3, o, wd, ref p3, ref c3, out t0, out t1, out t2);
                b = win.Row(2, b, t0, t1, t2);
                Store(a, y0 + o, ow - o, e);
                Store(b, y1 + o, ow - o, e);
            }
        }
        for (; oh < g.OH; oh++)
        {
            int ih = oh - g.PT;
            float* r0 = RowAt(g, x, zeros, ih), r1 = RowAt(g, x, zeros, ih + 1), r2 = RowAt(g, x, zeros, ih + 2);
            float* y0 = y + (long)oh * ow;
            Vector512<float> p0 = default, p1 = default, p2 = default;
            Vector512<float> c0 = FirstVector(r0, wd), c1 = FirstVector(r1, wd), c2 = FirstVector(r2, wd);
            for (int o = 0; o < ow; o += L)
            {
                Taps1(r0, o, wd, ref p0, ref c0, out var t0, out var t1, out var t2);
                var a = win.Row(0, bv, t0, t1, t2);
                Taps1(r1, o, wd, ref p1, ref c1, out t0, out t1, out t2);
                a = win.Row(1, a, t0, t1, t2);
                Taps1(r2, o, wd, ref p2, ref c2, out t0, out t1, out t2);
                a = win.Row(2, a, t0, t1, t2);
                Store(a, y0 + o, ow - o, e);
            }
        }
    }

    /// <summary>One input row's three taps for outputs [o, o + 16) at stride 2 with one column of left padding: its
    /// columns [2o, 2o + 32) split into even (the middle tap) and odd (the right tap) lanes; the left tap, columns
    /// 2o − 1 + 2t, is the odd lanes shifted up by one behind the previous vector's last odd lane
    /// (<paramref name="carry"/>, zero at the row's start: the padding).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Taps2(float* row, int o, int w, ref Vector512<float> carry, Vector512<int> even, Vector512<int> odd,
        out Vector512<float> t0, out Vector512<float> t1, out Vector512<float> t2)
    {
        int c = 2 * o;
        Vector512<float> v0, v1;
        if (c + 2 * L <= w)
        {
            v0 = Vector512.Load(row + c);
            v1 = Vector512.Load(row + c + L);
        }
        else
        {
            v0 = Lanes.Load(row + c, w - c);
            v1 = Lanes.Load(row + c + L, w - c - L);
        }
        t1 = Avx512F.PermuteVar16x32x2(v0, even, v1);
        t2 = Avx512F.PermuteVar16x32x2(v0, odd, v1);
        t0 = Avx512F.AlignRight32(t2.AsInt32(), carry.AsInt32(), 15).AsSingle();
        carry = t2;
    }

    /// <summary>3×3 at stride 2 read from the plane itself (<see cref="Taps2"/>): output rows in pairs read five input
    /// rows, the middle one shared.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Direct3x3S2<TAct>(in ConvGeometry g, float* x, float* zeros, float* w, float bias, float* y, in EpilogueMath<TAct> e)
        where TAct : struct, IUnaryMath
    {
        int ow = g.OW, wd = g.W;
        var win = new Weights3x3(w);
        var bv = Vector512.Create(bias);
        Vector512<int> even = Lanes.Even, odd = Lanes.Odd;
        int oh = 0;
        for (; oh + 2 <= g.OH; oh += 2)
        {
            int ih = 2 * oh - g.PT;
            float* r0 = RowAt(g, x, zeros, ih), r1 = RowAt(g, x, zeros, ih + 1), r2 = RowAt(g, x, zeros, ih + 2);
            float* r3 = RowAt(g, x, zeros, ih + 3), r4 = RowAt(g, x, zeros, ih + 4);
            float* y0 = y + (long)oh * ow, y1 = y0 + ow;
            Vector512<float> k0 = default, k1 = default, k2 = default, k3 = default, k4 = default;
            for (int o = 0; o < ow; o += L)
            {
                Taps2(r0, o, wd, ref k0, even, odd, out var t0, out var t1, out var t2);
                var a = win.Row(0, bv, t0, t1, t2);
                Taps2(r1, o, wd, ref k1, even, odd, out t0, out t1, out t2);
                a = win.Row(1, a, t0, t1, t2);
                Taps2(r2, o, wd, ref k2, even, odd, out t0, out t1, out t2);
                a = win.Row(2, a, t0, t1, t2);
                var b = win.Row(0, bv, t0, t1, t2);
                Taps2(r3, o, wd, ref k3, even, odd, out t0, out t1, out t2);
                b = win.Row(1, b, t0, t1, t2);
                Taps2(r4, o, wd, ref k4, even, odd, out t0, out t1, out t2);
                b = win.Row(2, b, t0, t1, t2);
                Store(a, y0 + o, ow - o, e);
                Store(b, y1 + o, ow - o, e);
            }
        }
        for (; oh < g.OH; oh++)
        {
            int ih = 2 * oh - g.PT;
            float* r0 = RowAt(g, x, zeros, ih), r1 = RowAt(g, x, zeros, ih + 1), r2 = RowAt(g, x, zeros, ih + 2);
            float* y0 = y + (long)oh * ow;
            Vector512<float> k0 = default, k1 = default, k2 = default;
            for (int o = 0; o < ow; o += L)
            {
                Taps2(r0, o, wd, ref k0, even, odd, out var t0, out var t1, out var t2);
                var a = win.Row(0, bv, t0, t1, t2);
                Taps2(r1, o, wd, ref k1, even, odd, out t0, out t1, out t2);
                a = win.Row(1, a, t0, t1, t2);
                Taps2(r2, o, wd, ref k2, even, odd, out t0, out t1, out t2);
                a = win.Row(2, a, t0, t1, t2);
                Store(a, y0 + o, ow - o, e);
            }
        }
    }

    /// <summary>Output rows per band: an even number whose padded rows take at most <see cref="BandBytes"/>, so the
    /// band is in L1 while its taps read it, or the whole map.</summary>
    private static int BandRows(in ConvGeometry g, int cols)
    {
        int padRows = BandBytes / (g.SW * cols * sizeof(float));
        int band = Math.Max(2, ((padRows - g.KH) / g.SH + 1) & ~1);
        return Math.Min(band, g.OH);
    }

    private const int BandBytes = 24 << 10;

    /// <summary>Copies padded rows [r0, r1) of one input plane into the buffer, row r0 first: padded element (r, c) at
    /// pad[((r - r0)·S + c mod S)·cols + c div S], S = SW (1 or 2; <see cref="Im2Col"/> and <see cref="StemConv"/> read
    /// it too). Rows outside the image are zeroed; the border columns are not written. At stride 2 each 32 inputs split
    /// into their even and odd lanes; a row's last partial vectors are read and written masked.</summary>
    internal static void FillRows(in ConvGeometry g, float* x, float* pad, int cols, int r0, int r1)
    {
        long rowFloats = (long)g.SW * cols;
        // Held in locals: read from the static fields inside the loop they cost 0.29 → 0.47 ms on 96 × 112² / 2.
        Vector512<int> evenLanes = Lanes.Even, oddLanes = Lanes.Odd;
        for (int r = r0; r < r1; r++)
        {
            int ih = r - g.PT;
            float* row = pad + (r - r0) * rowFloats;
            if ((uint)ih < (uint)g.H) FillRow(g, x + (long)ih * g.W, row, cols, evenLanes, oddLanes);
            else new Span<float>(row, (int)rowFloats).Clear();
        }
    }

    /// <summary>One input row into its padded row at <paramref name="dst"/> (<see cref="FillRows"/>' layout).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillRow(in ConvGeometry g, float* src, float* dst, int cols, Vector512<int> evenLanes, Vector512<int> oddLanes)
    {
        int s = g.SW;
        // Input columns that land inside the buffer (the rest no output reads).
        int w = Math.Min(g.W, s * cols - g.PL);
        if (w <= 0) return;
        if (s == 1)
        {
            Lanes.Copy(src, dst + g.PL, w);
            return;
        }
        // Input column iw sits at padded column PL + iw: phase (PL + iw) & 1, column (PL + iw) >> 1. Taken 32 at a
        // time from an even iw, the even lanes go to phase PL & 1 and the odd ones to the other.
        int first = g.PL & 1;
        float* even = dst + first * cols + (g.PL >> 1), odd = dst + (1 - first) * cols + ((g.PL + 1) >> 1);
        for (int iw = 0; iw < w; iw += 2 * L)
        {
            int left = w - iw;
            Vector512<float> a, c;
            if (left >= 2 * L)
            {
                a = Vector512.Load(src + iw);
                c = Vector512.Load(src + iw + L);
            }
            else
            {
                a = Lanes.Load(src + iw, left);
                c = Lanes.Load(src + iw + L, left - L);
            }
            int ne = (left + 1) >> 1, no = left >> 1, j = iw >> 1;
            var ev = Avx512F.PermuteVar16x32x2(a, evenLanes, c);
            var od = Avx512F.PermuteVar16x32x2(a, oddLanes, c);
            if (ne >= L) ev.Store(even + j); else Avx512F.MaskStore(even + j, Lanes.First(ne), ev);
            if (no >= L) od.Store(odd + j); else Avx512F.MaskStore(odd + j, Lanes.First(no), od);
        }
    }

    /// <summary>1×1: y = epilogue(w·x + bias) over the plane's n elements, four vectors a step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plane1x1<TAct>(int n, float* x, float w, float bias, float* y, in EpilogueMath<TAct> e) where TAct : struct, IUnaryMath
    {
        Vector512<float> wv = Vector512.Create(w), bv = Vector512.Create(bias);
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L)
        {
            Store(Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + i), bv), y + i, L, e);
            Store(Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + i + L), bv), y + i + L, L, e);
            Store(Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + i + 2 * L), bv), y + i + 2 * L, L, e);
            Store(Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + i + 3 * L), bv), y + i + 3 * L, L, e);
        }
        for (; i < n; i += L)
        {
            var v = Lanes.Load(x + i, n - i);
            Store(Vector512.FusedMultiplyAdd(wv, v, bv), y + i, n - i, e);
        }
    }

    /// <summary>3×3: output rows in pairs (stride 1 reads 4 padded rows for 2 outputs, stride 2 reads 5), then a last
    /// single row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plane3x3<TAct>(in ConvGeometry g, float* pad, int cols, float* w, float bias, float* y, in EpilogueMath<TAct> e)
        where TAct : struct, IUnaryMath
    {
        int s = g.SW, ow = g.OW;
        long rs = (long)s * cols;   // floats per padded row
        // Tap kw's column offset: phase (kw mod S) and shift (kw div S).
        long c1 = s == 1 ? 1 : cols, c2 = s == 1 ? 2 : 1;
        Vector512<float> w00 = Vector512.Create(w[0]), w01 = Vector512.Create(w[1]), w02 = Vector512.Create(w[2]);
        Vector512<float> w10 = Vector512.Create(w[3]), w11 = Vector512.Create(w[4]), w12 = Vector512.Create(w[5]);
        Vector512<float> w20 = Vector512.Create(w[6]), w21 = Vector512.Create(w[7]), w22 = Vector512.Create(w[8]);
        var bv = Vector512.Create(bias);
        int oh = 0;
        for (; oh + 2 <= g.OH; oh += 2)
        {
            float* r0 = pad + oh * s * rs;
            float* y0 = y + (long)oh * ow, y1 = y0 + ow;
            for (int o = 0; o < ow; o += L)
            {
                float* r = r0 + o;
                var a = bv;
                a = Vector512.FusedMultiplyAdd(w00, Vector512.Load(r), a);
                a = Vector512.FusedMultiplyAdd(w01, Vector512.Load(r + c1), a);
                a = Vector512.FusedMultiplyAdd(w02, Vector512.Load(r + c2), a);
                r += rs;
                var x0 = Vector512.Load(r); var x1 = Vector512.Load(r + c1); var x2 = Vector512.Load(r + c2);
                a = Vector512.FusedMultiplyAdd(w10, x0, a); a = Vector512.FusedMultiplyAdd(w11, x1, a); a = Vector512.FusedMultiplyAdd(w12, x2, a);
                var b = bv;
                if (s == 1)
                {
                    b = Vector512.FusedMultiplyAdd(w00, x0, b); b = Vector512.FusedMultiplyAdd(w01, x1, b); b = Vector512.FusedMultiplyAdd(w02, x2, b);
                }
                r += rs;
                x0 = Vector512.Load(r); x1 = Vector512.Load(r + c1); x2 = Vector512.Load(r + c2);
                a = Vector512.FusedMultiplyAdd(w20, x0, a); a = Vector512.FusedMultiplyAdd(w21, x1, a); a = Vector512.FusedMultiplyAdd(w22, x2, a);
                if (s == 1)
                {
                    b = Vector512.FusedMultiplyAdd(w10, x0, b); b = Vector512.FusedMultiplyAdd(w11, x1, b); b = Vector512.FusedMultiplyAdd(w12, x2, b);
                }
                else
                {
                    b = Vector512.FusedMultiplyAdd(w00, x0, b); b = Vector512.FusedMultiplyAdd(w01, x1, b); b = Vector512.FusedMultiplyAdd(w02, x2, b);
                    r += rs;
                    x0 = Vector512.Load(r); x1 = Vector512.Load(r + c1); x2 = Vector512.Load(r + c2);
                    b = Vector512.FusedMultiplyAdd(w10, x0, b); b = Vector512.FusedMultiplyAdd(w11, x1, b); b = Vector512.FusedMultiplyAdd(w12, x2, b);
                }
                r += rs;
                x0 = Vector512.Load(r); x1 = Vector512.Load(r + c1); x2 = Vector512.Load(r + c2);
                b = Vector512.FusedMultiplyAdd(w20, x0, b); b = Vector512.FusedMultiplyAdd(w21, x1, b); b = Vector512.FusedMultiplyAdd(w22, x2, b);
                Store(a, y0 + o, ow - o, e);
                Store(b, y1 + o, ow - o, e);
            }
        }
        for (; oh < g.OH; oh++)
        {
            float* r0 = pad + oh * s * rs, y0 = y + (long)oh * ow;
            for (int o = 0; o < ow; o += L)
            {
                float* r = r0 + o;
                var a = bv;
                a = Vector512.FusedMultiplyAdd(w00, Vector512.Load(r), a);
                a = Vector512.FusedMultiplyAdd(w01, Vector512.Load(r + c1), a);
                a = Vector512.FusedMultiplyAdd(w02, Vector512.Load(r + c2), a);
                r += rs;
                a = Vector512.FusedMultiplyAdd(w10, Vector512.Load(r), a);
                a = Vector512.FusedMultiplyAdd(w11, Vector512.Load(r + c1), a);
                a = Vector512.FusedMultiplyAdd(w12, Vector512.Load(r + c2), a);
                r += rs;
                a = Vector512.FusedMultiplyAdd(w20, Vector512.Load(r), a);
                a = Vector512.FusedMultiplyAdd(w21, Vector512.Load(r + c1), a);
                a = Vector512.FusedMultiplyAdd(w22, Vector512.Load(r + c2), a);
                Store(a, y0 + o, ow - o, e);
            }
        }
    }

    /// <summary>5×5: output rows in pairs with the 25 weights in registers (stride 1 reads 6 padded rows for 2 outputs,
    /// stride 2 reads 7), then a last single row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plane5x5<TAct>(in ConvGeometry g, float* pad, int cols, float* w, float bias, float* y, in EpilogueMath<TAct> e)
        where TAct : struct, IUnaryMath
    {
        int s = g.SW, ow = g.OW;
        long rs = (long)s * cols;
        // Tap kw's column offset: phase (kw mod S) and shift (kw div S).
        long o1 = s == 1 ? 1 : cols, o2 = s == 1 ? 2 : 1, o3 = s == 1 ? 3 : cols + 1, o4 = s == 1 ? 4 : 2;
        var r0w = new Row5(w); var r1w = new Row5(w + 5); var r2w = new Row5(w + 10); var r3w = new Row5(w + 15); var r4w = new Row5(w + 20);
        var bv = Vector512.Create(bias);
        int oh = 0;
        for (; oh + 2 <= g.OH; oh += 2)
        {
            float* p0 = pad + oh * s * rs;
            float* y0 = y + (long)oh * ow, y1 = y0 + ow;
            for (int o = 0; o < ow; o += L)
            {
                float* r = p0 + o;
                Vector512<float> a = bv, b = bv;
                // Padded rows of the first output's window (0 … 4) and of the second's (S … S + 4).
                a = r0w.Fma(a, r, o1, o2, o3, o4);
                if (s == 1)
                {
                    r += rs; Both(ref a, r1w, ref b, r0w, r, o1, o2, o3, o4);
                    r += rs; Both(ref a, r2w, ref b, r1w, r, o1, o2, o3, o4);
                    r += rs; Both(ref a, r3w, ref b, r2w, r, o1, o2, o3, o4);
                    r += rs; Both(ref a, r4w, ref b, r3w, r, o1, o2, o3, o4);
                    r += rs; b = r4w.Fma(b, r, o1, o2, o3, o4);
                }
                else
                {
                    r += rs; a = r1w.Fma(a, r, o1, o2, o3, o4);
                    r += rs; Both(ref a, r2w, ref b, r0w, r, o1, o2, o3, o4);
                    r += rs; Both(ref a, r3w, ref b, r1w, r, o1, o2, o3, o4);
                    r += rs; Both(ref a, r4w, ref b, r2w, r, o1, o2, o3, o4);
                    r += rs; b = r3w.Fma(b, r, o1, o2, o3, o4);
                    r += rs; b = r4w.Fma(b, r, o1, o2, o3, o4);
                }
                Store(a, y0 + o, ow - o, e);
                Store(b, y1 + o, ow - o, e);
            }
        }
        for (; oh < g.OH; oh++)
        {
            float* p0 = pad + oh * s * rs, y0 = y + (long)oh * ow;
            for (int o = 0; o < ow; o += L)
            {
                float* r = p0 + o;
                var a = r0w.Fma(bv, r, o1, o2, o3, o4);
                r += rs; a = r1w.Fma(a, r, o1, o2, o3, o4);
                r += rs; a = r2w.Fma(a, r, o1, o2, o3, o4);
                r += rs; a = r3w.Fma(a, r, o1, o2, o3, o4);
                r += rs; a = r4w.Fma(a, r, o1, o2, o3, o4);
                Store(a, y0 + o, ow - o, e);
            }
        }
    }

    /// <summary>One padded row's five loads feeding two accumulators (window rows of two output rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Both(ref Vector512<float> a, in Row5 wa, ref Vector512<float> b, in Row5 wb, float* r, long o1, long o2, long o3, long o4)
    {
        var x0 = Vector512.Load(r); var x1 = Vector512.Load(r + o1); var x2 = Vector512.Load(r + o2);
        var x3 = Vector512.Load(r + o3); var x4 = Vector512.Load(r + o4);
        a = Vector512.FusedMultiplyAdd(wa.W0, x0, a); b = Vector512.FusedMultiplyAdd(wb.W0, x0, b);
        a = Vector512.FusedMultiplyAdd(wa.W1, x1, a); b = Vector512.FusedMultiplyAdd(wb.W1, x1, b);
        a = Vector512.FusedMultiplyAdd(wa.W2, x2, a); b = Vector512.FusedMultiplyAdd(wb.W2, x2, b);
        a = Vector512.FusedMultiplyAdd(wa.W3, x3, a); b = Vector512.FusedMultiplyAdd(wb.W3, x3, b);
        a = Vector512.FusedMultiplyAdd(wa.W4, x4, a); b = Vector512.FusedMultiplyAdd(wb.W4, x4, b);
    }

    /// <summary>A window row's five weights, broadcast.</summary>
    private readonly struct Row5(float* w)
    {
        public readonly Vector512<float> W0 = Vector512.Create(w[0]), W1 = Vector512.Create(w[1]), W2 = Vector512.Create(w[2]),
            W3 = Vector512.Create(w[3]), W4 = Vector512.Create(w[4]);

        /// <summary>acc + this row's taps over the padded row at r.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Fma(Vector512<float> acc, float* r, long o1, long o2, long o3, long o4)
        {
            acc = Vector512.FusedMultiplyAdd(W0, Vector512.Load(r), acc);
            acc = Vector512.FusedMultiplyAdd(W1, Vector512.Load(r + o1), acc);
            acc = Vector512.FusedMultiplyAdd(W2, Vector512.Load(r + o2), acc);
            acc = Vector512.FusedMultiplyAdd(W3, Vector512.Load(r + o3), acc);
            return Vector512.FusedMultiplyAdd(W4, Vector512.Load(r + o4), acc);
        }
    }

    /// <summary>Stores epilogue(acc) at y: a full vector, or the first <paramref name="left"/> lanes masked (the
    /// residual read masked too). A compute-bound activation (exp) stores acc as it is and is left to the pass over the
    /// finished rows (<see cref="Forward"/>): inside the loops it pushed the held weights out of registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TAct>(Vector512<float> acc, float* y, int left, in EpilogueMath<TAct> e) where TAct : struct, IUnaryMath
    {
        if (TAct.ComputeBound)
        {
            if (left >= L) acc.Store(y);
            else Avx512F.MaskStore(y, Lanes.First(left), acc);
            return;
        }
        if (left >= L)
        {
            (e.IsActive ? e.Apply(acc, y) : acc).Store(y);
            return;
        }
        var keep = Lanes.First(left);
        if (e.HasResidual) acc += Avx512F.MaskLoad(e.ResidualOf(y), keep, Vector512<float>.Zero);
        Avx512F.MaskStore(y, keep, e.Activate(acc));
    }
}

/// <summary>Runs <see cref="DepthwisePlanes.Forward"/> with the activation functor <see cref="UnaryDispatch"/> picks.</summary>
internal readonly unsafe struct DepthwisePlanesRun(CpuMemoryPool memory, int threads, ConvGeometry g, long planes, int channels,
    float* x, float* w, float* bias, float* y, float* residual) : IUnaryMathVisitor
{
    public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath =>
        DepthwisePlanes.Forward(memory, threads, g, planes, channels, x, w, bias, y, new EpilogueMath<TMath>(math, residual, y));
}
