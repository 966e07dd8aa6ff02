using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Kernels.Linalg;
using Tessera.Cpu.Simd;
using Tessera.Devices;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Direct forward convolution over padded rows: a GEMM whose B operand is read in place, never packed.
/// Each sample's input is copied once into zero-bordered "phase planes" (one plane per channel at unit stride;
/// SH·SW planes per channel, the input's rows and columns split by their remainder modulo the stride, otherwise).
/// Output positions are numbered along rows of the plane's width pw (oh·pw + ow, the last pw − OW of each row being
/// positions no output needs), and tap t = (c, kh, kw) of position j then reads plane element off[t] + j: every B row
/// is a contiguous run of the planes, so a vector of 16 positions is one unaligned load whatever the tap, stride or
/// padding. The weights are the GEMM's packed A (MR-row panels per depth block, packed once per graph when constant).
/// A tile is MR output channels × <see cref="NT"/> positions (twenty-four 512-bit accumulators: per tap four loads,
/// six weight broadcasts, twenty-four FMAs; a last tile of at most 32 positions runs the half kernel); positions come
/// in blocks whose input slab stays in L2 while every channel block sweeps it. The bias starts the accumulators and
/// the epilogue (residual, activation) is applied as the valid positions are copied out. A pointwise convolution
/// (1×1, unit stride, no padding) needs no planes: it reads x itself and full channel blocks accumulate in y.</summary>
internal static unsafe class RowConv
{
    private const int MR = Sgemm.MR;

    /// <summary>Positions per tile: four 512-bit vectors.</summary>
    public const int NT = 64;

    /// <summary>Taps per depth step: a tile's input rows for one step (32 KiB) stay in L1 while every channel block
    /// of its run reads them.</summary>
    private const int DepthStep = 128;

    /// <summary>Floats of input slab a pointwise convolution's block of tiles aims to keep in L2 (256 KiB).</summary>
    private const int SlabFloats = 64 * 1024;

    /// <summary>Input channels from which a pointwise convolution's tiles take every channel block in turn, as windowed
    /// ones do: shallower ones keep one channel block over a slab of tiles (on an Intel Xeon core, per layer:
    /// 192 → 32 and 288 → 64 on 28² and 35² maps 0.91-0.94×, 144 → 24 and 24 → 144 on 56² 1.08-1.2× the time).</summary>
    private const int PointwiseRunMinChannels = 160;

    /// <summary>Output positions from which a pointwise convolution takes this path: below, the GEMM's packed panels win
    /// (measured: 7×7 maps 0.6-0.8× the GEMM, 14×14 even, 28×28 and larger 1.1-1.4× faster).</summary>
    private const int PointwiseMinPositions = 512;

    /// <summary>The plane layout of a convolution: phase planes of ph × pw per channel, SH·SW of them.</summary>
    private readonly record struct Layout(int Phases, int Ph, int Pw)
    {
        public long Plane => (long)Ph * Pw;
        public long PerChannel => Phases * Plane;
    }

    private static Layout LayoutOf(in ConvGeometry g)
    {
        // The padded extent the outputs read, split into SH (SW) phases of ⌈extent / stride⌉ rows (columns).
        long hp = (long)(g.OH - 1) * g.SH + (long)(g.KH - 1) * g.DH + 1, wp = (long)(g.OW - 1) * g.SW + (long)(g.KW - 1) * g.DW + 1;
        return new Layout(g.SH * g.SW, (int)((hp + g.SH - 1) / g.SH), (int)((wp + g.SW - 1) / g.SW));
    }

    /// <summary>Whether this path handles the convolution: the 512-bit GEMM kernel's machine, a real product per group
    /// (not depthwise), and output rows that fill at least 60 % of the tiles' positions.</summary>
    public static bool Applies(in ConvGeometry g, int c, int o, int groups)
    {
        if (Sgemm.Isa != GemmIsa.Vector512 || g.OH <= 0 || g.OW <= 0 || g.SH <= 0 || g.SW <= 0 || g.SH > 4 || g.SW > 4) return false;
        int cg = c / groups, og = o / groups;
        // 1×1 windows other than pointwise ones take the GEMM (their phase planes would copy unused input).
        if (g.IsPointwise ? g.P < PointwiseMinPositions : g.KK < 2) return false;
        if (og < MR || (long)cg * g.KK < 16) return false;
        var l = LayoutOf(g);
        long positions = (long)g.OH * l.Pw, tiles = (positions + NT - 1) / NT;
        if ((long)g.P * 10 < tiles * NT * 6) return false;
        // Tap and position offsets are ints.
        return (long)c * l.PerChannel + l.Pw + 2 * NT < int.MaxValue / 2;
    }

