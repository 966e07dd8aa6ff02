using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;
using Tessera.Cpu.Kernels.Linalg;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Unfolding of input planes into GEMM columns and the adjoint fold (scatter-add). Row r = (c, kh, kw) of the
/// column matrix holds, for output positions j, the input element that tap (kh, kw) of channel c reads at output j
/// (zero where it falls in the padding).</summary>
internal static unsafe class Im2Col
{
    /// <summary>dst[j − j0] for j in [j0, j0 + cols): row (kh, kw) of the column matrix of one input plane.</summary>
    public static void UnfoldRow(in ConvGeometry g, float* plane, int kh, int kw, int j0, int cols, float* dst)
    {
        int offW = kw * g.DW - g.PL;
        ConvGeometry.ValidRange(g.OW, g.SW, offW, g.W, out int lo, out int hi);
        int j = j0, end = j0 + cols;
        while (j < end)
        {
            int oh = j / g.OW, ow0 = j % g.OW, ow1 = Math.Min(g.OW, ow0 + (end - j));
            float* d = dst + (j - j0) - ow0;   // d[ow] is the slot of output (oh, ow)
            int ih = oh * g.SH - g.PT + kh * g.DH;
            if ((uint)ih >= (uint)g.H)
                new Span<float>(d + ow0, ow1 - ow0).Clear();
            else
            {
                // [ow0, a) and [b, ow1) read padding; [a, b) reads the input row.
                float* src = plane + (long)ih * g.W + offW;
                int a = Math.Clamp(lo, ow0, ow1), b = Math.Clamp(hi, a, ow1);
                for (int ow = ow0; ow < a; ow++) d[ow] = 0f;
                if (g.SW == 1) new ReadOnlySpan<float>(src + a, b - a).CopyTo(new Span<float>(d + a, b - a));
                else for (int ow = a; ow < b; ow++) d[ow] = src[ow * g.SW];
                for (int ow = b; ow < ow1; ow++) d[ow] = 0f;
            }
            j += ow1 - ow0;
        }
    }

