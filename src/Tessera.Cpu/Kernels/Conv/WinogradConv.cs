using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Kernels.Linalg;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>3×3 stride-1 convolution by Winograd's minimal filtering F(m×m, 3×3) (Lavin and Gray, "Fast Algorithms for
/// Convolutional Neural Networks", 2016): each m×m block of outputs ("tile") is computed from its (m + 2)² input patch
/// d as Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A. F(4×4, 3×3) needs 36 multiplications per input channel instead of the direct
/// form's 144, so the product that dominates the layer shrinks fourfold; small maps (at most 100 outputs, where 4×4
/// tiles would waste up to half their outputs and the transformed weights grow large) take F(2×2, 3×3), 16 instead
/// of 36. Over all channels the element-wise products become (m + 2)² independent GEMMs, one per transformed
/// position ξ: M_ξ [tiles × K] = V_ξ [tiles × C] · U_ξ [C × K].
/// <list type="number">
/// <item>The input is staged channels-last with its zero border (xs [n, m·TH + 2, m·TW + 2, C16], 8×8 register
/// transposes), so every patch row is a run of contiguous 16-channel vectors.</item>
/// <item>Then chunks of tiles, each run start to finish by one thread: the input transform, 16 channels a vector, into
/// V [ξ, tile, C16]; the GEMMs in 6-tile × 64-channel register tiles (24 accumulators: per input channel six tile
/// broadcasts, four weight loads) into M [ξ, tile, K64]; the output transform, 16 channels a vector, bias added, into
/// ys [n, m·TH, m·TW, K64]. One thread takes every tile in one chunk unless V and M would pass 8 MB (training batches);
/// then chunks keep them in L2. Several threads on a single image: deep layers run the three steps as phases, the
/// products split by weight panel so that each thread reads its part of U only; the others take small chunks. The
/// weight's transform U (C × K per ξ, in 64-column panels) is made once per graph when the weight is constant
/// (<see cref="PackWeight"/>).</item>
/// <item>ys is transposed into y (8×8 blocks), and each thread applies the epilogue (residual, activation) to the rows
/// it has just written.</item>
/// </list>
/// In float the 4×4 transform's ±5, ¼ and ⅙ factors cost accuracy: the error against the direct sum grows with the
/// depth, to 4.5e-5 of the output's scale at 300 input channels (the conformance tests' Winograd cases).</summary>
internal static unsafe class WinogradConv
{
    /// <summary>Tiles per register block (rows of the GEMM tile).</summary>
    private const int MR = 6;

    /// <summary>Output channels per weight panel (columns of the GEMM tile).</summary>
    private const int NB = 64;


    /// <summary>Input channels from which the path is taken: below, the products are too shallow for the transforms'
    /// cost.</summary>
    public const int MinChannels = 16;

    /// <summary>Output channels from which the path is taken: the GEMM tile's columns come in 32s.</summary>
    public const int MinOutputs = 32;

    /// <summary>Output positions above which F(4×4, 3×3) is taken; smaller maps (7×7, 8×8, 10×10) take F(2×2, 3×3):
    /// 4×4 tiles would waste up to half of their outputs there, and their layers' weights (512 → 512) would transform
    /// into 38 MB.</summary>
    public const int LargeTileMinPositions = 101;

    /// <summary>Bytes of V and M up to which one chunk takes every tile.</summary>
    private const long WholeBytes = 8L << 20;

    /// <summary>Bytes of V and M a chunk of tiles aims at otherwise (they stay in L2 while its products run).</summary>
    private const long ChunkBytes = 768 * 1024;

    /// <summary>Bytes of V and M a chunk of tiles aims at when several threads share a small input: with U they
    /// stay in each thread's L2.</summary>
    private const long SmallChunkBytes = 128 * 1024;

    /// <summary>Fewest tiles per chunk (a multiple of the 6-tile block).</summary>
    private const int MinChunkTiles = 48;

