using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Cpu.Simd;
using Tessera.Devices;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Direct forward convolution for small channel counts (LeNet-style layers), where the GEMM path spends more
/// time packing B panels and on per-call overhead than multiplying: unit dilation, one group, unit stride (or stride 2
/// with a multiple of 16 outputs: network stems).
/// Output "chunks" are 8 consecutive outputs of one output row (the last chunk of a row is shifted left to end at
/// the row's end, so rows need OW ≥ 8; overlapping outputs are simply written twice with the same value). A register
/// tile is 4 output channels × 3 chunks, or 6 × 2 when o is better covered by sixes (twelve 256-bit accumulators,
/// started at the bias): per tap, three (two) unaligned input loads and four (six) weight broadcasts feed twelve FMAs,
/// read straight from the (padded, if needed) input planes. With o a multiple of 16 and rows not a multiple of 8 wide,
/// the tile is instead 16 channels (vectors across channels) × 6 output positions, which wastes no lanes on overlap.
/// Chunks are grouped across rows too, so narrow rows (OW = 8) still fill the tile. A fused epilogue (residual,
/// activation) is applied to the accumulators as they are stored; overlapping chunks store the same values.</summary>
internal static unsafe class DirectConv
{
    private const int V = 8;

    /// <summary>Whether the direct path handles this convolution.</summary>
    public static bool Applies(in ConvGeometry g, int c, int o, int groups) =>
        Vector256.IsHardwareAccelerated && groups == 1 && g.DH == 1 && g.DW == 1
        // Unit stride: every tile shape; stride 2 (network stems: 3 input channels, 16 or 32 outputs): the 16-channel
        // tile, which reads its positions one by one.
        && (g.SH == 1 && g.SW == 1 || g.SH <= 2 && g.SW <= 2 && o % 16 == 0)
        && g.OW >= V && c <= 16 && o <= 32 && (long)c * g.KK <= 1024 && g.OH > 0
        // Tap and position offsets are ints.
        && (long)c * Math.Max(g.HW, (long)(g.OH + g.KH) * (g.OW + g.KW)) < int.MaxValue / 2;