    /// <summary>y[n, o, OH, OW] = epilogue(bias + conv(x, w)) with the weights of each group packed as
    /// <see cref="Sgemm.PackWholeA"/> packs an og × (cg·KK) matrix. x is contiguous; y is fully written.</summary>
    public static void Forward<TAct>(CpuMemoryPool memory, int threads, in ConvGeometry g, int n, int c, int o, int groups,
        float* x, PackedMatrices packedW, float* bias, float* y, EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        int cg = c / groups, og = o / groups, kdim = cg * g.KK;
        var l = LayoutOf(g);
        // Tap offsets within one group's planes: channel, phase of the tap's row and column, then the shift in the plane.
        using var offBuf = memory.Rent((long)kdim * sizeof(int) + 64);
        int* offs = (int*)offBuf.Handle;
        for (int t = 0; t < kdim; t++)
        {
            int ci = t / g.KK, r = t % g.KK;
            int dh = r / g.KW * g.DH, dw = r % g.KW * g.DW;
            long phase = dh % g.SH * g.SW + dw % g.SW;
            offs[t] = (int)(ci * l.PerChannel + phase * l.Plane + dh / g.SH * l.Pw + dw / g.SW);
        }
        int positions = g.OH * l.Pw, tiles = (positions + NT - 1) / NT;
        int oBlocks = (og + MR - 1) / MR;
        // Items are (group, block of tiles, run of channel blocks), and within one the tiles run in turn, each through
        // the depth in steps that every channel block of the run takes before the next step.
        // A windowed (or deep pointwise) convolution's tile reads kdim scattered input rows: one tile an item with
        // every channel block in the run keeps each step's rows in L1 while the run's weights come from L2 (3×3 stride
        // 2, 64 → 128 on 56×56 and 128 → 256 on 28×28: 0.77 → 0.84 of ONNX Runtime on an Intel Xeon core, where one
        // channel block an item read them from L2 for every block). A shallow pointwise convolution's tiles write y in
        // place: one channel block an item over a block of tiles whose input slab stays in L2 (SlabFloats) keeps its
        // output to six write streams.
        int blockTiles = 1, chunkBlocks = oBlocks;
        if (g.IsPointwise && cg < PointwiseRunMinChannels)
        {
            blockTiles = (int)Math.Clamp((SlabFloats / Math.Max(1, (long)cg * l.Pw) - 1) * l.Pw / NT, 1, tiles);
            chunkBlocks = 1;
        }
        // Single images on several threads: smaller items until there are four a thread.
        long wanted = 4L * threads;
        while (threads > 1 && (long)groups * ((tiles + blockTiles - 1) / blockTiles) * ((oBlocks + chunkBlocks - 1) / chunkBlocks) < wanted
               && (blockTiles > 1 || chunkBlocks > 1))
        {
            if (blockTiles > 1) blockTiles = (blockTiles + 1) / 2;
            else chunkBlocks = (chunkBlocks + 1) / 2;
        }
        int posBlocks = (tiles + blockTiles - 1) / blockTiles, oChunks = (oBlocks + chunkBlocks - 1) / chunkBlocks;
        // A pointwise convolution reads x in place, and its tiles are whole output runs: full channel blocks accumulate
        // in registers started at the bias and are stored straight to y. Only its last tile, when short, reads a
        // zero-padded copy ([c][NT]: reads past x could fault).
        bool inPlace = g.IsPointwise;
        int tail = inPlace && g.P % NT != 0 ? g.P / NT * NT : -1;
        using var pad = memory.Rent((inPlace ? (long)c * NT : (long)c * l.PerChannel + l.Pw + 2 * NT + 16) * sizeof(float));
        using var tailOffBuf = tail >= 0 ? memory.Rent((long)cg * sizeof(int) + 64) : null;
        int* tailOffs = tailOffBuf is null ? null : (int*)tailOffBuf.Handle;
        for (int t = 0; tailOffs != null && t < cg; t++) tailOffs[t] = t * NT;
        float* xp = (float*)pad.Handle;
        // The planes' zero border, the slack after them and the short tile's unused columns are the same for every
        // sample: zeroed once here, then each sample writes only what its input covers.
        new Span<float>(xp, (int)(pad.Bytes / sizeof(float))).Clear();   // Applies keeps it below int.MaxValue / 2
        long items = (long)groups * posBlocks * oChunks;
        // Chunks of at least ~2 M multiply-adds (~10 µs): the worker team hands a chunk over in about a microsecond.
        long grain = Math.Max(1, (2L << 20) / Math.Max(1, (long)blockTiles * chunkBlocks * NT * MR * kdim));
        for (int b = 0; b < n; b++)
        {
            float* xb = x + (long)b * c * g.HW;
            if (!inPlace) Pad(g, l, xb, c, xp, threads);
            else if (tail >= 0)
            {
                for (int ci = 0; ci < c; ci++)
                    new ReadOnlySpan<float>(xb + (long)ci * g.HW + tail, g.P - tail).CopyTo(new Span<float>(xp + ci * NT, g.P - tail));
            }
            var st = (g, l, cg, og, kdim, tiles, blockTiles, posBlocks, oChunks, chunkBlocks, oBlocks, positions, inPlace, tail,
                x: (nint)(inPlace ? xb : xp), xt: (nint)xp, offs: (nint)offs, tailOffs: (nint)tailOffs, packedW,
                bias: (nint)bias, y: (nint)(y + (long)b * o * g.P), memory, epilogue);
            CpuParallel.For(items, threads, grain, st, static (s, i0, i1) =>
            {
                // Per channel block of the run: its MR × NT accumulator tile, then its bias (zero past live channels).
                using var scratch = s.memory.Rent((long)s.chunkBlocks * MR * (NT + 1) * sizeof(float));
                float* accs = (float*)scratch.Handle, biases = accs + (long)s.chunkBlocks * MR * NT;
                int mPad = (s.og + MR - 1) / MR * MR;
                for (long i = i0; i < i1; i++)
                {
                    int chunk = (int)(i % s.oChunks);
                    long rest = i / s.oChunks;
                    int pb = (int)(rest % s.posBlocks), gi = (int)(rest / s.posBlocks);
                    int ob0 = chunk * s.chunkBlocks, ob1 = Math.Min(s.oBlocks, ob0 + s.chunkBlocks);
                    for (int ob = ob0; ob < ob1; ob++)
                        for (int r = 0; r < MR; r++)
                            biases[(ob - ob0) * MR + r] = s.bias != 0 && ob * MR + r < s.og ? ((float*)s.bias)[gi * s.og + ob * MR + r] : 0f;
                    float* wg = s.packedW[gi];
                    float* yg = (float*)s.y + (long)gi * s.og * s.g.P;
                    int direct = 0;   // positions of whole runs finished in y whose activation is still to apply
                    for (int t = pb * s.blockTiles, tEnd = Math.Min(s.tiles, t + s.blockTiles); t < tEnd; t++)
                    {
                        int j0 = t * NT;
                        bool isTail = j0 == s.tail;
                        float* xs = isTail ? (float*)s.xt + gi * s.cg * NT : (float*)s.x + gi * s.cg * s.l.PerChannel + j0;
                        int* offs = isTail ? (int*)s.tailOffs : (int*)s.offs;
                        // A pointwise convolution's whole output runs of full channel blocks accumulate in y itself: the
                        // first depth block starts the registers at the bias and the last applies a cheap epilogue to
                        // them. An activation that computes (exp) runs over the finished run instead: inside the kernel
                        // it would spill the twenty-four accumulators (SiLU measured 0.59 → 0.68 ms on 16 → 96 at
                        // 112×112 there). Other tiles accumulate in the run's scratch tiles, the half kernel's filled
                        // with the bias first.
                        bool wholeRun = s.inPlace && !isTail, half = !wholeRun && s.positions - j0 <= NT / 2;
                        for (int ob = ob0; half && ob < ob1; ob++)
                            for (int r = 0; r < MR; r++)
                            {
                                var v = Vector512.Create(biases[(ob - ob0) * MR + r]);
                                float* a = accs + ((ob - ob0) * MR + r) * NT;
                                v.Store(a); v.Store(a + 16);
                            }
                        // Depth steps of at most DepthStep taps when a run has several channel blocks: the tile's input
                        // rows for one step stay in L1 while every channel block of the run reads them.
                        int step = s.chunkBlocks > 1 ? DepthStep : Sgemm.KC;
                        for (int pc = 0; pc < s.kdim; pc += Sgemm.KC)
                        {
                            int kc = Math.Min(Sgemm.KC, s.kdim - pc);
                            for (int p0 = 0; p0 < kc; p0 += step)
                            {
                                int ks = Math.Min(step, kc - p0);
                                bool first = pc == 0 && p0 == 0, last = pc + kc >= s.kdim && p0 + ks >= kc;
                                for (int ob = ob0; ob < ob1; ob++)
                                {
                                    // Sgemm.PackWholeA's layout: depth block pc holds every panel at depth kc.
                                    float* wb = wg + (long)mPad * pc + (long)ob * MR * kc + p0 * MR;
                                    float* acc = accs + (long)(ob - ob0) * MR * NT, bias = biases + (ob - ob0) * MR;
                                    if (wholeRun && ob * MR + MR <= s.og)
                                        Kernel(ks, offs + pc + p0, wb, xs, yg + (long)ob * MR * s.g.P + j0, s.g.P, first,
                                            !TAct.ComputeBound && last, bias, s.epilogue);
                                    else if (half) KernelHalf(ks, offs + pc + p0, wb, xs, acc, NT);
                                    else Kernel(ks, offs + pc + p0, wb, xs, acc, NT, first, false, bias, default(EpilogueMath<IdentityMath>));
                                }
                            }
                        }
                        for (int ob = ob0; ob < ob1; ob++)
                            if (!(wholeRun && ob * MR + MR <= s.og))
                                Store(s.g, s.l.Pw, j0, s.positions, accs + (long)(ob - ob0) * MR * NT, yg + (long)ob * MR * s.g.P, Math.Min(MR, s.og - ob * MR), s.epilogue);
                        if (wholeRun) direct += NT;
                    }
                    // The whole runs' computing activation, over the block's runs at once (they are contiguous from
                    // its first tile: only the last tile can be short).
                    if (direct > 0 && TAct.ComputeBound && s.epilogue.IsActive)
                        for (int ob = ob0; ob < ob1 && ob * MR + MR <= s.og; ob++)
                            for (int r = 0; r < MR; r++)
                                s.epilogue.ApplyInPlace(yg + (long)(ob * MR + r) * s.g.P + (long)pb * s.blockTiles * NT, direct);
                }
            });
        }
    }