    /// <summary>Largest transformed weight, in floats (64 MiB).</summary>
    private const long MaxWeightFloats = 16L << 20;

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>Whether the convolution takes this path: 512-bit vectors, one group, a 3×3 undilated window at unit
    /// stride, enough channels and a map that fills its tiles.</summary>
    public static bool Applies(in ConvGeometry g, int c, int o, int groups)
    {
        if (Sgemm.Isa != GemmIsa.Vector512 || groups != 1) return false;
        if (g.KH != 3 || g.KW != 3 || g.SH != 1 || g.SW != 1 || g.DH != 1 || g.DW != 1) return false;
        if (c < MinChannels || o < MinOutputs || g.P <= 0) return false;
        int n = TileOf(g) + 2;
        return (long)n * n * c * RoundUp(o, NB) <= MaxWeightFloats;
    }

    /// <summary>The output tile side m of F(m×m, 3×3) this convolution runs: 4, or 2 on small maps.</summary>
    public static int TileOf(in ConvGeometry g) => g.P >= LargeTileMinPositions ? 4 : 2;

    /// <summary>Floats of one ξ's transformed weight: C rows of every 64-column panel.</summary>
    private static long PanelFloats(int c, int o) => (long)c * RoundUp(o, NB);

    /// <summary>The pack <see cref="PackWeight"/> makes for these channel counts and tile: (m + 2)² matrices of C × K64,
    /// held as a <see cref="PackedMatrices"/> of the B kind (one matrix per ξ, laid out in 64-column panels).</summary>
    public static PackedMatrices NewPack(CpuMemoryPool memory, int c, int o, int tile) =>
        new(memory, GemmOperand.B, (tile + 2) * (tile + 2), RoundUp(o, NB), c);

    /// <summary>Checks that <paramref name="packed"/> was made by <see cref="PackWeight"/> for this convolution.</summary>
    public static PackedMatrices Check(IPackedOperand packed, int c, int o, int tile) =>
        PackedMatrices.Check("Conv2d", packed, GemmOperand.B, (tile + 2) * (tile + 2), RoundUp(o, NB), c);

    // G of F(4, 3) for the interpolation points 0, ±1, ±2 and ∞, and of F(2, 3) for 0, ±1 and ∞.
    private static ReadOnlySpan<double> G4 =>
    [
        1.0 / 4, 0, 0,
        -1.0 / 6, -1.0 / 6, -1.0 / 6,
        -1.0 / 6, 1.0 / 6, -1.0 / 6,
        1.0 / 24, 1.0 / 12, 1.0 / 6,
        1.0 / 24, -1.0 / 12, 1.0 / 6,
        0, 0, 1,
    ];

    private static ReadOnlySpan<double> G2 =>
    [
        1, 0, 0,
        0.5, 0.5, 0.5,
        0.5, -0.5, 0.5,
        0, 0, 1,
    ];

    /// <summary>U_ξ = (G g Gᵀ)_ξ for every output channel k and input channel ci of w [o, c, 3, 3], in double, stored as
    /// u[ξ][k / 64][ci][k % 64] (zero past o).</summary>
    public static void PackWeight(float* w, int c, int o, int tile, PackedMatrices dst)
    {
        var G = tile == 4 ? G4 : G2;
        int n = tile + 2;
        for (int xi = 0; xi < n * n; xi++) CpuKernels.ConvZero(dst[xi], PanelFloats(c, o));
        Span<double> t = stackalloc double[18];
        for (int k = 0; k < o; k++)
            for (int ci = 0; ci < c; ci++)
            {
                float* g = w + ((long)k * c + ci) * 9;
                for (int a = 0; a < n; a++)
                    for (int j = 0; j < 3; j++)
                        t[a * 3 + j] = G[a * 3] * g[j] + G[a * 3 + 1] * g[3 + j] + G[a * 3 + 2] * g[6 + j];
                long at = ((long)(k / NB) * c + ci) * NB + k % NB;
                for (int a = 0; a < n; a++)
                    for (int b = 0; b < n; b++)
                        dst[a * n + b][at] = (float)(t[a * 3] * G[b * 3] + t[a * 3 + 1] * G[b * 3 + 1] + t[a * 3 + 2] * G[b * 3 + 2]);
            }
    }