    /// <summary>col[r·cols + (j − j0)] for r in [0, channels·KK).</summary>
    public static void Unfold(in ConvGeometry g, float* x, int channels, int j0, int cols, float* col, int threads)
    {
        if (j0 == 0 && cols == g.P && UnfoldsPlanes(g))
        {
            UnfoldPlanes(g, x, channels, col, threads);
            return;
        }
        var st = (g, x: (nint)x, j0, cols, col: (nint)col);
        CpuParallel.For((long)channels * g.KK, threads, Math.Max(1, 8192 / Math.Max(1, cols)), st, static (s, r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                int c = (int)(r / s.g.KK), t = (int)(r % s.g.KK);
                UnfoldRow(s.g, (float*)s.x + (long)c * s.g.HW, t / s.g.KW, t % s.g.KW, s.j0, s.cols, (float*)s.col + r * s.cols);
            }
        });
    }

    /// <summary>Floats of the padded plane <see cref="UnfoldPlanes"/> keeps on the stack (16 KiB).</summary>
    private const int MaxPlaneFloats = 4096;

    /// <summary>Whether <see cref="UnfoldPlanes"/> takes the whole column matrix: 512-bit vectors, horizontal stride 1 or
    /// 2, no negative padding, output rows of at most 16 and a padded plane of at most <see cref="MaxPlaneFloats"/>.</summary>
    private static bool UnfoldsPlanes(in ConvGeometry g) =>
        Avx512F.IsSupported && VectorWidth.Use512 && (g.SW == 1 || g.SW == 2) && g.PT >= 0 && g.PL >= 0 && g.OW <= 16 && g.OH > 0 && g.OW > 0
        && PlaneLayout(g).Floats <= MaxPlaneFloats;

    /// <summary>The padded plane's columns per phase and rows: every 16-wide load of every tap stays inside.</summary>
    private static (int Cols, int Rows, long Floats) PlaneLayout(in ConvGeometry g)
    {
        int cols = 16 + ((g.KW - 1) * g.DW + g.SW - 1) / g.SW;
        long rows = (long)(g.OH - 1) * g.SH + (long)(g.KH - 1) * g.DH + 1;
        return (cols, (int)Math.Min(rows, int.MaxValue), rows * g.SW * cols);
    }

    /// <summary>The whole column matrix of small output maps: each channel is copied once into a zero-bordered buffer
    /// (<see cref="DepthwisePlanes.FillRows"/>: at stride 2 split into even and odd columns), after which every (tap, output
    /// row) segment is one masked vector copy — no per-segment bounds, divisions or zero runs (a 512 → 512 3×3 layer on
    /// 7×7 spent 13 % of its time unfolding 32 K segments of 7 floats one by one).</summary>
    private static void UnfoldPlanes(in ConvGeometry g, float* x, int channels, float* col, int threads)
    {
        var (cols, rows, planeFloats) = PlaneLayout(g);
        var st = (g, x: (nint)x, col: (nint)col, cols, rows, planeFloats);
        CpuParallel.For(channels, threads, Math.Max(1, 8192 / Math.Max(1, (long)g.P * g.KK)), st, static (s, c0, c1) =>
        {
            var g = s.g;
            int p = g.P, sw = g.SW;
            long rs = (long)sw * s.cols;
            float* pad = stackalloc float[MaxPlaneFloats];
            new Span<float>(pad, (int)s.planeFloats).Clear();
            var keep = Lanes.First(g.OW);
            for (long c = c0; c < c1; c++)
            {
                DepthwisePlanes.FillRows(g, (float*)s.x + c * g.HW, pad, s.cols, 0, s.rows);
                float* dst = (float*)s.col + c * g.KK * p;
                for (int kh = 0; kh < g.KH; kh++)
                    for (int kw = 0; kw < g.KW; kw++, dst += p)
                    {
                        int dw = kw * g.DW;
                        float* src = pad + (long)kh * g.DH * rs + dw % sw * s.cols + dw / sw;
                        for (int oh = 0; oh < g.OH; oh++)
                            Avx512F.MaskStore(dst + oh * g.OW, keep, Vector512.Load(src + oh * g.SH * rs));
                    }
            }
        });
    }

    /// <summary>x[c, ih, iw] += col[r·cols + (j − j0)] for every valid tap (x is not cleared). Parallel over channels,
    /// each of which owns its plane.</summary>
    public static void Fold(in ConvGeometry g, float* col, int channels, int j0, int cols, float* x, int threads)
    {
        var st = (g, x: (nint)x, j0, cols, col: (nint)col);
        CpuParallel.For(channels, threads, 1, st, static (s, c0, c1) =>
        {
            var g = s.g;
            for (long c = c0; c < c1; c++)
            {
                float* plane = (float*)s.x + c * g.HW;
                for (int t = 0; t < g.KK; t++)
                {
                    int kh = t / g.KW, kw = t % g.KW;
                    float* src = (float*)s.col + (c * g.KK + t) * s.cols;
                    int offW = kw * g.DW - g.PL;
                    ConvGeometry.ValidRange(g.OW, g.SW, offW, g.W, out int lo, out int hi);
                    int j = s.j0, end = s.j0 + s.cols;
                    while (j < end)
                    {
                        int oh = j / g.OW, ow0 = j % g.OW, ow1 = Math.Min(g.OW, ow0 + (end - j));
                        int ih = oh * g.SH - g.PT + kh * g.DH;
                        if ((uint)ih < (uint)g.H)
                        {
                            float* row = plane + (long)ih * g.W + offW;
                            float* sv = src + (j - s.j0 - ow0);
                            int a = Math.Max(ow0, lo), b = Math.Min(ow1, hi);
                            if (g.SW == 1 && b > a)
                            {
                                var dst = new Span<float>(row + a, b - a);
                                System.Numerics.Tensors.TensorPrimitives.Add(dst, new ReadOnlySpan<float>(sv + a, b - a), dst);
                            }
                            else for (int ow = a; ow < b; ow++) row[ow * g.SW] += sv[ow];
                        }
                        j += ow1 - ow0;
                    }
                }
            }
        });
    }
}