    /// <summary>Whether <see cref="ForwardDepthwise"/> can run this one-filter-per-channel convolution: 512-bit vectors,
    /// unit stride, rows of at most 32 outputs that fill at least 60 % of the tiles' positions. Since
    /// <see cref="DepthwisePlanes"/> takes the undilated 1×1, 3×3 and 5×5 windows, <see cref="CpuKernels.DepthwisePath"/>
    /// gives this path the others (dilated, 7×7, rectangular). Measured against the row-register kernels
    /// (<see cref="DepthwiseRows"/>) when it was added, ratio to ONNX Runtime in one run: 3×3 on 28×28 0.67 → 0.78,
    /// 14×14 0.44 → 0.70, 5×5 on 28×28 0.31 → 0.64; but 56×56 0.84 → 0.78, and every stride-2 shape slower (its four
    /// phase planes cost more than the strided loads they save).</summary>
    public static bool AppliesDepthwise(in ConvGeometry g)
    {
        if (!Vector512.IsHardwareAccelerated || g.OH <= 0 || g.OW <= 0 || g.OW > 32 || g.SH != 1 || g.SW != 1) return false;
        var l = LayoutOf(g);
        long positions = (long)g.OH * l.Pw, tiles = (positions + NT - 1) / NT;
        return (long)g.P * 10 >= tiles * NT * 6 && l.PerChannel + l.Pw + 2 * NT < int.MaxValue / 2;
    }