    /// <summary>y[n, o, OH, OW] = epilogue(bias + conv(x, w)) with U from <see cref="PackWeight"/>. x is contiguous.</summary>
    public static void Forward<TAct>(CpuMemoryPool memory, int threads, in ConvGeometry g, int n, int c, int o,
        float* x, PackedMatrices u, float* bias, float* y, EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        var geo = new Geometry(g, n, c, o, threads);
        using var xsBuf = memory.Rent((long)n * geo.Hp * geo.Wp * geo.Cp * sizeof(float));
        using var ysBuf = memory.Rent((long)n * geo.Ohp * geo.Owp * geo.Ko * sizeof(float));
        float* xs = (float*)xsBuf.Handle, ys = (float*)ysBuf.Handle;

        Stage(geo, x, xs, threads);
        if (geo.Phased) Phases(memory, threads, geo, xs, u, bias, ys);
        else Chunks(memory, threads, geo, xs, u, bias, ys);
        Unstage(geo, ys, y, threads, epilogue);
    }

    /// <summary>Chunks of <see cref="Geometry.Tp"/> tiles, each taken start to finish (input transform, products, output
    /// transform) by one thread while its V and M are in cache.</summary>
    private static void Chunks(CpuMemoryPool memory, int threads, in Geometry geo, float* xs, PackedMatrices u, float* bias, float* ys)
    {
        long chunks = (geo.Tiles + geo.Tp - 1) / geo.Tp;
        int slots = CpuParallel.Slots(chunks, threads, 1);
        using var vs = new SlotScratch(memory, slots, (long)geo.Xis * geo.Tp * geo.Cp * sizeof(float));
        using var ms = new SlotScratch(memory, slots, (long)geo.Xis * geo.Tp * geo.Ko * sizeof(float));
        var st = (geo, xs: (nint)xs, ys: (nint)ys, u, bias: (nint)bias, vs, ms);
        CpuParallel.ForSlots(chunks, threads, 1, st, static (s, c0, c1, slot) =>
        {
            var q = s.geo;
            float* v = s.vs[slot], m = s.ms[slot];
            for (long ci = c0; ci < c1; ci++)
            {
                int t0 = (int)ci * q.Tp, nt = Math.Min(q.Tp, q.Tiles - t0), ntp = RoundUp(nt, MR);
                for (int xi = 0; xi < q.Xis; xi++) CpuKernels.ConvZero(v + ((long)xi * q.Tp + nt) * q.Cp, (long)(ntp - nt) * q.Cp);
                TransformInput(q, (float*)s.xs, v, t0, 0, nt);
                // ξ by ξ, so that V_ξ stays in cache across the weight panels.
                for (int xi = 0; xi < q.Xis; xi++)
                    for (int pb = 0; pb < q.Ko / NB; pb++) Products(q, s.u, v, m, xi, pb, ntp);
                TransformOutput(q, m, (float*)s.bias, (float*)s.ys, t0, 0, nt);
            }
        });
    }