/// <summary>The column matrix of a group's input planes as a GEMM B operand, unfolded straight into the packed
/// panels (implicit im2col: no column buffer, no second pass).</summary>
internal readonly unsafe struct Im2ColPanels(ConvGeometry g, float* x) : IPanelSource
{
    private readonly nint _x = (nint)x;

    public void Pack(int p0, int kc, int j0, int cols, float* dst)
    {
        const int NR = Sgemm.NR, MaxTable = 64;
        // The panel's columns as runs along output rows (oh, ow0, length): at most NR runs.
        int* runOh = stackalloc int[NR], runOw = stackalloc int[NR], runLen = stackalloc int[NR];
        int runs = 0;
        for (int j = j0, end = j0 + cols; j < end; runs++)
        {
            runOh[runs] = j / g.OW;
            runOw[runs] = j % g.OW;
            runLen[runs] = Math.Min(g.OW - runOw[runs], end - j);
            j += runLen[runs];
        }
        // Valid output columns per kernel column kw (depends on kw only).
        bool table = g.KW <= MaxTable;
        int* lo = stackalloc int[MaxTable], hi = stackalloc int[MaxTable];
        if (table)
            for (int kw = 0; kw < g.KW; kw++) ConvGeometry.ValidRange(g.OW, g.SW, kw * g.DW - g.PL, g.W, out lo[kw], out hi[kw]);

        int c = p0 / g.KK, t = p0 % g.KK, kh0 = t / g.KW, kw0 = t % g.KW;
        float* x = (float*)_x;
        for (int p = 0; p < kc; p++)
        {
            float* d = dst + p * NR;
            float* plane = x + (long)c * g.HW;
            int offW = kw0 * g.DW - g.PL, vlo, vhi;
            if (table) { vlo = lo[kw0]; vhi = hi[kw0]; }
            else ConvGeometry.ValidRange(g.OW, g.SW, offW, g.W, out vlo, out vhi);
            for (int r = 0; r < runs; r++)
            {
                int ow0 = runOw[r], ow1 = ow0 + runLen[r];
                float* dr = d - ow0;   // dr[ow] is the slot of output (oh, ow)
                int ih = runOh[r] * g.SH - g.PT + kh0 * g.DH;
                if ((uint)ih >= (uint)g.H)
                    for (int ow = ow0; ow < ow1; ow++) dr[ow] = 0f;
                else
                {
                    float* src = plane + (long)ih * g.W + offW;
                    int a = Math.Clamp(vlo, ow0, ow1), b = Math.Clamp(vhi, a, ow1);
                    for (int ow = ow0; ow < a; ow++) dr[ow] = 0f;
                    if (g.SW == 1) Copy(src + a, dr + a, b - a);
                    else StridedVector.Copy(src, dr, a, b, g.SW, g.W - offW);
                    for (int ow = b; ow < ow1; ow++) dr[ow] = 0f;
                }
                d += runLen[r];
            }
            for (int j = cols; j < NR; j++) dst[p * NR + j] = 0f;
            if (++kw0 == g.KW) { kw0 = 0; if (++kh0 == g.KH) { kh0 = 0; c++; } }
        }
    }

    /// <summary>Short copy (at most NR floats): 8-wide vector steps, then a scalar tail.</summary>
    private static void Copy(float* src, float* dst, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
        for (; i < n; i++) dst[i] = src[i];
    }

    public float At(int p, int j)
    {
        int c = p / g.KK, t = p % g.KK, kh = t / g.KW, kw = t % g.KW;
        int ih = j / g.OW * g.SH - g.PT + kh * g.DH, iw = j % g.OW * g.SW - g.PL + kw * g.DW;
        return (uint)ih < (uint)g.H && (uint)iw < (uint)g.W ? ((float*)_x)[(long)c * g.HW + (long)ih * g.W + iw] : 0f;
    }
}

/// <summary>The transposed column matrix (B(p, r) = col(r, p): spatial positions down, unfolded rows across) as a GEMM
/// B operand, for the weight gradient dw = dy · colᵀ: each of the panel's rows is unfolded into a small buffer and
/// transposed into the panel.</summary>
internal readonly unsafe struct Im2ColTransposedPanels(ConvGeometry g, float* x) : IPanelSource
{
    private readonly nint _x = (nint)x;

    public void Pack(int p0, int kc, int j0, int cols, float* dst)
    {
        const int NR = Sgemm.NR;
        float* row = stackalloc float[Sgemm.KC];
        if (cols < NR) new Span<float>(dst, NR * kc).Clear();
        for (int jj = 0; jj < cols; jj++)
        {
            int r = j0 + jj, c = r / g.KK, t = r % g.KK;
            Im2Col.UnfoldRow(g, (float*)_x + (long)c * g.HW, t / g.KW, t % g.KW, p0, kc, row);
            float* d = dst + jj;
            for (int p = 0; p < kc; p++) d[p * NR] = row[p];
        }
    }

    public float At(int p, int j) => new Im2ColPanels(g, (float*)_x).At(j, p);
}
