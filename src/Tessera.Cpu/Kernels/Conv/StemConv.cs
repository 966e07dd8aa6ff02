using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;
using Tessera.Devices;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Network stems: a stride-2 convolution of a few input channels (an image's three) with a multiple of 8
/// outputs, any window (3×3, 7×7). The im2col product there is 27 (147) deep, so its micro-tiles are mostly stores and
/// its panels strided gathers (81 GFLOP/s on SqueezeNet's 3 → 64 3×3 / 2). Here a register tile is 2 output rows × 16
/// positions × 8 output channels (sixteen 512-bit accumulators, started at the bias): per tap, each row's 16 inputs
/// are one load and 8 weight broadcasts feed 16 FMAs. The input is copied, a band of 16 output rows' worth at a time,
/// into a zero-bordered buffer whose rows are split into their even and odd columns, so a tap's stride-2 inputs are
/// contiguous (taking the even floats of 32 with a permute instead cost 5-11 %: 3 → 32 on 224×224 0.147 → 0.135 ms)
/// and no load needs a mask. The band stays in L2: padding the whole image first sent 0.7 MB to memory and back on a
/// model's first node (MobileNetV2's stem 214-234 → 156-166 µs in the model, 0.133 → 0.124 ms alone). A row's last
/// chunk is shifted left to end at the row's end (outputs written twice hold the same values), and an odd last row
/// pairs with itself.</summary>
internal static unsafe class StemConv
{
    private const int Chunk = 16, Block = 8;

    /// <summary>Whether a convolution takes this path: AVX-512, one group, at most 4 input channels, stride 2, unit
    /// dilation, at least 16 outputs per row, a multiple of 8 output channels.</summary>
    public static bool Applies(in ConvGeometry g, int c, int o, int groups) =>
        Avx512F.IsSupported && groups == 1 && c >= 1 && c <= 4 && g.SH == 2 && g.SW == 2 && g.DH == 1 && g.DW == 1
        && g.OW >= Chunk && g.OH >= 1 && o >= Block && o % Block == 0 && (long)c * g.KK <= 1024
        && (long)c * (2L * g.OH + g.KH + 1) * (2L * g.OW + g.KW + 2 * Chunk) < int.MaxValue / 2;

    /// <summary>y[n, o, OH, OW] = epilogue(bias + conv(x, w)); x and w contiguous, y fully written.</summary>
    public static void Forward<TAct>(CpuMemoryPool memory, int threads, in ConvGeometry g, int n, int c, int o,
        float* x, float* w, float* bias, float* y, EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        int kk = g.KK, taps = c * kk, blocks = o / Block;
        // A band's padded rows, split by column parity (DepthwisePlanes.FillRows' layout at stride 2): padded row r's even
        // columns at r·2·cols, its odd ones cols after, padded column q at index q / 2 of its half. A tap's 16
        // inputs, padded columns 2·(ow + i) + kw, are then one load from index ow + kw / 2 of half kw mod 2.
        int cols = (g.OW + (g.KW - 1) / 2 + 15) & ~15, bandRows = 4 * BandPairs - 2 + g.KH;
        long rowFloats = 2L * cols, plane = bandRows * rowFloats;
        int pairs = (g.OH + 1) / 2;
        using var padded = new SlotScratch(memory, CpuParallel.Slots((long)n * pairs, threads, 1), c * plane * sizeof(float));
        using var weights = memory.Rent((long)o * taps * sizeof(float));
        using var offsets = memory.Rent((long)taps * sizeof(int));
        float* wt = (float*)weights.Handle;
        int* offs = (int*)offsets.Handle;
        // Weights by block of 8 output channels, tap by tap: wt[(b·taps + t)·8 + j] = w[(8b + j)·taps + t].
        for (int b = 0; b < blocks; b++)
            for (int t = 0; t < taps; t++)
                for (int j = 0; j < Block; j++)
                    wt[((long)b * taps + t) * Block + j] = w[((long)b * Block + j) * taps + t];
        for (int ci = 0, t = 0; ci < c; ci++)
            for (int kh = 0; kh < g.KH; kh++)
                for (int kw = 0; kw < g.KW; kw++, t++)
                    offs[t] = (int)(ci * plane + kh * rowFloats + (kw & 1) * cols + (kw >> 1));

        var st = new State<TAct>(g, c, o, taps, blocks, cols, rowFloats, plane, (nint)x, (nint)wt, (nint)offs, (nint)bias, (nint)y,
            epilogue, pairs, padded);
        CpuParallel.ForSlots((long)n * pairs, threads, 1, st, static (s, i0, i1, slot) =>
        {
            float* pad = s.Padded[slot];
            new Span<float>(pad, (int)(s.C * s.Plane)).Clear();   // the border columns; each band writes its rows
            // A band of row pairs of one sample: its padded rows are filled into the slot's buffer (in L2, where the
            // whole padded image went to memory and back on a model's first node), then it runs one channel block at
            // a time, so the block's 8 output planes are written as 8 sequential streams.
            for (long i = i0; i < i1;)
            {
                int b = (int)(i / s.Pairs), j0 = (int)(i % s.Pairs);
                int j1 = (int)Math.Min(Math.Min(i1 - i, BandPairs), s.Pairs - j0) + j0;
                FillBand(s, b, 4 * j0, 4 * (j1 - 1) + 2 + s.G.KH, pad);
                for (int blk = 0; blk < s.Blocks; blk++)
                    for (int j = j0; j < j1; j++) RowPair(s, b, 2 * j, 4 * (j - j0), pad, blk);
                i += j1 - j0;
            }
        });
    }

    /// <summary>Row pairs per band: 16 output rows read 2·16 - 2 + KH padded rows per input channel.</summary>
    private const int BandPairs = 8;

    private readonly record struct State<TAct>(ConvGeometry G, int C, int O, int Taps, int Blocks, int Cols, long RowFloats, long Plane,
        nint X, nint Wt, nint Offs, nint Bias, nint Y, EpilogueMath<TAct> Epilogue, int Pairs, SlotScratch Padded) where TAct : struct, IUnaryMath;

    /// <summary>Padded rows [r0, r1) of sample b's channels into the band buffer (row r0 first).</summary>
    private static void FillBand<TAct>(in State<TAct> s, int b, int r0, int r1, float* pad) where TAct : struct, IUnaryMath
    {
        for (int ci = 0; ci < s.C; ci++)
            DepthwisePlanes.FillRows(s.G, (float*)s.X + ((long)b * s.C + ci) * s.G.HW, pad + ci * s.Plane, s.Cols, r0, r1);
    }

    /// <summary>Output rows oh and oh + 1 (oh again when it is the last) of sample b, channel block blk, every chunk;
    /// padded row 2·oh is the band's row <paramref name="bandRow"/>.</summary>
    private static void RowPair<TAct>(in State<TAct> s, int b, int oh, int bandRow, float* pad, int blk) where TAct : struct, IUnaryMath
    {
        var g = s.G;
        int oh1 = Math.Min(oh + 1, g.OH - 1);
        float* x0 = pad + bandRow * s.RowFloats, x1 = x0 + 2 * (oh1 - oh) * s.RowFloats;
        int* offs = (int*)s.Offs;
        float* bias = (float*)s.Bias;
        float* wb = (float*)s.Wt + (long)blk * s.Taps * Block;
        float* y0 = (float*)s.Y + ((long)b * s.O + (long)blk * Block) * g.P + (long)oh * g.OW, y1 = y0 + (long)(oh1 - oh) * g.OW;
        for (int ow = 0; ; ow += Chunk)
        {
            ow = Math.Min(ow, g.OW - Chunk);
            Tile(s, x0 + ow, x1 + ow, offs, wb, bias == null ? null : bias + blk * Block, y0 + ow, y1 + ow, g.P);
            if (ow == g.OW - Chunk) break;
        }
        // An activation that computes (exp) runs over the finished rows: inside the tile it would spill accumulators.
        if (TAct.ComputeBound)
            for (int j = 0; j < Block; j++)
            {
                s.Epilogue.ApplyInPlace(y0 + (long)j * g.P, g.OW);
                if (oh1 != oh) s.Epilogue.ApplyInPlace(y1 + (long)j * g.P, g.OW);
            }
    }

    /// <summary>One 2-row × 16-position × 8-channel tile: inputs at x0 and x1 (the rows' first tap), weights wb
    /// [tap][8], outputs at y0 and y1 with channels a plane (p floats) apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TAct>(in State<TAct> s, float* x0, float* x1, int* offs, float* wb, float* bias,
        float* y0, float* y1, long p) where TAct : struct, IUnaryMath
    {
        Vector512<float> a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7;
        if (bias != null)
        {
            a0 = b0 = Vector512.Create(bias[0]); a1 = b1 = Vector512.Create(bias[1]);
            a2 = b2 = Vector512.Create(bias[2]); a3 = b3 = Vector512.Create(bias[3]);
            a4 = b4 = Vector512.Create(bias[4]); a5 = b5 = Vector512.Create(bias[5]);
            a6 = b6 = Vector512.Create(bias[6]); a7 = b7 = Vector512.Create(bias[7]);
        }
        else
        {
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = Vector512<float>.Zero;
            b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = Vector512<float>.Zero;
        }
        for (int t = 0; t < s.Taps; t++, wb += Block)
        {
            var u = Vector512.Load(x0 + offs[t]);
            var v = Vector512.Load(x1 + offs[t]);
            var k = Vector512.Create(wb[0]); a0 = Vector512.FusedMultiplyAdd(u, k, a0); b0 = Vector512.FusedMultiplyAdd(v, k, b0);
            k = Vector512.Create(wb[1]); a1 = Vector512.FusedMultiplyAdd(u, k, a1); b1 = Vector512.FusedMultiplyAdd(v, k, b1);
            k = Vector512.Create(wb[2]); a2 = Vector512.FusedMultiplyAdd(u, k, a2); b2 = Vector512.FusedMultiplyAdd(v, k, b2);
            k = Vector512.Create(wb[3]); a3 = Vector512.FusedMultiplyAdd(u, k, a3); b3 = Vector512.FusedMultiplyAdd(v, k, b3);
            k = Vector512.Create(wb[4]); a4 = Vector512.FusedMultiplyAdd(u, k, a4); b4 = Vector512.FusedMultiplyAdd(v, k, b4);
            k = Vector512.Create(wb[5]); a5 = Vector512.FusedMultiplyAdd(u, k, a5); b5 = Vector512.FusedMultiplyAdd(v, k, b5);
            k = Vector512.Create(wb[6]); a6 = Vector512.FusedMultiplyAdd(u, k, a6); b6 = Vector512.FusedMultiplyAdd(v, k, b6);
            k = Vector512.Create(wb[7]); a7 = Vector512.FusedMultiplyAdd(u, k, a7); b7 = Vector512.FusedMultiplyAdd(v, k, b7);
        }
        // Row 1 first: when the pair is one row, row 0's store (with the same values) is the one that stays.
        Store(s, y1, p, b0, b1, b2, b3, b4, b5, b6, b7);
        Store(s, y0, p, a0, a1, a2, a3, a4, a5, a6, a7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TAct>(in State<TAct> s, float* y, long p, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2,
        Vector512<float> v3, Vector512<float> v4, Vector512<float> v5, Vector512<float> v6, Vector512<float> v7) where TAct : struct, IUnaryMath
    {
        if (!TAct.ComputeBound && s.Epilogue.IsActive)
        {
            v0 = s.Epilogue.Apply(v0, y); v1 = s.Epilogue.Apply(v1, y + p); v2 = s.Epilogue.Apply(v2, y + 2 * p);
            v3 = s.Epilogue.Apply(v3, y + 3 * p); v4 = s.Epilogue.Apply(v4, y + 4 * p); v5 = s.Epilogue.Apply(v5, y + 5 * p);
            v6 = s.Epilogue.Apply(v6, y + 6 * p); v7 = s.Epilogue.Apply(v7, y + 7 * p);
        }
        v0.Store(y); v1.Store(y + p); v2.Store(y + 2 * p); v3.Store(y + 3 * p);
        v4.Store(y + 4 * p); v5.Store(y + 5 * p); v6.Store(y + 6 * p); v7.Store(y + 7 * p);
    }
}

/// <summary>Runs <see cref="StemConv.Forward{TAct}"/> with the epilogue's activation functor.</summary>
internal readonly unsafe struct StemConvRun(CpuMemoryPool memory, int threads, ConvGeometry g, int n, int c, int o,
    float* x, float* w, float* bias, float* y, float* residual) : IUnaryMathVisitor
{
    public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath =>
        StemConv.Forward(memory, threads, g, n, c, o, x, w, bias, y, new EpilogueMath<TMath>(math, residual, y));
}