    /// <summary>Every tile in three parallel loops, for single images on several threads: the input transform split by
    /// tiles, the products split by (weight panel, ξ) with panel-major order, so each thread reads only its share of
    /// U (the weights dominate the traffic of deep layers on small maps), and the output transform by tiles.</summary>
    private static void Phases(CpuMemoryPool memory, int threads, in Geometry geo, float* xs, PackedMatrices u, float* bias, float* ys)
    {
        int ntp = RoundUp(geo.Tiles, MR);
        using var vBuf = memory.Rent((long)geo.Xis * geo.Tp * geo.Cp * sizeof(float));
        using var mBuf = memory.Rent((long)geo.Xis * geo.Tp * geo.Ko * sizeof(float));
        float* v = (float*)vBuf.Handle, m = (float*)mBuf.Handle;
        for (int xi = 0; xi < geo.Xis; xi++) CpuKernels.ConvZero(v + ((long)xi * geo.Tp + geo.Tiles) * geo.Cp, (long)(ntp - geo.Tiles) * geo.Cp);
        // The products in blocks of panels, one block a thread; ξ by ξ within a block, its panels in turn, so that V_ξ
        // stays in cache across them and each thread reads its panels of U only.
        int panels = geo.Ko / NB, perBlock = (panels + threads - 1) / threads, blocks = (panels + perBlock - 1) / perBlock;
        var st = (geo, xs: (nint)xs, ys: (nint)ys, u, bias: (nint)bias, v: (nint)v, m: (nint)m, ntp, panels, perBlock);
        CpuParallel.For(geo.Tiles, threads, 2, st, static (s, t0, t1) =>
            TransformInput(s.geo, (float*)s.xs, (float*)s.v, 0, (int)t0, (int)t1));
        CpuParallel.For((long)blocks * geo.Xis * perBlock, threads, 1, st, static (s, i0, i1) =>
        {
            for (long item = i0; item < i1; item++)
            {
                long block = item / (s.geo.Xis * s.perBlock), r = item % (s.geo.Xis * s.perBlock);
                int xi = (int)(r / s.perBlock), pb = (int)(block * s.perBlock + r % s.perBlock);
                if (pb < s.panels) Products(s.geo, s.u, (float*)s.v, (float*)s.m, xi, pb, s.ntp);
            }
        });
        CpuParallel.For(geo.Tiles, threads, 2, st, static (s, t0, t1) =>
            TransformOutput(s.geo, (float*)s.m, (float*)s.bias, (float*)s.ys, 0, (int)t0, (int)t1));
    }

    /// <summary>V[ξ, t − t0, C16] for the chunk's tiles t0 + [from, to), one (tile, 16 channels) at a time.</summary>
    private static void TransformInput(in Geometry q, float* xs, float* v, int t0, int from, int to)
    {
        byte* raw = stackalloc byte[37 * 64];
        var tmp = Aligned(raw);
        for (int t = from; t < to; t++)
        {
            float* d = xs + TileOffset(q, t0 + t, q.Hp, q.Wp, q.Cp);
            for (int cb = 0; cb < q.Cp / 16; cb++)
            {
                float* vt = v + (long)t * q.Cp + cb * 16;
                if (q.M == 4) InputTile4(d + cb * 16, (long)q.Wp * q.Cp, q.Cp, tmp, vt, (long)q.Tp * q.Cp);
                else InputTile2(d + cb * 16, (long)q.Wp * q.Cp, q.Cp, tmp, vt, (long)q.Tp * q.Cp);
            }
        }
    }

    /// <summary>M[ξ, tiles, panel pb] = V[ξ, tiles] · U[ξ, panel pb] over <paramref name="ntp"/> tiles (a multiple of the
    /// 6-tile block); the panel stays in cache across the blocks.</summary>
    private static void Products(in Geometry q, PackedMatrices u, float* v, float* m, int xi, int pb, int ntp)
    {
        float* ub = u[xi] + (long)pb * q.C * NB;
        bool full = q.O - pb * NB > NB / 2;
        for (int tb = 0; tb < ntp; tb += MR)
        {
            float* vb = v + ((long)xi * q.Tp + tb) * q.Cp;
            float* mb = m + ((long)xi * q.Tp + tb) * q.Ko + pb * NB;
            if (full) Kernel64(q.C, vb, q.Cp, ub, mb, q.Ko);
            else Kernel32(q.C, vb, q.Cp, ub, mb, q.Ko);
        }
    }

    /// <summary>ys for the chunk's tiles t0 + [from, to): the output transform, one (tile, 16 channels) at a time, the bias
    /// added.</summary>
    private static void TransformOutput(in Geometry q, float* m, float* biasIn, float* ys, int t0, int from, int to)
    {
        byte* raw = stackalloc byte[37 * 64];
        var tmp = Aligned(raw);
        // The bias, 16 output channels a vector (zero past O).
        Vector512<float>* bias = stackalloc Vector512<float>[q.K16 / 16];
        for (int kb = 0; kb < q.K16 / 16; kb++)
            bias[kb] = biasIn is null ? Vector512<float>.Zero : Lanes.Load(biasIn + kb * 16, q.O - kb * 16);
        for (int t = from; t < to; t++)
        {
            float* dst = ys + TileOffset(q, t0 + t, q.Ohp, q.Owp, q.Ko);
            for (int kb = 0; kb < q.K16 / 16; kb++)
            {
                float* mt = m + (long)t * q.Ko + kb * 16;
                if (q.M == 4) OutputTile4(mt, (long)q.Tp * q.Ko, tmp, bias[kb], dst + kb * 16, (long)q.Owp * q.Ko, q.Ko);
                else OutputTile2(mt, (long)q.Tp * q.Ko, tmp, bias[kb], dst + kb * 16, (long)q.Owp * q.Ko, q.Ko);
            }
        }
    }

