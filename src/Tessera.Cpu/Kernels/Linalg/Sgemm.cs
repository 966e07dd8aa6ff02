using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Linalg;

/// <summary>Which micro-kernel <see cref="Sgemm"/> runs.</summary>
internal enum GemmIsa { Scalar, Vector256, Vector512 }

/// <summary>Single-precision GEMM in the BLIS/Goto style: C = α·A·B + β·C over raw pointers and element strides.
/// A (m×k) is read as A(i,p) = a[i·ars + p·acs]; B (k×n) comes from an <see cref="IPanelSource"/> (a strided matrix,
/// B(p,j) = b[p·brs + j·bcs], or an implicit im2col), so transposed and strided views need no copy: the packing
/// routines read the strides. C is row-major with row stride ldc (unit column stride).
/// Loops: jc (NC columns) → pc (KC depth: pack a KC×NC slab of B into NR-column panels) → ic (MSlab rows: pack them
/// into MR-row panels, unless the 512-bit kernel reads A in place; both packs in pooled scratch) →
/// parallel tiles of (a row block L2 holds × a few NR panels) → MR×NR micro-kernel.
/// Edge tiles are computed into a local tile and only their valid part is written back. β = 0 never reads C. A
/// <see cref="GemmEpilogue"/> (bias, residual, activation) is applied to each micro-tile after its last depth block,
/// while it is in cache.</summary>
internal static unsafe partial class Sgemm
{
    public const int MR = 6, NR = 32;
    internal const int KC = 512;
    private const int NC = 4096, MSlab = 512 * MR;

    /// <summary>Bytes of packed A one row block of the tile loop may hold: it stays in L2 (a third of Zen's 1 MB) while
    /// each B micro-panel streams past it once.</summary>
    private const int ABlockBytes = 384 << 10;

    /// <summary>Below this many multiply-adds a direct loop beats packing.</summary>
    private const long SmallWork = 2048;

    /// <summary>The best micro-kernel this machine runs.</summary>
    internal static readonly GemmIsa Isa = Detect();