    /// <summary>y[n, o, OH, OW] = epilogue(bias + conv(x, w)). x and w are contiguous; y is fully written.</summary>
    public static void Forward<TAct>(CpuMemoryPool memory, int threads, in ConvGeometry g, int n, int c, int o,
        float* x, float* w, float* bias, float* y, EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        // Tile shape: 4 channels × 3 chunks, or 6 channels × 2 chunks when that wastes fewer channel slots (o = 6, 12, …).
        // Sixteen-channel tiles over arbitrary output positions when rows are not a multiple of 8 wide (the shifted last
        // chunk would recompute up to 7 outputs per row); measured ~33% faster for 16 channels on 10-wide rows.
        bool wideO = o % 16 == 0 && (g.OW % V != 0 || g.SH != 1 || g.SW != 1);
        int tileO = wideO ? 16 : (o + 5) / 6 * 6 < (o + 3) / 4 * 4 ? 6 : 4;
        int kdim = c * g.KK, oBlocks = (o + tileO - 1) / tileO;
        // Padded plane sizes: the input as the convolution sees it (zero border), so every tap read is in bounds.
        int hp = (g.OH - 1) * g.SH + g.KH, wp = (g.OW - 1) * g.SW + g.KW;
        bool padded = g.PT != 0 || g.PL != 0 || hp != g.H || wp != g.W;
        int ph = padded ? hp : g.H, pw = padded ? wp : g.W;
        // Weights as [oBlock][tap][tileO] (zero rows for channels past o), tap offsets into the (padded) input.
        using var wBuf = memory.Rent((long)oBlocks * kdim * tileO * sizeof(float) + 64);
        using var offBuf = memory.Rent((long)kdim * sizeof(int) + 64);
        using var bBuf = memory.Rent((long)oBlocks * tileO * sizeof(float) + 64);
        float* wpk = (float*)wBuf.Handle, bp = (float*)bBuf.Handle;
        int* offs = (int*)offBuf.Handle;
        for (int ob = 0; ob < oBlocks; ob++)
            for (int t = 0; t < kdim; t++)
                for (int j = 0; j < tileO; j++)
                {
                    int oc = ob * tileO + j;
                    wpk[((long)ob * kdim + t) * tileO + j] = oc < o ? w[(long)oc * kdim + t] : 0f;
                }
        for (int oc = 0; oc < oBlocks * tileO; oc++) bp[oc] = bias is not null && oc < o ? bias[oc] : 0f;
        for (int t = 0; t < kdim; t++)
        {
            int ci = t / g.KK, r = t % g.KK;
            offs[t] = ci * ph * pw + r / g.KW * pw + r % g.KW;
        }

        // Work: one sample per item; a few samples per chunk so small layers are not split into tiny tasks.
        long perSample = (long)o * g.P * kdim;
        long grain = Math.Max(1, 65536 / Math.Max(1, perSample));
        int slotCount = CpuParallel.Slots(n, threads, grain);
        long padFloats = padded ? (long)c * ph * pw : 0;
        var pads = new DeviceBuffer?[slotCount];
        try
        {
            for (int s = 0; s < slotCount; s++) pads[s] = padded ? memory.Rent(padFloats * sizeof(float) + 64) : null;
            var st = (g, c, o, kdim, oBlocks, tileO, ph, pw, padded, x: (nint)x, y: (nint)y, w: (nint)wpk, b: (nint)bp, offs: (nint)offs, pads, epilogue);
            CpuParallel.ForSlots(n, threads, grain, st, static (s, b0, b1, slot) =>
            {
                var g = s.g;
                int chunksPerRow = (g.OW + V - 1) / V, chunks = g.OH * chunksPerRow;
                for (long b = b0; b < b1; b++)
                {
                    float* xs = (float*)s.x + b * s.c * g.HW;
                    if (s.padded)
                    {
                        float* dst = (float*)s.pads[slot]!.Handle;
                        PadSample(g, xs, s.c, s.ph, s.pw, dst);
                        xs = dst;
                    }
                    for (int ob = 0; ob < s.oBlocks; ob++)
                    {
                        int oc0 = ob * s.tileO, live = Math.Min(s.tileO, s.o - oc0);
                        float* wb = (float*)s.w + (long)ob * s.kdim * s.tileO;
                        float* bb = (float*)s.b + oc0;
                        float* yb = (float*)s.y + (b * s.o + oc0) * g.P;
                        if (s.tileO == 16)
                        {
                            for (int q = 0; q < g.P; q += 6)
                            {
                                int cnt = Math.Min(6, g.P - q);
                                TileC16(s.kdim, (int*)s.offs, wb, bb, xs, g, s.pw, q, cnt, yb, g.P, s.epilogue);
                            }
                            continue;
                        }
                        if (s.tileO == 6)
                        {
                            for (int q = 0; q < chunks; q += 2)
                            {
                                int i0 = ChunkOut(g, q, chunksPerRow), i1 = ChunkOut(g, Math.Min(q + 1, chunks - 1), chunksPerRow);
                                Tile6x2(s.kdim, (int*)s.offs, wb, bb, xs + In(g, i0, s.pw), xs + In(g, i1, s.pw), yb + i0, yb + i1, g.P, live, s.epilogue);
                            }
                            continue;
                        }
                        for (int q = 0; q < chunks; q += 3)
                        {
                            int q1 = Math.Min(q + 1, chunks - 1), q2 = Math.Min(q + 2, chunks - 1);
                            int i0 = ChunkOut(g, q, chunksPerRow), i1 = ChunkOut(g, q1, chunksPerRow), i2 = ChunkOut(g, q2, chunksPerRow);
                            Tile(s.kdim, (int*)s.offs, wb, bb,
                                xs + In(g, i0, s.pw), xs + In(g, i1, s.pw), xs + In(g, i2, s.pw),
                                yb + i0, yb + i1, yb + i2, g.P, live, s.epilogue);
                        }
                    }
                }
            });
        }
        finally
        {
            foreach (var p in pads) p?.Dispose();
        }
    }

    /// <summary>Flat output index (oh·OW + ow0) of chunk q: the row's chunks start every V columns, the last one ends at OW.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ChunkOut(in ConvGeometry g, int q, int chunksPerRow)
    {
        int oh = q / chunksPerRow, ow0 = Math.Min(q % chunksPerRow * V, g.OW - V);
        return oh * g.OW + ow0;
    }

    /// <summary>Offset in the (padded) input plane of output index i's top-left tap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int In(in ConvGeometry g, int i, int pw) => i / g.OW * g.SH * pw + i % g.OW * g.SW;