    /// <summary>Offset of tile <paramref name="tile"/>'s first element in a channels-last buffer [n, rows, cols,
    /// channels] (the staged input or output): tiles run row-major over each sample's Th × Tw grid, M apart.</summary>
    private static long TileOffset(in Geometry q, int tile, int rows, int cols, int channels)
    {
        int b = tile / (q.Th * q.Tw), r = tile % (q.Th * q.Tw);
        return (((long)b * rows + q.M * (r / q.Tw)) * cols + q.M * (r % q.Tw)) * channels;
    }

    /// <summary>36 vectors of scratch at a 64-byte boundary inside <paramref name="raw"/> (37 · 64 bytes of stack).</summary>
    private static Vector512<float>* Aligned(byte* raw) => (Vector512<float>*)(((nint)raw + 63) & ~(nint)63);

    /// <summary>The sizes one forward call works with, all derived from the convolution and the thread count: the tile
    /// side M and its Xis = (M + 2)² transformed positions, the tiles (Th × Tw per sample) and Tp of them per chunk,
    /// channels padded to vectors (Cp) and to weight panels (Ko, and K16 for the output transform), and the staged
    /// input's and output's padded extents.</summary>
    private readonly struct Geometry
    {
        public readonly ConvGeometry G;
        public readonly int M, Xis, N, C, O, Th, Tw, Tiles, Tp, Cp, Ko, K16, Hp, Wp, Ohp, Owp;
        public readonly bool Phased;

        public Geometry(in ConvGeometry g, int n, int c, int o, int threads)
        {
            (G, N, C, O) = (g, n, c, o);
            M = TileOf(g);
            Xis = (M + 2) * (M + 2);
            (Th, Tw) = ((g.OH + M - 1) / M, (g.OW + M - 1) / M);
            Tiles = n * Th * Tw;
            (Cp, Ko, K16) = (RoundUp(c, 16), RoundUp(o, NB), RoundUp(o, 16));
            (Ohp, Owp) = (M * Th, M * Tw);
            (Hp, Wp) = (Ohp + 2, Owp + 2);
            // Tiles go through the transforms and products in chunks when their V and M together would be larger than
            // the last-level cache holds well (a training batch's are tens of MB): chunks whose V and M stay in L2, of
            // at least MinChunkTiles, since every chunk reads all of U (512 → 512: 16.8 MB). Below that one chunk takes
            // every tile: smaller chunks measured 10-15 % slower on single images (U read once per chunk). Every thread
            // gets a chunk.
            int all = RoundUp(Tiles, MR);
            long perTile = (long)Xis * (Cp + Ko) * sizeof(float);
            Tp = perTile * all <= WholeBytes ? all : (int)Math.Min(all, Math.Max(MinChunkTiles, ChunkBytes / perTile / MR * MR));
            // Several threads on one chunk's worth of tiles: deep layers (two weight panels a thread or more, where U
            // dominates the traffic) run in phases, each thread reading its panels of U only (see Phases); the others
            // take small chunks, so that each thread's V and M stay in its L2 with U. Larger inputs give every thread
            // chunks of its own.
            bool whole = Tp == all;
            Phased = threads > 1 && whole && Ko / NB >= 2 * threads;
            if (!Phased)
            {
                Tp = Math.Min(Tp, RoundUp((Tiles + threads - 1) / Math.Max(1, threads), MR));
                if (threads > 1 && whole) Tp = Math.Min(Tp, Math.Max(MR, (int)(SmallChunkBytes / perTile) / MR * MR));
            }
        }
    }