    /// <summary>Depthwise forward (channels = groups = outputs): each plane is copied into its phase planes and every tile
    /// of <see cref="NT"/> positions accumulates the window's taps in four 512-bit registers (one weight broadcast and four
    /// loads per tap), then goes through the epilogue to y as in the general path. No bias prefill: the bias starts the
    /// registers.</summary>
    public static void ForwardDepthwise<TAct>(CpuMemoryPool memory, int threads, in ConvGeometry g, int n, int c,
        float* x, float* w, float* bias, float* y, EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        var l = LayoutOf(g);
        int kk = g.KK;
        using var offBuf = memory.Rent((long)kk * sizeof(int) + 64);
        int* offs = (int*)offBuf.Handle;
        for (int t = 0; t < kk; t++)
        {
            int dh = t / g.KW * g.DH, dw = t % g.KW * g.DW;
            offs[t] = (int)((dh % g.SH * g.SW + dw % g.SW) * l.Plane + dh / g.SH * l.Pw + dw / g.SW);
        }
        int positions = g.OH * l.Pw;
        long planes = (long)n * c, padFloats = l.PerChannel + l.Pw + 2 * NT + 16;
        var st = (g, l, c, kk, positions, padFloats, x: (nint)x, w: (nint)w, bias: (nint)bias, y: (nint)y, offs: (nint)offs, memory, epilogue);
        CpuParallel.For(planes, threads, Math.Max(1, 16384 / Math.Max(1, (long)positions * kk)), st, static (s, p0, p1) =>
        {
            using var buf = s.memory.Rent(s.padFloats * sizeof(float));
            float* xp = (float*)buf.Handle, tile = stackalloc float[NT];
            int* offs = (int*)s.offs;
            // The border and the slack are zero once; each plane then writes only what its input covers.
            new Span<float>(xp, (int)s.padFloats).Clear();
            for (long pl = p0; pl < p1; pl++)
            {
                int ch = (int)(pl % s.c);
                PadInterior(s.g, s.l, (float*)s.x + pl * s.g.HW, xp);
                float* wc = (float*)s.w + (long)ch * s.kk, yc = (float*)s.y + pl * s.g.P;
                var b = Vector512.Create(s.bias == 0 ? 0f : ((float*)s.bias)[ch]);
                for (int j0 = 0; j0 < s.positions; j0 += NT)
                {
                    Vector512<float> a0 = b, a1 = b, a2 = b, a3 = b;
                    float* xj = xp + j0;
                    for (int t = 0; t < s.kk; t++)
                    {
                        var k = Vector512.Create(wc[t]);
                        float* xs = xj + offs[t];
                        a0 = Vector512.FusedMultiplyAdd(k, Vector512.Load(xs), a0);
                        a1 = Vector512.FusedMultiplyAdd(k, Vector512.Load(xs + 16), a1);
                        a2 = Vector512.FusedMultiplyAdd(k, Vector512.Load(xs + 32), a2);
                        a3 = Vector512.FusedMultiplyAdd(k, Vector512.Load(xs + 48), a3);
                    }
                    a0.Store(tile); a1.Store(tile + 16); a2.Store(tile + 32); a3.Store(tile + 48);
                    Store(s.g, s.l.Pw, j0, s.positions, tile, yc, 1, s.epilogue);
                }
            }
        });
    }