    /// <summary>Copies one sample's planes into a zero-bordered [c, ph, pw] buffer.</summary>
    private static void PadSample(in ConvGeometry g, float* x, int c, int ph, int pw, float* dst)
    {
        new Span<float>(dst, c * ph * pw).Clear();
        for (int ci = 0; ci < c; ci++)
            for (int ih = 0; ih < g.H; ih++)
            {
                int r = ih + g.PT;
                if ((uint)r >= (uint)ph) continue;
                // Columns iw land at iw + PL; keep those inside [0, pw).
                int a = Math.Max(0, -g.PL), e = Math.Min(g.W, pw - g.PL);
                if (e > a)
                    new ReadOnlySpan<float>(x + (long)ci * g.HW + (long)ih * g.W + a, e - a)
                        .CopyTo(new Span<float>(dst + ((long)ci * ph + r) * pw + a + g.PL, e - a));
            }
    }

    /// <summary>Four output channels (rows plane apart; only the first <paramref name="live"/> stored) × three 8-wide chunks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void Tile<TAct>(int kdim, int* offs, float* w, float* bias, float* x0, float* x1, float* x2,
        float* y0, float* y1, float* y2, int plane, int live, in EpilogueMath<TAct> e) where TAct : struct, IUnaryMath
    {
        var c00 = Vector256.Create(bias[0]); var c01 = c00; var c02 = c00;
        var c10 = Vector256.Create(bias[1]); var c11 = c10; var c12 = c10;
        var c20 = Vector256.Create(bias[2]); var c21 = c20; var c22 = c20;
        var c30 = Vector256.Create(bias[3]); var c31 = c30; var c32 = c30;
        for (int t = 0; t < kdim; t++, w += 4)
        {
            int off = offs[t];
            var v0 = Vector256.Load(x0 + off);
            var v1 = Vector256.Load(x1 + off);
            var v2 = Vector256.Load(x2 + off);
            var k = Vector256.Create(w[0]);
            c00 = Vector256.FusedMultiplyAdd(k, v0, c00); c01 = Vector256.FusedMultiplyAdd(k, v1, c01); c02 = Vector256.FusedMultiplyAdd(k, v2, c02);
            k = Vector256.Create(w[1]);
            c10 = Vector256.FusedMultiplyAdd(k, v0, c10); c11 = Vector256.FusedMultiplyAdd(k, v1, c11); c12 = Vector256.FusedMultiplyAdd(k, v2, c12);
            k = Vector256.Create(w[2]);
            c20 = Vector256.FusedMultiplyAdd(k, v0, c20); c21 = Vector256.FusedMultiplyAdd(k, v1, c21); c22 = Vector256.FusedMultiplyAdd(k, v2, c22);
            k = Vector256.Create(w[3]);
            c30 = Vector256.FusedMultiplyAdd(k, v0, c30); c31 = Vector256.FusedMultiplyAdd(k, v1, c31); c32 = Vector256.FusedMultiplyAdd(k, v2, c32);
        }
        if (e.IsActive)
        {
            float* t = stackalloc float[4 * 3 * 8];
            c00.Store(t); c01.Store(t + 8); c02.Store(t + 16); c10.Store(t + 24); c11.Store(t + 32); c12.Store(t + 40);
            c20.Store(t + 48); c21.Store(t + 56); c22.Store(t + 64); c30.Store(t + 72); c31.Store(t + 80); c32.Store(t + 88);
            Flush(e, t, 3, y0, y1, y2, plane, live);
            return;
        }
        // Trailing chunks that repeat the last one hold identical values, so the duplicate stores are harmless.
        c00.Store(y0); c01.Store(y1); c02.Store(y2);
        if (live < 2) return;
        c10.Store(y0 + plane); c11.Store(y1 + plane); c12.Store(y2 + plane);
        if (live < 3) return;
        c20.Store(y0 + 2 * plane); c21.Store(y1 + 2 * plane); c22.Store(y2 + 2 * plane);
        if (live < 4) return;
        c30.Store(y0 + 3 * plane); c31.Store(y1 + 3 * plane); c32.Store(y2 + 3 * plane);
    }

    /// <summary>Stores a tile's accumulators, parked as t[channel][chunk] (8 floats each), through the epilogue: the
    /// accumulators are dead by then, so an activation that calls out (exp) does not make the register allocator spill
    /// them inside the tap loop. Chunks that repeat the last one store the same values again, which is harmless.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Flush<TAct>(in EpilogueMath<TAct> e, float* t, int chunks, float* y0, float* y1, float* y2, int plane, int live)
        where TAct : struct, IUnaryMath
    {
        for (int ch = 0; ch < live; ch++)
            for (int q = 0; q < chunks; q++)
            {
                float* y = (q == 0 ? y0 : q == 1 ? y1 : y2) + (long)ch * plane;
                e.Apply(Vector256.Load(t + (ch * chunks + q) * 8), y).Store(y);
            }
    }

    /// <summary>Six output channels × two 8-wide chunks (same contract as <see cref="Tile"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void Tile6x2<TAct>(int kdim, int* offs, float* w, float* bias, float* x0, float* x1,
        float* y0, float* y1, int plane, int live, in EpilogueMath<TAct> e) where TAct : struct, IUnaryMath
    {
        var c00 = Vector256.Create(bias[0]); var c01 = c00;
        var c10 = Vector256.Create(bias[1]); var c11 = c10;
        var c20 = Vector256.Create(bias[2]); var c21 = c20;
        var c30 = Vector256.Create(bias[3]); var c31 = c30;
        var c40 = Vector256.Create(bias[4]); var c41 = c40;
        var c50 = Vector256.Create(bias[5]); var c51 = c50;
        for (int t = 0; t < kdim; t++, w += 6)
        {
            int off = offs[t];
            var v0 = Vector256.Load(x0 + off);
            var v1 = Vector256.Load(x1 + off);
            var k = Vector256.Create(w[0]);
            c00 = Vector256.FusedMultiplyAdd(k, v0, c00); c01 = Vector256.FusedMultiplyAdd(k, v1, c01);
            k = Vector256.Create(w[1]);
            c10 = Vector256.FusedMultiplyAdd(k, v0, c10); c11 = Vector256.FusedMultiplyAdd(k, v1, c11);
            k = Vector256.Create(w[2]);
            c20 = Vector256.FusedMultiplyAdd(k, v0, c20); c21 = Vector256.FusedMultiplyAdd(k, v1, c21);
            k = Vector256.Create(w[3]);
            c30 = Vector256.FusedMultiplyAdd(k, v0, c30); c31 = Vector256.FusedMultiplyAdd(k, v1, c31);
            k = Vector256.Create(w[4]);
            c40 = Vector256.FusedMultiplyAdd(k, v0, c40); c41 = Vector256.FusedMultiplyAdd(k, v1, c41);
            k = Vector256.Create(w[5]);
            c50 = Vector256.FusedMultiplyAdd(k, v0, c50); c51 = Vector256.FusedMultiplyAdd(k, v1, c51);
        }
        if (e.IsActive)
        {
            float* t = stackalloc float[6 * 2 * 8];
            c00.Store(t); c01.Store(t + 8); c10.Store(t + 16); c11.Store(t + 24); c20.Store(t + 32); c21.Store(t + 40);
            c30.Store(t + 48); c31.Store(t + 56); c40.Store(t + 64); c41.Store(t + 72); c50.Store(t + 80); c51.Store(t + 88);
            Flush(e, t, 2, y0, y1, null, plane, live);
            return;
        }
        c00.Store(y0); c01.Store(y1);
        if (live < 2) return;
        c10.Store(y0 + plane); c11.Store(y1 + plane);
        if (live < 3) return;
        c20.Store(y0 + 2 * plane); c21.Store(y1 + 2 * plane);
        if (live < 4) return;
        c30.Store(y0 + 3 * plane); c31.Store(y1 + 3 * plane);
        if (live < 5) return;
        c40.Store(y0 + 4 * plane); c41.Store(y1 + 4 * plane);
        if (live < 6) return;
        c50.Store(y0 + 5 * plane); c51.Store(y1 + 5 * plane);
    }
    /// <summary>Sixteen output channels (two 8-wide vectors across channels) × six output positions (any positions,
    /// so rows of any width are covered without overlap): per tap, two weight loads and six input broadcasts feed
    /// twelve FMAs. The first <paramref name="count"/> positions from flat output index q0 are stored.</summary>
    /// <remarks>The stack tile is not zeroed (every element is written before it is read): zeroing it through a helper
    /// call would make the register allocator spill the accumulators inside the loop.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void TileC16<TAct>(int kdim, int* offs, float* w, float* bias, float* xs, in ConvGeometry g, int pw, int q0, int count,
        float* y, int plane, in EpilogueMath<TAct> e) where TAct : struct, IUnaryMath
    {
        int last = q0 + count - 1;
        float* x0 = xs + In(g, q0, pw), x1 = xs + In(g, Math.Min(q0 + 1, last), pw), x2 = xs + In(g, Math.Min(q0 + 2, last), pw);
        float* x3 = xs + In(g, Math.Min(q0 + 3, last), pw), x4 = xs + In(g, Math.Min(q0 + 4, last), pw), x5 = xs + In(g, Math.Min(q0 + 5, last), pw);
        var bl = Vector256.Load(bias); var bh = Vector256.Load(bias + 8);
        Vector256<float> a0l = bl, a0h = bh, a1l = bl, a1h = bh, a2l = bl, a2h = bh, a3l = bl, a3h = bh, a4l = bl, a4h = bh, a5l = bl, a5h = bh;
        for (int t = 0; t < kdim; t++, w += 16)
        {
            int off = offs[t];
            var wl = Vector256.Load(w);
            var wh = Vector256.Load(w + 8);
            var v = Vector256.Create(x0[off]); a0l = Vector256.FusedMultiplyAdd(v, wl, a0l); a0h = Vector256.FusedMultiplyAdd(v, wh, a0h);
            v = Vector256.Create(x1[off]); a1l = Vector256.FusedMultiplyAdd(v, wl, a1l); a1h = Vector256.FusedMultiplyAdd(v, wh, a1h);
            v = Vector256.Create(x2[off]); a2l = Vector256.FusedMultiplyAdd(v, wl, a2l); a2h = Vector256.FusedMultiplyAdd(v, wh, a2h);
            v = Vector256.Create(x3[off]); a3l = Vector256.FusedMultiplyAdd(v, wl, a3l); a3h = Vector256.FusedMultiplyAdd(v, wh, a3h);
            v = Vector256.Create(x4[off]); a4l = Vector256.FusedMultiplyAdd(v, wl, a4l); a4h = Vector256.FusedMultiplyAdd(v, wh, a4h);
            v = Vector256.Create(x5[off]); a5l = Vector256.FusedMultiplyAdd(v, wl, a5l); a5h = Vector256.FusedMultiplyAdd(v, wh, a5h);
        }
        // Transpose out: tile[r·16 + ch] → y[ch·plane + q0 + r]. The epilogue runs on the tile in vectors first, the
        // residual gathered into the tile's layout.
        float* tile = stackalloc float[2 * 6 * 16];
        a0l.Store(tile); a0h.Store(tile + 8); a1l.Store(tile + 16); a1h.Store(tile + 24);
        a2l.Store(tile + 32); a2h.Store(tile + 40); a3l.Store(tile + 48); a3h.Store(tile + 56);
        a4l.Store(tile + 64); a4h.Store(tile + 72); a5l.Store(tile + 80); a5h.Store(tile + 88);
        if (e.IsActive)
        {
            float* res = tile + 6 * 16;
            if (e.HasResidual)
                for (int ch = 0; ch < 16; ch++)
                {
                    float* rc = e.ResidualOf(y + (long)ch * plane + q0);
                    for (int r = 0; r < 6; r++) res[r * 16 + ch] = r < count ? rc[r] : 0f;
                }
            for (int k = 0; k < 6 * 16; k += 8)
            {
                var v = Vector256.Load(tile + k);
                if (e.HasResidual) v += Vector256.Load(res + k);
                e.Activate(v).Store(tile + k);
            }
        }
        for (int ch = 0; ch < 16; ch++)
        {
            float* yc = y + (long)ch * plane + q0;
            for (int r = 0; r < count; r++) yc[r] = tile[r * 16 + ch];
        }
    }
}

/// <summary>Runs <see cref="DirectConv.Forward"/> with the activation functor <see cref="UnaryDispatch"/> picks.</summary>
internal readonly unsafe struct DirectConvRun(CpuMemoryPool memory, int threads, ConvGeometry g, int n, int c, int o,
    float* x, float* w, float* bias, float* y, float* residual) : IUnaryMathVisitor
{
    public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath =>
        DirectConv.Forward(memory, threads, g, n, c, o, x, w, bias, y, new EpilogueMath<TMath>(math, residual, y));
}