    /// <summary>xs[b, h + PT, w + PL, c] = x[b, c, h, w] for the input rows and columns the tiles read, zero elsewhere.</summary>
    private static void Stage(in Geometry q, float* x, float* xs, int threads)
    {
        var g = q.G;
        CpuKernels.ConvZero(xs, (long)q.N * q.Hp * q.Wp * q.Cp);
        int rows = Math.Min(g.H, q.Hp - g.PT), cols = Math.Min(g.W, q.Wp - g.PL);
        if (rows <= 0 || cols <= 0) return;
        var st = (q, x: (nint)x, xs: (nint)xs, rows, cols);
        CpuParallel.For((long)q.N * rows, threads, 4, st, static (s, i0, i1) =>
        {
            var q = s.q;
            var g = q.G;
            for (long i = i0; i < i1; i++)
            {
                int b = (int)(i / s.rows), h = (int)(i % s.rows);
                float* src = (float*)s.x + ((long)b * q.C * g.H + h) * g.W;
                float* dst = (float*)s.xs + (((long)b * q.Hp + h + g.PT) * q.Wp + g.PL) * q.Cp;
                Transpose8x8.Matrix(src, g.HW, q.C, s.cols, dst, q.Cp);   // dst[w·Cp + c] = src[c·HW + w]
            }
        });
    }

    /// <summary>y[b, k, oh, ow] = epilogue(ys[b, oh, ow, k]) over the valid outputs.</summary>
    private static void Unstage<TAct>(in Geometry q, float* ys, float* y, int threads, EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        var st = (q, ys: (nint)ys, y: (nint)y, epilogue);
        CpuParallel.For((long)q.N * q.G.OH, threads, 4, st, static (s, i0, i1) =>
        {
            var q = s.q;
            var g = q.G;
            for (long i = i0; i < i1; i++)
            {
                int b = (int)(i / g.OH), oh = (int)(i % g.OH);
                float* src = (float*)s.ys + ((long)b * q.Ohp + oh) * q.Owp * q.Ko;
                float* dst = (float*)s.y + (long)b * q.O * g.P + (long)oh * g.OW;
                Transpose8x8.Matrix(src, q.Ko, g.OW, q.O, dst, g.P);   // dst[k·P + ow] = src[ow·Ko + k]
            }
            if (!s.epilogue.IsActive) return;
            // The epilogue over the rows just written, plane by plane: each thread finishes its own rows while they
            // are in its cache (a pass by planes read half of them from the other threads' caches).
            for (long i = i0; i < i1;)
            {
                int b = (int)(i / g.OH), oh = (int)(i % g.OH), rows = (int)Math.Min(i1 - i, g.OH - oh);
                float* first = (float*)s.y + (long)b * q.O * g.P + (long)oh * g.OW;
                for (int k = 0; k < q.O; k++) s.epilogue.ApplyInPlace(first + (long)k * g.P, (long)rows * g.OW);
                i += rows;
            }
        });
    }