    /// <summary>acc[r·ld + j] += Σ_p w[p·MR + r] · x[offs[p] + j] for the tile's MR channels and NT positions:
    /// twenty-four 512-bit accumulators, per tap four input loads and six weight broadcasts. With
    /// <paramref name="start"/> the accumulators begin at the bias (MR values) instead of acc's values; with
    /// <paramref name="finish"/> the epilogue runs on them before they are stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TAct>(int kc, int* offs, float* w, float* x, float* acc, long ld, bool start, bool finish, float* bias,
        in EpilogueMath<TAct> e) where TAct : struct, IUnaryMath
    {
        Vector512<float> c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
        if (start)
        {
            c00 = c01 = c02 = c03 = Vector512.Create(bias[0]);
            c10 = c11 = c12 = c13 = Vector512.Create(bias[1]);
            c20 = c21 = c22 = c23 = Vector512.Create(bias[2]);
            c30 = c31 = c32 = c33 = Vector512.Create(bias[3]);
            c40 = c41 = c42 = c43 = Vector512.Create(bias[4]);
            c50 = c51 = c52 = c53 = Vector512.Create(bias[5]);
        }
        else
        {
            c00 = Vector512.Load(acc); c01 = Vector512.Load(acc + 16); c02 = Vector512.Load(acc + 32); c03 = Vector512.Load(acc + 48);
            c10 = Vector512.Load(acc + ld); c11 = Vector512.Load(acc + ld + 16); c12 = Vector512.Load(acc + ld + 32); c13 = Vector512.Load(acc + ld + 48);
            c20 = Vector512.Load(acc + 2 * ld); c21 = Vector512.Load(acc + 2 * ld + 16); c22 = Vector512.Load(acc + 2 * ld + 32); c23 = Vector512.Load(acc + 2 * ld + 48);
            c30 = Vector512.Load(acc + 3 * ld); c31 = Vector512.Load(acc + 3 * ld + 16); c32 = Vector512.Load(acc + 3 * ld + 32); c33 = Vector512.Load(acc + 3 * ld + 48);
            c40 = Vector512.Load(acc + 4 * ld); c41 = Vector512.Load(acc + 4 * ld + 16); c42 = Vector512.Load(acc + 4 * ld + 32); c43 = Vector512.Load(acc + 4 * ld + 48);
            c50 = Vector512.Load(acc + 5 * ld); c51 = Vector512.Load(acc + 5 * ld + 16); c52 = Vector512.Load(acc + 5 * ld + 32); c53 = Vector512.Load(acc + 5 * ld + 48);
        }
        for (int p = 0; p < kc; p++)
        {
            float* xs = x + offs[p];
            var b0 = Vector512.Load(xs);
            var b1 = Vector512.Load(xs + 16);
            var b2 = Vector512.Load(xs + 32);
            var b3 = Vector512.Load(xs + 48);
            var a = Vector512.Create(w[0]);
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01); c02 = Vector512.FusedMultiplyAdd(a, b2, c02); c03 = Vector512.FusedMultiplyAdd(a, b3, c03);
            a = Vector512.Create(w[1]);
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11); c12 = Vector512.FusedMultiplyAdd(a, b2, c12); c13 = Vector512.FusedMultiplyAdd(a, b3, c13);
            a = Vector512.Create(w[2]);
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21); c22 = Vector512.FusedMultiplyAdd(a, b2, c22); c23 = Vector512.FusedMultiplyAdd(a, b3, c23);
            a = Vector512.Create(w[3]);
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31); c32 = Vector512.FusedMultiplyAdd(a, b2, c32); c33 = Vector512.FusedMultiplyAdd(a, b3, c33);
            a = Vector512.Create(w[4]);
            c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41); c42 = Vector512.FusedMultiplyAdd(a, b2, c42); c43 = Vector512.FusedMultiplyAdd(a, b3, c43);
            a = Vector512.Create(w[5]);
            c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51); c52 = Vector512.FusedMultiplyAdd(a, b2, c52); c53 = Vector512.FusedMultiplyAdd(a, b3, c53);
            w += MR;
        }
        if (finish && e.IsActive)
        {
            c00 = e.Apply(c00, acc); c01 = e.Apply(c01, acc + 16); c02 = e.Apply(c02, acc + 32); c03 = e.Apply(c03, acc + 48);
            c10 = e.Apply(c10, acc + ld); c11 = e.Apply(c11, acc + ld + 16); c12 = e.Apply(c12, acc + ld + 32); c13 = e.Apply(c13, acc + ld + 48);
            c20 = e.Apply(c20, acc + 2 * ld); c21 = e.Apply(c21, acc + 2 * ld + 16); c22 = e.Apply(c22, acc + 2 * ld + 32); c23 = e.Apply(c23, acc + 2 * ld + 48);
            c30 = e.Apply(c30, acc + 3 * ld); c31 = e.Apply(c31, acc + 3 * ld + 16); c32 = e.Apply(c32, acc + 3 * ld + 32); c33 = e.Apply(c33, acc + 3 * ld + 48);
            c40 = e.Apply(c40, acc + 4 * ld); c41 = e.Apply(c41, acc + 4 * ld + 16); c42 = e.Apply(c42, acc + 4 * ld + 32); c43 = e.Apply(c43, acc + 4 * ld + 48);
            c50 = e.Apply(c50, acc + 5 * ld); c51 = e.Apply(c51, acc + 5 * ld + 16); c52 = e.Apply(c52, acc + 5 * ld + 32); c53 = e.Apply(c53, acc + 5 * ld + 48);
        }
        c00.Store(acc); c01.Store(acc + 16); c02.Store(acc + 32); c03.Store(acc + 48);
        c10.Store(acc + ld); c11.Store(acc + ld + 16); c12.Store(acc + ld + 32); c13.Store(acc + ld + 48);
        c20.Store(acc + 2 * ld); c21.Store(acc + 2 * ld + 16); c22.Store(acc + 2 * ld + 32); c23.Store(acc + 2 * ld + 48);
        c30.Store(acc + 3 * ld); c31.Store(acc + 3 * ld + 16); c32.Store(acc + 3 * ld + 32); c33.Store(acc + 3 * ld + 48);
        c40.Store(acc + 4 * ld); c41.Store(acc + 4 * ld + 16); c42.Store(acc + 4 * ld + 32); c43.Store(acc + 4 * ld + 48);
        c50.Store(acc + 5 * ld); c51.Store(acc + 5 * ld + 16); c52.Store(acc + 5 * ld + 32); c53.Store(acc + 5 * ld + 48);
    }

    /// <summary>The first half of <see cref="Kernel"/>'s positions (a tile's last 32 or fewer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelHalf(int kc, int* offs, float* w, float* x, float* acc, long ld)
    {
        Vector512<float> c00 = Vector512.Load(acc), c01 = Vector512.Load(acc + 16);
        Vector512<float> c10 = Vector512.Load(acc + ld), c11 = Vector512.Load(acc + ld + 16);
        Vector512<float> c20 = Vector512.Load(acc + 2 * ld), c21 = Vector512.Load(acc + 2 * ld + 16);
        Vector512<float> c30 = Vector512.Load(acc + 3 * ld), c31 = Vector512.Load(acc + 3 * ld + 16);
        Vector512<float> c40 = Vector512.Load(acc + 4 * ld), c41 = Vector512.Load(acc + 4 * ld + 16);
        Vector512<float> c50 = Vector512.Load(acc + 5 * ld), c51 = Vector512.Load(acc + 5 * ld + 16);
        for (int p = 0; p < kc; p++)
        {
            float* xs = x + offs[p];
            var b0 = Vector512.Load(xs);
            var b1 = Vector512.Load(xs + 16);
            var a = Vector512.Create(w[0]);
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(w[1]);
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(w[2]);
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(w[3]);
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(w[4]);
            c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(w[5]);
            c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            w += MR;
        }
        c00.Store(acc); c01.Store(acc + 16);
        c10.Store(acc + ld); c11.Store(acc + ld + 16);
        c20.Store(acc + 2 * ld); c21.Store(acc + 2 * ld + 16);
        c30.Store(acc + 3 * ld); c31.Store(acc + 3 * ld + 16);
        c40.Store(acc + 4 * ld); c41.Store(acc + 4 * ld + 16);
        c50.Store(acc + 5 * ld); c51.Store(acc + 5 * ld + 16);
    }

    /// <summary>Copies the tile's valid positions (below <paramref name="positions"/>, column below OW) of its first
    /// <paramref name="live"/> channels to y (channel planes P apart), through the epilogue: the residual is added into
    /// the tile run by run, the activation runs over the whole tile in vectors, then the runs are copied out.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Store<TAct>(in ConvGeometry g, int pw, int j0, int positions, float* acc, float* y, int live,
        in EpilogueMath<TAct> e) where TAct : struct, IUnaryMath
    {
        int end = Math.Min(positions, j0 + NT);
        if (e.HasResidual)
            for (int j = j0; j < end; j += pw - j % pw)
            {
                int ow = j % pw, len = Math.Min(Math.Min(pw - ow, end - j), g.OW - ow);
                long dst = (long)(j / pw) * g.OW + ow;
                for (int r = 0; len > 0 && r < live; r++)
                {
                    float* t = acc + r * NT + (j - j0), res = e.ResidualOf(y + r * (long)g.P + dst);
                    int i = 0;
                    for (; i + 16 <= len; i += 16) (Vector512.Load(t + i) + Vector512.Load(res + i)).Store(t + i);
                    for (; i < len; i++) t[i] += res[i];
                }
            }
        if (typeof(TAct) != typeof(IdentityMath))
            for (int k = 0; k < live * NT; k += 16) e.Activate(Vector512.Load(acc + k)).Store(acc + k);
        for (int j = j0; j < end; j += pw - j % pw)
        {
            int ow = j % pw, len = Math.Min(Math.Min(pw - ow, end - j), g.OW - ow);
            long dst = (long)(j / pw) * g.OW + ow;
            for (int r = 0; len > 0 && r < live; r++) Lanes.Copy(acc + r * NT + (j - j0), y + r * (long)g.P + dst, len);
        }
    }

    /// <summary>Fills the phase planes of one sample, which the caller zeroed once for all samples: plane (a, b) of
    /// channel ci holds padded element (a + SH·i, b + SW·j), that is input (a + SH·i − PT, b + SW·j − PL), or zero
    /// outside the input (and in the slack after the last plane, read by the last tiles' unused positions).</summary>
    private static void Pad(in ConvGeometry g, Layout l, float* x, int c, float* xp, int threads)
    {
        var st = (g, l, x: (nint)x, xp: (nint)xp);
        CpuParallel.For(c, threads, Math.Max(1, 16384 / Math.Max(1, l.PerChannel)), st, static (s, c0, c1) =>
        {
            for (long ci = c0; ci < c1; ci++) PadInterior(s.g, s.l, (float*)s.x + ci * s.g.HW, (float*)s.xp + ci * s.l.PerChannel);
        });
    }

    /// <summary>Copies one input plane into its (already zeroed) phase planes: only the places the input covers are
    /// written, so the zero border stays from one plane to the next.</summary>
    private static void PadInterior(in ConvGeometry g, Layout l, float* src, float* xp)
    {
        for (int a = 0; a < g.SH; a++)
            for (int bph = 0; bph < g.SW; bph++)
            {
                float* plane = xp + (a * g.SW + bph) * l.Plane;
                // Plane columns jj whose input column bph + SW·jj − PL lies in [0, W), plane rows i whose input row does.
                ConvGeometry.ValidRange(l.Pw, g.SW, bph - g.PL, g.W, out int lo, out int hi);
                ConvGeometry.ValidRange(l.Ph, g.SH, a - g.PT, g.H, out int i0, out int i1);
                if (lo >= hi) continue;
                for (int i = i0; i < i1; i++)
                {
                    float* row = src + (long)(a + g.SH * i - g.PT) * g.W + bph - g.PL, d = plane + (long)i * l.Pw;
                    if (g.SW == 1) Lanes.Copy(row + lo, d + lo, hi - lo);
                    else StridedVector.Copy(row, d, lo, hi, g.SW, g.W - (bph - g.PL));
                }
            }
    }
}

/// <summary>Runs <see cref="RowConv.ForwardDepthwise"/> with the activation functor <see cref="UnaryDispatch"/> picks.</summary>
internal readonly unsafe struct RowDepthwiseRun(CpuMemoryPool memory, int threads, ConvGeometry g, int n, int c,
    float* x, float* w, float* bias, float* y, float* residual) : IUnaryMathVisitor
{
    public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath =>
        RowConv.ForwardDepthwise(memory, threads, g, n, c, x, w, bias, y, new EpilogueMath<TMath>(math, residual, y));
}

/// <summary>Runs <see cref="RowConv.Forward"/> with the activation functor <see cref="UnaryDispatch"/> picks.</summary>
internal readonly unsafe struct RowConvRun(CpuMemoryPool memory, int threads, ConvGeometry g, int n, int c, int o, int groups,
    float* x, PackedMatrices packedW, float* bias, float* y, float* residual) : IUnaryMathVisitor
{
    public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath =>
        RowConv.Forward(memory, threads, g, n, c, o, groups, x, packedW, bias, y, new EpilogueMath<TMath>(math, residual, y));
}