    private static GemmIsa Detect()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported) return GemmIsa.Vector512;
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported) return GemmIsa.Vector256;
        return GemmIsa.Scalar;
    }

    /// <summary>Bytes of the packed A and B panels a product of this size needs.</summary>
    public static (long A, long B) PackBytes(int m, int n, int k)
    {
        int mPanels = (Math.Min(m, MSlab) + MR - 1) / MR;
        int kcMax = Math.Min(k, KC);
        int nPanelsMax = (Math.Min(n, NC) + NR - 1) / NR;
        return ((long)mPanels * MR * kcMax * sizeof(float), (long)nPanelsMax * NR * kcMax * sizeof(float));
    }

    /// <summary>Multiply-adds below which a batch of products is better spread over threads one product each.</summary>
    internal const long SmallProduct = 64 * 64 * 64;

    /// <summary>C (m×n) = epilogue(α·A·B + β·C). Runs over up to <paramref name="threads"/> threads; scratch comes from <paramref name="pool"/>.
    /// <paramref name="packed"/> optionally gives A and/or B already packed for this product's m, n and k
    /// (<see cref="PackWholeA"/>, <see cref="PackWholeB"/>): those operands are read from there instead of packed again,
    /// with the same values in the same places, so the result is the same bit for bit.</summary>
    public static void Run(SgemmWorkspace pool, int threads, int m, int n, int k, float alpha,
        float* a, long ars, long acs, float* b, long brs, long bcs, float beta, float* c, long ldc, in GemmEpilogue epilogue = default,
        in Prepacked packed = default)
    {
        if (m == 1 && k > 0 && alpha != 0f && (long)n * k > SmallWork && packed.B != null && Isa == GemmIsa.Vector512)
            GemvPacked(threads, n, k, alpha, a, acs, packed.B, beta, c, epilogue);
        else if (m == 1 && k > 0 && alpha != 0f && (long)n * k > SmallWork && (bcs == 1 || (brs == 1 && acs == 1)))
            Gemv(threads, n, k, alpha, a, acs, b, brs, bcs, beta, c, epilogue);
        else if (n == 1 && k > 0 && alpha != 0f && (long)m * k > SmallWork && acs == 1 && brs == 1)
            ColumnGemv(threads, m, k, alpha, a, ars, b, beta, c, ldc, epilogue);
        else
            Run(Isa, pool, threads, m, n, k, alpha, a, ars, acs, new StridedPanels(b, brs, bcs), beta, c, ldc, epilogue, packed);
    }

    /// <summary>One row of C (m = 1: a vector times a matrix), which packing would waste MR-fold work on. With B's rows
    /// contiguous, c accumulates scaled rows of B; with B's columns (and a) contiguous, each c[j] is a dot product.
    /// Parallel over column blocks.</summary>
    private static void Gemv(int threads, int n, int k, float alpha, float* a, long acs, float* b, long brs, long bcs, float beta, float* c,
        GemmEpilogue epilogue)
    {
        const int Block = 512;
        var st = (a: (nint)a, acs, b: (nint)b, brs, bcs, c: (nint)c, n, k, alpha, beta, epilogue);
        CpuParallel.For((n + Block - 1) / Block, threads, Math.Max(1, 65536 / ((long)k * Block)), st, static (s, q0, q1) =>
        {
            float* a = (float*)s.a, b = (float*)s.b, c = (float*)s.c;
            int j0 = (int)q0 * Block, j1 = (int)Math.Min(s.n, q1 * Block);
            var cs = new Span<float>(c + j0, j1 - j0);
            if (s.bcs == 1)
            {
                if (s.beta == 0f) cs.Clear();
                else if (s.beta != 1f) TensorPrimitives.Multiply(cs, s.beta, cs);
                for (int p = 0; p < s.k; p++)
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(b + p * s.brs + j0, j1 - j0), s.alpha * a[p * s.acs], cs, cs);
            }
            else
            {
                var av = new ReadOnlySpan<float>(a, s.k);
                for (int j = j0; j < j1; j++)
                {
                    float dot = s.alpha * TensorPrimitives.Dot(av, new ReadOnlySpan<float>(b + j * s.bcs, s.k));
                    c[j] = s.beta == 0f ? dot : dot + s.beta * c[j];
                }
            }
            s.epilogue.Apply(c + j0, 0, 0, j0, 1, j1 - j0);
        });
    }

    /// <summary>One row of C (m = 1) from a prepacked B (<see cref="PackWholeB"/>: a constant weight, as a squeeze-and-
    /// excitation block's layers on a 1×1 map have): each NR-column panel streams once, a broadcast of a[p] and two FMAs
    /// per depth step, in the micro-kernel's order (so the values are the GEMM's). Against a dot product per column
    /// (48 → 1152 on a 1×1 map: 1152 calls of length 48) it reads the weight as it lies. Parallel over panels.</summary>
    private static void GemvPacked(int threads, int n, int k, float alpha, float* a, long acs, float* packedB, float beta, float* c,
        GemmEpilogue epilogue)
    {
        var st = (a: (nint)a, acs, b: (nint)packedB, c: (nint)c, n, k, alpha, beta, epilogue);
        CpuParallel.For((n + NR - 1) / NR, threads, Math.Max(1, 16384 / ((long)k * NR)), st, static (s, q0, q1) =>
        {
            float* a = (float*)s.a, c = (float*)s.c;
            for (long q = q0; q < q1; q++)
            {
                int j0 = (int)q * NR, jc = j0 / NC * NC, nc = Math.Min(NC, s.n - jc), cols = Math.Min(NR, s.n - j0);
                var keep0 = Lanes.First(cols);
                var keep1 = Lanes.First(cols - 16);
                for (int pc = 0; pc < s.k; pc += KC)
                {
                    int kc = Math.Min(KC, s.k - pc);
                    float* panel = (float*)s.b + PackedBOffset(s.k, jc, nc, pc) + (long)(j0 - jc) * kc;
                    float* ap = a + pc * s.acs;
                    Vector512<float> c0 = default, c1 = default;
                    for (int p = 0; p < kc; p++, panel += NR)
                    {
                        var x = Vector512.Create(ap[p * s.acs]);
                        c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(panel), c0);
                        c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(panel + 16), c1);
                    }
                    // As the micro-kernel stores: α·acc, plus β·C on the first depth block and C after it.
                    float beta = pc == 0 ? s.beta : 1f;
                    var va = Vector512.Create(s.alpha);
                    c0 *= va;
                    c1 *= va;
                    if (beta != 0f)
                    {
                        var vb = Vector512.Create(beta);
                        c0 = Vector512.FusedMultiplyAdd(vb, Avx512F.MaskLoad(c + j0, keep0, Vector512<float>.Zero), c0);
                        c1 = Vector512.FusedMultiplyAdd(vb, Avx512F.MaskLoad(c + j0 + 16, keep1, Vector512<float>.Zero), c1);
                    }
                    Avx512F.MaskStore(c + j0, keep0, c0);
                    Avx512F.MaskStore(c + j0 + 16, keep1, c1);
                }
                s.epilogue.Apply(c + j0, 0, 0, j0, 1, cols);
            }
        });
    }

    /// <summary>One column of C (n = 1: a matrix times a vector, a layer on a 1×1 map with few outputs) as a dot
    /// product per row of A (rows contiguous) with b (contiguous), which the packed path would pad to NR columns.
    /// Parallel over row blocks.</summary>
    private static void ColumnGemv(int threads, int m, int k, float alpha, float* a, long ars, float* b, float beta, float* c, long ldc,
        GemmEpilogue epilogue)
    {
        const int Block = 64;
        var st = (a: (nint)a, ars, b: (nint)b, c: (nint)c, ldc, m, k, alpha, beta, epilogue);
        CpuParallel.For((m + Block - 1) / Block, threads, Math.Max(1, 65536 / ((long)k * Block)), st, static (s, q0, q1) =>
        {
            float* a = (float*)s.a, c = (float*)s.c;
            int i0 = (int)q0 * Block, i1 = (int)Math.Min(s.m, q1 * Block);
            var bv = new ReadOnlySpan<float>((float*)s.b, s.k);
            for (int i = i0; i < i1; i++)
            {
                float dot = s.alpha * TensorPrimitives.Dot(new ReadOnlySpan<float>(a + i * s.ars, s.k), bv);
                float* ci = c + i * s.ldc;
                *ci = s.beta == 0f ? dot : dot + s.beta * *ci;
            }
            s.epilogue.Apply(c + i0 * s.ldc, s.ldc, i0, 0, i1 - i0, 1);
        });
    }

    /// <summary>As above with B supplied by a panel source (e.g. an implicit im2col of an image).</summary>
    public static void Run<TB>(SgemmWorkspace pool, int threads, int m, int n, int k, float alpha,
        float* a, long ars, long acs, TB b, float beta, float* c, long ldc, in GemmEpilogue epilogue = default,
        in Prepacked packed = default) where TB : struct, IPanelSource =>
        Run(Isa, pool, threads, m, n, k, alpha, a, ars, acs, b, beta, c, ldc, epilogue, packed);

    /// <summary>The general entry with a chosen micro-kernel (tests use it to cover the fallbacks; the ISA must be
    /// supported by the machine). Products small enough for the direct loop take it whatever the ISA.</summary>
    internal static void Run<TB>(GemmIsa isa, SgemmWorkspace pool, int threads, int m, int n, int k, float alpha,
        float* a, long ars, long acs, TB b, float beta, float* c, long ldc, in GemmEpilogue epilogue = default,
        in Prepacked packed = default) where TB : struct, IPanelSource
    {
        if (m <= 0 || n <= 0) return;
        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, ldc);
            epilogue.Apply(c, ldc, 0, 0, m, n);
            return;
        }
        if ((long)m * n * k <= SmallWork)
        {
            Direct(m, n, k, alpha, a, ars, acs, b, beta, c, ldc);
            epilogue.Apply(c, ldc, 0, 0, m, n);
            return;
        }

        // A with contiguous rows (activations) is read in place by the 512-bit micro-kernel, six row streams broadcast
        // step by step: packing it cost a scalar pass over A per call, a tenth of a 128 × 256 × 256 product. So is one
        // with contiguous columns where few column panels read it again (ColumnsReadInPlace).
        bool aInPlace = packed.A == null && isa == GemmIsa.Vector512 && (acs == 1 || ars == 1 && ColumnsReadInPlace(n, k));
        var (aBytes, bBytes) = PackBytes(m, n, k);
        if (packed.A != null || aInPlace) aBytes = 64;
        if (packed.B != null) bBytes = 64;
        var (aHandle, bHandle, aLease, bLease) = pool.Take(aBytes, bBytes);
        using var aBuf = aLease;
        using var bBuf = bLease;
        float* ap = (float*)aHandle, bp = (float*)bHandle;

        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            int nPanels = (nc + NR - 1) / NR;
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                float betaNow = pc == 0 ? beta : 1f;

                float* bBlock = packed.B != null ? packed.B + PackedBOffset(k, jc, nc, pc) : bp;
                if (packed.B == null)
                {
                    var packB = (src: b, pc, kc, jc, nc, dst: (nint)bp);
                    CpuParallel.For(nPanels, threads, Math.Max(1, 16384 / kc / NR), packB, static (s, p0, p1) =>
                    {
                        for (long p = p0; p < p1; p++)
                        {
                            int j0 = (int)p * NR;
                            s.src.Pack(s.pc, s.kc, s.jc + j0, Math.Min(NR, s.nc - j0), (float*)s.dst + p * NR * s.kc);
                        }
                    });
                }

                // Rows in slabs of at most MSlab, so the packed-A scratch stays bounded whatever M is.
                for (int ic = 0; ic < m; ic += MSlab)
                {
                    int mc = Math.Min(MSlab, m - ic);
                    float* aBlock = packed.A != null ? packed.A + PackedAOffset(m, kc, ic, pc) : aInPlace ? a + ic * ars + pc * acs : ap;
                    if (packed.A == null && !aInPlace)
                    {
                        var packA = new PackState((nint)(a + ic * ars + pc * acs), ars, acs, mc, kc, (nint)ap);
                        CpuParallel.For((mc + MR - 1) / MR, threads, Math.Max(1, 16384 / kc / MR), packA, static (s, p0, p1) =>
                        {
                            for (long p = p0; p < p1; p++)
                            {
                                int i0 = (int)p * MR;
                                PackA((float*)s.Src + i0 * s.RowStride, s.RowStride, s.ColStride, Math.Min(MR, s.Extent - i0), s.Kc,
                                    (float*)s.Dst + p * MR * s.Kc);
                            }
                        });
                    }

                    // Tiles: row blocks × nb panels. Row blocks of 16 panels keep A's block in L1 beside a B panel when
                    // the depth is small. When B comes from memory (a prepacked weight, or a slab L2 does not keep), each
                    // row block streams all of it again, so the blocks grow as tall as L2 holds their packed A, split
                    // evenly. Column blocks then give every thread a few tiles; rows are cut further only when the columns
                    // cannot.
                    bool bFromMemory = packed.B != null || (long)kc * nc * sizeof(float) > ABlockBytes;
                    int maxRows = bFromMemory ? Math.Max(16 * MR, ABlockBytes / (kc * sizeof(float)) / MR * MR) : 16 * MR;
                    int mBlocks = (mc + maxRows - 1) / maxRows;
                    int nb = nPanels;
                    while (nb > 1 && (long)mBlocks * ((nPanels + nb - 1) / nb) < 4L * threads) nb = (nb + 1) / 2;
                    int nBlocks = (nPanels + nb - 1) / nb;
                    if ((long)mBlocks * nBlocks < 2L * threads) mBlocks = Math.Min((mc + MR - 1) / MR, (2 * threads + nBlocks - 1) / nBlocks);
                    int blockRows = RoundUp((mc + mBlocks - 1) / mBlocks, MR);
                    mBlocks = (mc + blockRows - 1) / blockRows;
                    var tiles = new TileState(mc, blockRows, nc, kc, nb, nBlocks, (nint)aBlock, aInPlace ? ars : 0, acs, (nint)bBlock, (nint)(c + ic * ldc + jc), ldc, alpha, betaNow, isa,
                        pc + kc >= k && epilogue.IsActive ? epilogue : default, ic, jc, packed.B != null);
                    CpuParallel.For((long)mBlocks * nBlocks, threads, 1, tiles, static (s, t0, t1) =>
                    {
                        for (long t = t0; t < t1; t++) ComputeTile(s, (int)(t / s.NBlocks), (int)(t % s.NBlocks));
                    });
                }
            }
        }
    }

    /// <summary>Whether an A with contiguous columns (a pointwise convolution's input, positions × channels) is read in
    /// place, each depth step's six floats broadcast from their line of A: packing it took 13 % of a 576 → 96 layer on
    /// a 14×14 map. Every column panel of B reads A again, a line per depth step for six rows where the panel reads a
    /// line per 2.7 steps, so with many panels, or a depth that needs more than two blocks, packing wins. Single layers
    /// against packing: 576 → 96, 384 → 64 and 64 → 384 on 14×14 0.81-0.94, 960 → 160 on 7×7 0.93-0.98; 96 → 576
    /// 1.07, 256 → 1024 1.08, 1152 → 192 on 7×7 1.05-1.08.</summary>
    private static bool ColumnsReadInPlace(int n, int k) => (n + NR - 1) / NR <= 12 && k <= 2 * KC;

    private readonly record struct PackState(nint Src, long RowStride, long ColStride, int Extent, int Kc, nint Dst);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MicroKernel(GemmIsa isa, int kc, int mr, int nr, float* a, float* b, float* c, long ldc, float alpha, float beta)
    {
        switch (isa)
        {
            case GemmIsa.Vector512: Kernel512(kc, mr, nr, a, a + 1, a + 2, a + 3, a + 4, a + 5, MR, b, c, ldc, alpha, beta); break;
            case GemmIsa.Vector256:
                Kernel256(kc, a, b, c, ldc, alpha, beta);
                Kernel256(kc, a, b + 16, c + 16, ldc, alpha, beta);
                break;
            default: KernelScalar(kc, a, b, c, ldc, alpha, beta); break;
        }
    }

    /// <summary>The 512-bit tile for rows r0..r5 of which the first <paramref name="mr"/> are live: an edge panel of one or
    /// two rows (a packed A of M = 128 leaves two) runs the 2-row kernel and one of three or four the 4-row one, at a
    /// third and two thirds of the full tile's multiply-adds. Rows past the kernel's count are not written. A column edge of at most
    /// 16 live columns (N = 112, 80: a half panel) runs one vector per row, and only its first 16 columns are written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel512(int kc, int mr, int nr, float* r0, float* r1, float* r2, float* r3, float* r4, float* r5, long step, float* b,
        float* c, long ldc, float alpha, float beta)
    {
        if (nr > 16)
        {
            if (mr > 4) Kernel512Rows<SixRows, TwoVectors>(kc, r0, r1, r2, r3, r4, r5, step, b, c, ldc, alpha, beta);
            else if (mr > 2) Kernel512Rows<FourRows, TwoVectors>(kc, r0, r1, r2, r3, r3, r3, step, b, c, ldc, alpha, beta);
            else Kernel512Rows<TwoRows, TwoVectors>(kc, r0, r1, r1, r1, r1, r1, step, b, c, ldc, alpha, beta);
        }
        else if (mr > 4) Kernel512Rows<SixRows, OneVector>(kc, r0, r1, r2, r3, r4, r5, step, b, c, ldc, alpha, beta);
        else if (mr > 2) Kernel512Rows<FourRows, OneVector>(kc, r0, r1, r2, r3, r3, r3, step, b, c, ldc, alpha, beta);
        else Kernel512Rows<TwoRows, OneVector>(kc, r0, r1, r1, r1, r1, r1, step, b, c, ldc, alpha, beta);
    }

    /// <summary>Vectors of 16 columns a 512-bit micro-kernel computes per row (a type argument, as the row count).</summary>
    private interface IKernelCols
    {
        static abstract bool Two { get; }
    }

    private struct OneVector : IKernelCols { public static bool Two => false; }

    private struct TwoVectors : IKernelCols { public static bool Two => true; }

    /// <summary>Rows a 512-bit micro-kernel computes (a type argument, so each count is its own compiled loop).</summary>
    private interface IKernelRows
    {
        static abstract int Rows { get; }
    }

    private struct TwoRows : IKernelRows { public static int Rows => 2; }

    private struct FourRows : IKernelRows { public static int Rows => 4; }

    private struct SixRows : IKernelRows { public static int Rows => 6; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512<TCols>(float* c, Vector512<float> v0, Vector512<float> v1, float alpha, float beta) where TCols : struct, IKernelCols
    {
        var va = Vector512.Create(alpha);
        v0 *= va;
        if (TCols.Two) v1 *= va;
        if (beta != 0f)
        {
            var vb = Vector512.Create(beta);
            v0 = Vector512.FusedMultiplyAdd(vb, Vector512.Load(c), v0);
            if (TCols.Two) v1 = Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 16), v1);
        }
        v0.Store(c);
        if (TCols.Two) v1.Store(c + 16);
    }

    /// <summary>Up to 6×32 tile with twelve 512-bit accumulators: per depth step two B loads, a broadcast and two FMAs per
    /// row. A's rows r0..r5 hold element p at rN[p·step]: a packed panel (rows one float apart, step MR) or A read in
    /// place (step 1 for contiguous rows, the column stride for contiguous columns). Only the first
    /// <typeparamref name="TRows"/> rows and <typeparamref name="TCols"/> vectors of columns are computed and stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows<TRows, TCols>(int kc, float* r0, float* r1, float* r2, float* r3, float* r4, float* r5, long step, float* b,
        float* c, long ldc, float alpha, float beta) where TRows : struct, IKernelRows where TCols : struct, IKernelCols
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (long q = 0, end = kc * step; q < end; q += step)
        {
            var b0 = Vector512.Load(b);
            var b1 = TCols.Two ? Vector512.Load(b + 16) : default;
            var x = Vector512.Create(r0[q]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); if (TCols.Two) c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(r1[q]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); if (TCols.Two) c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            if (TRows.Rows > 2)
            {
                x = Vector512.Create(r2[q]);
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20); if (TCols.Two) c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                x = Vector512.Create(r3[q]);
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30); if (TCols.Two) c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            }
            if (TRows.Rows > 4)
            {
                x = Vector512.Create(r4[q]);
                c40 = Vector512.FusedMultiplyAdd(x, b0, c40); if (TCols.Two) c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
                x = Vector512.Create(r5[q]);
                c50 = Vector512.FusedMultiplyAdd(x, b0, c50); if (TCols.Two) c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            }
            b += NR;
        }
        Store512<TCols>(c, c00, c01, alpha, beta); c += ldc;
        Store512<TCols>(c, c10, c11, alpha, beta);
        if (TRows.Rows > 2)
        {
            c += ldc; Store512<TCols>(c, c20, c21, alpha, beta);
            c += ldc; Store512<TCols>(c, c30, c31, alpha, beta);
        }
        if (TRows.Rows > 4)
        {
            c += ldc; Store512<TCols>(c, c40, c41, alpha, beta);
            c += ldc; Store512<TCols>(c, c50, c51, alpha, beta);
        }
    }

    /// <summary>6×64 tile with 24 accumulators: per depth step four B loads and six broadcasts for 24 FMAs. A's rows as
    /// in <see cref="Kernel512Rows{TRows, TCols}"/>; B's columns [0, 32) at <paramref name="b"/> and [32, 64) at
    /// <paramref name="b2"/>, both stepping <paramref name="bStep"/> floats a depth step (two adjacent packed panels,
    /// or one 64-wide panel of the Winograd products).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel512Wide(int kc, float* r0, float* r1, float* r2, float* r3, float* r4, float* r5, long step, float* b, float* b2,
        long bStep, float* c, long ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default, c50 = default, c51 = default, c52 = default, c53 = default;
        for (long q = 0, end = kc * step; q < end; q += step)
        {
            var x0 = Vector512.Load(b); var x1 = Vector512.Load(b + 16); var x2 = Vector512.Load(b2); var x3 = Vector512.Load(b2 + 16);
            var a = Vector512.Create(r0[q]);
            c00 = Vector512.FusedMultiplyAdd(a, x0, c00); c01 = Vector512.FusedMultiplyAdd(a, x1, c01); c02 = Vector512.FusedMultiplyAdd(a, x2, c02); c03 = Vector512.FusedMultiplyAdd(a, x3, c03);
            a = Vector512.Create(r1[q]);
            c10 = Vector512.FusedMultiplyAdd(a, x0, c10); c11 = Vector512.FusedMultiplyAdd(a, x1, c11); c12 = Vector512.FusedMultiplyAdd(a, x2, c12); c13 = Vector512.FusedMultiplyAdd(a, x3, c13);
            a = Vector512.Create(r2[q]);
            c20 = Vector512.FusedMultiplyAdd(a, x0, c20); c21 = Vector512.FusedMultiplyAdd(a, x1, c21); c22 = Vector512.FusedMultiplyAdd(a, x2, c22); c23 = Vector512.FusedMultiplyAdd(a, x3, c23);
            a = Vector512.Create(r3[q]);
            c30 = Vector512.FusedMultiplyAdd(a, x0, c30); c31 = Vector512.FusedMultiplyAdd(a, x1, c31); c32 = Vector512.FusedMultiplyAdd(a, x2, c32); c33 = Vector512.FusedMultiplyAdd(a, x3, c33);
            a = Vector512.Create(r4[q]);
            c40 = Vector512.FusedMultiplyAdd(a, x0, c40); c41 = Vector512.FusedMultiplyAdd(a, x1, c41); c42 = Vector512.FusedMultiplyAdd(a, x2, c42); c43 = Vector512.FusedMultiplyAdd(a, x3, c43);
            a = Vector512.Create(r5[q]);
            c50 = Vector512.FusedMultiplyAdd(a, x0, c50); c51 = Vector512.FusedMultiplyAdd(a, x1, c51); c52 = Vector512.FusedMultiplyAdd(a, x2, c52); c53 = Vector512.FusedMultiplyAdd(a, x3, c53);
            b += bStep;
            b2 += bStep;
        }
        Store512<TwoVectors>(c, c00, c01, alpha, beta); Store512<TwoVectors>(c + NR, c02, c03, alpha, beta); c += ldc;
        Store512<TwoVectors>(c, c10, c11, alpha, beta); Store512<TwoVectors>(c + NR, c12, c13, alpha, beta); c += ldc;
        Store512<TwoVectors>(c, c20, c21, alpha, beta); Store512<TwoVectors>(c + NR, c22, c23, alpha, beta); c += ldc;
        Store512<TwoVectors>(c, c30, c31, alpha, beta); Store512<TwoVectors>(c + NR, c32, c33, alpha, beta); c += ldc;
        Store512<TwoVectors>(c, c40, c41, alpha, beta); Store512<TwoVectors>(c + NR, c42, c43, alpha, beta); c += ldc;
        Store512<TwoVectors>(c, c50, c51, alpha, beta); Store512<TwoVectors>(c + NR, c52, c53, alpha, beta);
    }

    /// <summary>6×16 half of a panel with twelve 256-bit accumulators (B rows are NR apart in the packed panel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            a += MR;
            b += NR;
        }
        Store256(c, c00, c01, alpha, beta); c += ldc;
        Store256(c, c10, c11, alpha, beta); c += ldc;
        Store256(c, c20, c21, alpha, beta); c += ldc;
        Store256(c, c30, c31, alpha, beta); c += ldc;
        Store256(c, c40, c41, alpha, beta); c += ldc;
        Store256(c, c50, c51, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, Vector256<float> v0, Vector256<float> v1, float alpha, float beta)
    {
        var va = Vector256.Create(alpha);
        v0 *= va;
        v1 *= va;
        if (beta != 0f)
        {
            var vb = Vector256.Create(beta);
            v0 = Vector256.FusedMultiplyAdd(vb, Vector256.Load(c), v0);
            v1 = Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 8), v1);
        }
        v0.Store(c);
        v1.Store(c + 8);
    }

    private static void KernelScalar(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta)
    {
        float* acc = stackalloc float[MR * NR];
        new Span<float>(acc, MR * NR).Clear();
        for (int p = 0; p < kc; p++, a += MR, b += NR)
            for (int r = 0; r < MR; r++)
            {
                float x = a[r];
                float* row = acc + r * NR;
                for (int j = 0; j < NR; j++) row[j] += x * b[j];
            }
        for (int r = 0; r < MR; r++)
        {
            float* dst = c + r * ldc;
            float* src = acc + r * NR;
            if (beta == 0f) for (int j = 0; j < NR; j++) dst[j] = alpha * src[j];
            else for (int j = 0; j < NR; j++) dst[j] = alpha * src[j] + beta * dst[j];
        }
    }

    /// <summary>Packs rows [0, rows) of A over depth [0, kc) into an MR-row panel: dst[p·MR + r] = A(r, p); rows ≥ rows are zero.</summary>
    private static void PackA(float* a, long ars, long acs, int rows, int kc, float* dst)
    {
        if (rows < MR) new Span<float>(dst, MR * kc).Clear();
        if (ars == 1 && rows == MR && kc > 1 && Avx.IsSupported)
        {
            // Columns contiguous (an image's planes read as positions × channels): the six floats of each depth step in
            // one masked load, stored as eight; the next step overwrites the two extra, and the last stores six.
            var six = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(MR)).AsSingle();
            for (int p = 0; p < kc - 1; p++) Avx.MaskLoad(a + p * acs, six).Store(dst + p * MR);
            Avx.MaskStore(dst + (kc - 1) * MR, six, Avx.MaskLoad(a + (kc - 1) * acs, six));
            return;
        }
        if (ars == 1)
        {
            for (int p = 0; p < kc; p++)
            {
                float* src = a + p * acs;
                float* d = dst + p * MR;
                for (int r = 0; r < rows; r++) d[r] = src[r];
            }
            return;
        }
        if (acs == 1 && rows == MR)
        {
            // Rows contiguous (activations, a weight matrix): walk the six rows together so the panel is written in
            // order, eight depth steps at a time by an 8×8 transpose (two zero rows), each column stored as eight floats
            // whose two extra the next step overwrites; the steps after the last full eight (at least one) one by one.
            float* s0 = a, s1 = a + ars, s2 = a + 2 * ars, s3 = a + 3 * ars, s4 = a + 4 * ars, s5 = a + 5 * ars;
            int p = 0;
            if (Avx.IsSupported)
                for (; p + 8 < kc; p += 8, dst += 8 * MR)
                    SixRowsByEight(s0 + p, s1 + p, s2 + p, s3 + p, s4 + p, s5 + p, dst);
            for (; p < kc; p++, dst += MR)
            {
                dst[0] = s0[p]; dst[1] = s1[p]; dst[2] = s2[p]; dst[3] = s3[p]; dst[4] = s4[p]; dst[5] = s5[p];
            }
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            float* src = a + r * ars;
            float* d = dst + r;
            if (acs == 1) for (int p = 0; p < kc; p++) d[p * MR] = src[p];
            else for (int p = 0; p < kc; p++) d[p * MR] = src[p * acs];
        }
    }

    /// <summary>dst[p·MR + r] = row r[p] for eight depth steps p of six rows (an 8×8 transpose with two zero rows), each
    /// step's column stored as eight floats: dst[8·MR, 8·MR + 2) is written too, with zeros.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SixRowsByEight(float* s0, float* s1, float* s2, float* s3, float* s4, float* s5, float* dst) =>
        Transpose8x8.Rows(Avx.LoadVector256(s0), Avx.LoadVector256(s1), Avx.LoadVector256(s2), Avx.LoadVector256(s3),
            Avx.LoadVector256(s4), Avx.LoadVector256(s5), Vector256<float>.Zero, Vector256<float>.Zero, dst, MR);

    /// <summary>C ← β·C (β = 0 writes zeros without reading C).</summary>
    private static void ScaleC(int m, int n, float beta, float* c, long ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) TensorPrimitives.Multiply(row, beta, row);
        }
    }

    /// <summary>Plain triple loop for tiny products (no packing), accumulating in float like the packed path.</summary>
    private static void Direct<TB>(int m, int n, int k, float alpha, float* a, long ars, long acs, TB b,
        float beta, float* c, long ldc) where TB : struct, IPanelSource
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0f;
                float* pa = a + i * ars;
                for (int p = 0; p < k; p++) s += pa[p * acs] * b.At(p, j);
                float* pc = c + i * ldc + j;
                *pc = beta == 0f ? alpha * s : alpha * s + beta * *pc;
            }
    }
}