    /// <summary>Bᵀ applied to six vectors (rows or columns of a patch): the input transform in one direction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputLine(Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3,
        Vector512<float> d4, Vector512<float> d5, Vector512<float>* o, int stride)
    {
        var four = Vector512.Create(4f);
        var minusFour = Vector512.Create(-4f);
        var minusFive = Vector512.Create(-5f);
        var t1 = Vector512.FusedMultiplyAdd(minusFour, d2, d4);   // d4 − 4·d2
        var t2 = Vector512.FusedMultiplyAdd(minusFour, d1, d3);   // d3 − 4·d1
        var t3 = d4 - d2;
        var t4 = (d3 - d1) * Vector512.Create(2f);
        o[0] = Vector512.FusedMultiplyAdd(four, d0, Vector512.FusedMultiplyAdd(minusFive, d2, d4));
        o[stride] = t1 + t2;
        o[2 * stride] = t1 - t2;
        o[3 * stride] = t3 + t4;
        o[4 * stride] = t3 - t4;
        o[5 * stride] = Vector512.FusedMultiplyAdd(four, d1, Vector512.FusedMultiplyAdd(minusFive, d3, d5));
    }

    /// <summary>F(4×4, 3×3): V[ξ = 6r + j] = (Bᵀ d B)[r, j] for one tile and 16 channels: d's rows are rowStride apart, its columns
    /// colStride; V's ξ planes are vStride apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void InputTile4(float* d, long rowStride, long colStride, Vector512<float>* tmp, float* v, long vStride)
    {
        // Columns: tmp[r·6 + j] = (Bᵀ d)[r, j].
        for (int j = 0; j < 6; j++)
        {
            float* c = d + j * colStride;
            InputLine(Vector512.Load(c), Vector512.Load(c + rowStride), Vector512.Load(c + 2 * rowStride), Vector512.Load(c + 3 * rowStride),
                Vector512.Load(c + 4 * rowStride), Vector512.Load(c + 5 * rowStride), tmp + j, 6);
        }
        // Rows: V[6r + j'] = Σ_j (Bᵀ d)[r, j] B[j, j'].
        Vector512<float>* o = stackalloc Vector512<float>[6];
        for (int r = 0; r < 6; r++)
        {
            var row = tmp + r * 6;
            InputLine(row[0], row[1], row[2], row[3], row[4], row[5], o, 1);
            float* vr = v + r * 6 * vStride;
            for (int j = 0; j < 6; j++) o[j].Store(vr + j * vStride);
        }
    }

    /// <summary>Aᵀ applied to six vectors: four outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputLine(Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3,
        Vector512<float> m4, Vector512<float> m5, out Vector512<float> o0, out Vector512<float> o1, out Vector512<float> o2,
        out Vector512<float> o3)
    {
        var s12 = m1 + m2;
        var d12 = m1 - m2;
        var s34 = m3 + m4;
        var d34 = m3 - m4;
        o0 = m0 + s12 + s34;
        o1 = Vector512.FusedMultiplyAdd(Vector512.Create(2f), d34, d12);
        o2 = Vector512.FusedMultiplyAdd(Vector512.Create(4f), s34, s12);
        o3 = Vector512.FusedMultiplyAdd(Vector512.Create(8f), d34, d12) + m5;
    }

    /// <summary>F(4×4, 3×3): dst[i, j] = (Aᵀ m A)[i, j] + bias for one tile and 16 channels: m's ξ planes are mStride apart; dst's rows
    /// are rowStride apart, its columns colStride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void OutputTile4(float* m, long mStride, Vector512<float>* tmp, Vector512<float> bias, float* dst, long rowStride, long colStride)
    {
        // Columns: tmp[i·6 + j] = (Aᵀ m)[i, j].
        for (int j = 0; j < 6; j++)
        {
            float* c = m + j * mStride;
            OutputLine(Vector512.Load(c), Vector512.Load(c + 6 * mStride), Vector512.Load(c + 12 * mStride), Vector512.Load(c + 18 * mStride),
                Vector512.Load(c + 24 * mStride), Vector512.Load(c + 30 * mStride), out tmp[j], out tmp[6 + j], out tmp[12 + j], out tmp[18 + j]);
        }
        for (int i = 0; i < 4; i++)
        {
            var row = tmp + i * 6;
            OutputLine(row[0], row[1], row[2], row[3], row[4], row[5], out var o0, out var o1, out var o2, out var o3);
            float* di = dst + i * rowStride;
            (o0 + bias).Store(di);
            (o1 + bias).Store(di + colStride);
            (o2 + bias).Store(di + 2 * colStride);
            (o3 + bias).Store(di + 3 * colStride);
        }
    }

    /// <summary>F(2×2, 3×3): V[ξ = 4r + j] = (Bᵀ d B)[r, j] for one tile and 16 channels, Bᵀ = [1 0 −1 0; 0 1 1 0;
    /// 0 −1 1 0; 0 1 0 −1] (strides as in <see cref="InputTile4"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void InputTile2(float* d, long rowStride, long colStride, Vector512<float>* tmp, float* v, long vStride)
    {
        for (int j = 0; j < 4; j++)
        {
            float* c = d + j * colStride;
            var d0 = Vector512.Load(c); var d1 = Vector512.Load(c + rowStride);
            var d2 = Vector512.Load(c + 2 * rowStride); var d3 = Vector512.Load(c + 3 * rowStride);
            tmp[j] = d0 - d2; tmp[4 + j] = d1 + d2; tmp[8 + j] = d2 - d1; tmp[12 + j] = d1 - d3;
        }
        for (int r = 0; r < 4; r++)
        {
            var row = tmp + r * 4;
            float* vr = v + r * 4 * vStride;
            (row[0] - row[2]).Store(vr);
            (row[1] + row[2]).Store(vr + vStride);
            (row[2] - row[1]).Store(vr + 2 * vStride);
            (row[1] - row[3]).Store(vr + 3 * vStride);
        }
    }

    /// <summary>F(2×2, 3×3): dst[i, j] = (Aᵀ m A)[i, j] + bias for one tile and 16 channels, Aᵀ = [1 1 1 0; 0 1 −1 −1]
    /// (strides as in <see cref="OutputTile4"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void OutputTile2(float* m, long mStride, Vector512<float>* tmp, Vector512<float> bias, float* dst, long rowStride, long colStride)
    {
        for (int j = 0; j < 4; j++)
        {
            float* c = m + j * mStride;
            var m0 = Vector512.Load(c); var m1 = Vector512.Load(c + 4 * mStride);
            var m2 = Vector512.Load(c + 8 * mStride); var m3 = Vector512.Load(c + 12 * mStride);
            tmp[j] = m0 + m1 + m2;
            tmp[4 + j] = m1 - m2 - m3;
        }
        for (int i = 0; i < 2; i++)
        {
            var row = tmp + i * 4;
            float* di = dst + i * rowStride;
            (row[0] + row[1] + row[2] + bias).Store(di);
            (row[1] - row[2] - row[3] + bias).Store(di + colStride);
        }
    }

    /// <summary>m[r·ldm + j] = Σ_p v[r·vs + p] · u[p·64 + j] for six tiles r and 64 channels j: SGEMM's 6 × 64 tile
    /// (<see cref="Sgemm.Kernel512Wide"/>), twenty-four accumulators, per input channel four panel loads and six
    /// broadcasts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Kernel64(int depth, float* v, long vs, float* u, float* m, long ldm) =>
        Sgemm.Kernel512Wide(depth, v, v + vs, v + 2 * vs, v + 3 * vs, v + 4 * vs, v + 5 * vs, 1, u, u + 32, NB, m, ldm, 1f, 0f);

    /// <summary>As <see cref="Kernel64"/> for the first 32 channels of a panel (its last, when at most 32 remain).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Kernel32(int depth, float* v, long vs, float* u, float* m, long ldm)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* v0 = v, v1 = v + vs, v2 = v + 2 * vs, v3 = v + 3 * vs, v4 = v + 4 * vs, v5 = v + 5 * vs;
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector512.Load(u);
            var b1 = Vector512.Load(u + 16);
            var a = Vector512.Create(v0[p]);
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(v1[p]);
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(v2[p]);
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(v3[p]);
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(v4[p]);
            c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(v5[p]);
            c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            u += NB;
        }
        c00.Store(m); c01.Store(m + 16); m += ldm;
        c10.Store(m); c11.Store(m + 16); m += ldm;
        c20.Store(m); c21.Store(m + 16); m += ldm;
        c30.Store(m); c31.Store(m + 16); m += ldm;
        c40.Store(m); c41.Store(m + 16); m += ldm;
        c50.Store(m); c51.Store(m + 16);
    }
}

/// <summary>Visits the activation of a Winograd convolution's epilogue (<see cref="UnaryDispatch"/>).</summary>
internal readonly unsafe struct WinogradConvRun(CpuMemoryPool memory, int threads, ConvGeometry g, int n, int c, int o,
    float* x, PackedMatrices u, float* bias, float* y, float* residual) : IUnaryMathVisitor
{
    public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath =>
        WinogradConv.Forward(memory, threads, g, n, c, o, x, u, bias, y, new EpilogueMath<TMath>(math, residual, y));
}
