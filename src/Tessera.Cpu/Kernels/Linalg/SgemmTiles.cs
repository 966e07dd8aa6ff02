using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Linalg;

// Sgemm's tile loop: the micro-tiles of one block of C, each finished by the block's tile store (plain, or the fused
// epilogue).
internal static unsafe partial class Sgemm
{
    /// <summary>One (slab × column block) pass of the tile loop; <see cref="Epilogue"/> is set on the last depth block
    /// only, and C there is C(<see cref="Row0"/>, <see cref="Col0"/>) of the whole product. <see cref="Ap"/> is the slab's
    /// packed A, or with <see cref="Lda"/> ≠ 0 its first row read in place (row stride Lda, depth step
    /// <see cref="ADepth"/>); row blocks are <see cref="BlockRows"/> tall.</summary>
    private readonly record struct TileState(int M, int BlockRows, int Nc, int Kc, int PanelsPerBlock, int NBlocks, nint Ap, long Lda, long ADepth, nint Bp, nint C,
        long Ldc, float Alpha, float Beta, GemmIsa Isa, GemmEpilogue Epilogue, int Row0, int Col0, bool PrefetchB);

    private static void ComputeTile(in TileState s, int mb, int nbIdx)
    {
        if (!s.Epilogue.IsActive)
        {
            ComputeTile(s, mb, nbIdx, new PlainStore());
            return;
        }
        var visit = new TileVisit(s, mb, nbIdx);
        s.Epilogue.WithStore(ref visit);
    }

    /// <summary>Runs <see cref="ComputeTile{TStore}"/> with the epilogue's store.</summary>
    private readonly struct TileVisit(TileState s, int mb, int nbIdx) : ITileStoreVisitor
    {
        public void Visit<TStore>(TStore store) where TStore : struct, ITileStore<TStore> => ComputeTile(s, mb, nbIdx, store);
    }

    /// <summary>The micro-kernel on A's panel, or on its rows read in place (<see cref="TileState.Lda"/> ≠ 0; the rows
    /// past <paramref name="mr"/> repeat the last live one, and are not written when the kernel is narrower).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileKernel(in TileState s, int mr, int nr, float* a, float* b, float* c, long ldc, float beta)
    {
        if (s.Lda == 0)
        {
            MicroKernel(s.Isa, s.Kc, mr, nr, a, b, c, ldc, s.Alpha, beta);
            return;
        }
        long l = s.Lda;
        float* r1 = mr > 1 ? a + l : a, r2 = mr > 2 ? a + 2 * l : r1, r3 = mr > 3 ? a + 3 * l : r2, r4 = mr > 4 ? a + 4 * l : r3;
        Kernel512(s.Kc, mr, nr, a, r1, r2, r3, r4, mr > 5 ? a + 5 * l : r4, s.ADepth, b, c, ldc, s.Alpha, beta);
    }

    /// <summary>Rows of the strip starting at row i of a block ending at i1: MR, or what is left. With A read in place,
    /// a remainder of one or two rows shares the last full strip's rows as two strips of four (M = 128: 20 × 6 + 4 + 4
    /// rather than 21 × 6 + 2): the 2-row kernel's four accumulators wait on the FMA latency, and cost two thirds of a
    /// full strip for a third of its rows.</summary>
    private static int StripRows(in TileState s, int i, int i1)
    {
        int left = i1 - i;
        if (s.Lda != 0 && left > MR && left < MR + 3) return 4;
        return Math.Min(MR, left);
    }

    /// <summary>dst[0, n) = src[0, n) (+ β·dst): an edge tile's row out of the local tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyOut(float* src, float* dst, int n, float beta)
    {
        for (int j = 0; j < n; j += 16)
        {
            var keep = Lanes.First(n - j);
            var v = Avx512F.MaskLoad(src + j, keep, Vector512<float>.Zero);
            if (beta != 0f) v = Vector512.FusedMultiplyAdd(Vector512.Create(beta), Avx512F.MaskLoad(dst + j, keep, Vector512<float>.Zero), v);
            Avx512F.MaskStore(dst + j, keep, v);
        }
    }

    /// <summary>The micro-tiles of one block (edge tiles through a local tile), each finished by <paramref name="store"/>
    /// right after the micro-kernel wrote it, while it is in L1. The epilogue is not applied to the accumulators in
    /// the micro-kernel itself: an activation that calls out (exp) would make the register allocator spill the
    /// accumulators inside the depth loop.</summary>
    private static void ComputeTile<TStore>(in TileState s, int mb, int nbIdx, TStore store) where TStore : struct, ITileStore<TStore>
    {
        int i0 = mb * s.BlockRows, i1 = Math.Min(s.M, i0 + s.BlockRows);
        int p0 = nbIdx * s.PanelsPerBlock, p1 = Math.Min((s.Nc + NR - 1) / NR, p0 + s.PanelsPerBlock);
        float* ap = (float*)s.Ap, bp = (float*)s.Bp, c = (float*)s.C;
        float* tile = stackalloc float[MR * NR];
        int ahead = s.Kc >= 256 ? 1 : s.Kc >= 96 ? 2 : 4;
        int panels = (s.Nc + NR - 1) / NR;
        // A prepacked B (a weight) comes from memory once per row block: each tile asks for its share of the next
        // panel's lines (the next two after a pair), so that panel is in cache when its first tile starts.
        int panelLines = s.Kc * NR * sizeof(float) / 64, share = (panelLines * MR + (i1 - i0) - 1) / (i1 - i0);
        for (int jp = p0; jp < p1; jp++)
        {
            int j0 = jp * NR;
            float* bPanel = bp + (long)jp * NR * s.Kc;
            // Two full panels side by side run as one 64-column tile on deep products (WideMinDepth).
            bool pair = s.Kc >= WideMinDepth && s.Isa == GemmIsa.Vector512 && jp + 1 < p1 && j0 + 2 * NR <= s.Nc;
            int nr = pair ? 2 * NR : Math.Min(NR, s.Nc - j0);
            int width = nr > NR ? 2 : 1, lines = width * panelLines, lineShare = width * share;
            byte* next = s.PrefetchB && jp + width < panels ? (byte*)(bPanel + width * NR * s.Kc) : null;
            for (int i = i0, mr; i < i1; i += mr)
            {
                mr = StripRows(s, i, i1);
                if (Sse.IsSupported && next != null)
                {
                    int l0 = (i - i0) / MR * lineShare, l1 = Math.Min(lines, l0 + lineShare);
                    for (int l = l0; l < l1; l++) Sse.Prefetch0(next + l * 64);
                }
                float* aPanel = s.Lda != 0 ? ap + i * s.Lda : ap + (long)(i / MR) * MR * s.Kc;
                float* cTile = c + i * s.Ldc + j0;
                var at = store.At(s.Row0 + i, s.Col0 + j0);
                if (store.Reads)
                {
                    // What the epilogue reads, `ahead` tiles early (the first ones at the strip's start): more for
                    // shallow products, whose tiles take too little time to cover a miss.
                    if (i == i0)
                        for (int t = 1; t < ahead && i0 + t * MR < i1; t++)
                            store.Prefetch(c + (i0 + t * MR) * s.Ldc + j0, s.Ldc, Math.Min(MR, i1 - i0 - t * MR), nr);
                    if (i + ahead * MR < i1) store.Prefetch(cTile + ahead * MR * s.Ldc, s.Ldc, Math.Min(MR, i1 - i - ahead * MR), nr);
                }
                if (!pair) PanelKernel(s, mr, nr, aPanel, bPanel, cTile, tile);
                else if (mr == MR) WideKernel(s, aPanel, bPanel, cTile);
                else
                {
                    PanelKernel(s, mr, NR, aPanel, bPanel, cTile, tile);
                    PanelKernel(s, mr, NR, aPanel, bPanel + NR * s.Kc, cTile + NR, tile);
                }
                at.Finish(cTile, s.Ldc, mr, nr);
            }
            jp += width - 1;
        }
    }

    /// <summary>Depth from which two adjacent full panels run the 6 × 64 kernel (<see cref="Kernel512Wide"/>): four B
    /// loads and six broadcasts per 24 multiply-adds, against two and six per 12. Interleaved against one panel at a
    /// time, quiet machine: a 128 × 1024 · 1024 × 256 MatMul 0.97 of the time, pointwise 576 → 96 on 14×14 0.98,
    /// 960 → 320 on 7×7 1.00, the BERT encoder 0.985; on shallow products (K 96-320, MobileNetV2's expansions) it
    /// measured 1.02-1.10 in the models, which keep the one-panel tiles.</summary>
    private const int WideMinDepth = 384;

    /// <summary>One panel's micro-tile of <paramref name="mr"/> rows and <paramref name="nr"/> columns: in place when
    /// the kernel writes exactly it, else through the local tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PanelKernel(in TileState s, int mr, int nr, float* aPanel, float* bPanel, float* cTile, float* tile)
    {
        if ((mr == MR || mr == 4 && s.Lda != 0) && nr == NR) TileKernel(s, mr, nr, aPanel, bPanel, cTile, s.Ldc, s.Beta);
        else
        {
            TileKernel(s, mr, nr, aPanel, bPanel, tile, NR, 0f);
            for (int r = 0; r < mr; r++) CopyOut(tile + r * NR, cTile + r * s.Ldc, nr, s.Beta);
        }
    }

    /// <summary>A full strip over two adjacent panels (<see cref="Kernel512Wide"/>), A packed or read in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WideKernel(in TileState s, float* a, float* bPanel, float* cTile)
    {
        long l = s.Lda == 0 ? 1 : s.Lda, step = s.Lda == 0 ? MR : s.ADepth;
        Kernel512Wide(s.Kc, a, a + l, a + 2 * l, a + 3 * l, a + 4 * l, a + 5 * l, step, bPanel, bPanel + NR * s.Kc, NR, cTile, s.Ldc, s.Alpha, s.Beta);
    }
}
