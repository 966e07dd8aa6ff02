using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>
/// Max pooling without indices (inference), undilated, stride 1 or 2 along W, as two passes over a plane: each input
/// row is copied into a row padded with −∞ and reduced horizontally over the window's columns into a row of OW
/// maxima (16 at a time for 3-wide windows with AVX-512, 8 otherwise); then each output row is the element-wise
/// maximum of the KH reduced rows its window covers.
/// An input row is reduced once however many windows overlap it (a 3×3 stride-1 window reads each row three times
/// otherwise, stride 2 one and a half), and the padded row needs no edge cases. Ties keep the earlier value
/// (<c>vmaxps(new, old)</c> returns old), row by row then within the row, which is the general loop's row-major
/// "first maximum wins"; a plane holding a NaN is left to the exact loop (false), whose NaN rule this does not follow.
/// </summary>
internal static unsafe class MaxPoolSeparable
{
    private const int V = 8;

    /// <summary>Whether this path runs the geometry on this machine (2×2 / 2 has its own kernel, <see cref="MaxPool2x2"/>).</summary>
    public static bool Applies(in ConvGeometry g) =>
        g.DH == 1 && g.DW == 1 && StridedVector.Supports(g.SW) && Avx.IsSupported && !MaxPool2x2.Applies(g);

    /// <summary>Floats of scratch <see cref="Plane"/> needs: the padded plane and its reduced rows.</summary>
    public static long Scratch(in ConvGeometry g) => (long)g.H * PaddedWidth(g) + (long)g.H * RowStride(g);

    /// <summary>Reduced rows are 16-float blocks (a 512-bit or two 256-bit vectors).</summary>
    private static int RowStride(in ConvGeometry g) => (g.OW + 2 * V - 1) / (2 * V) * 2 * V;

    /// <summary>A padded row: every tap of every block (stride 2: 32 floats per 16 outputs, plus the window) stays inside it.</summary>
    private static int PaddedWidth(in ConvGeometry g) => RowStride(g) * g.SW + g.KW + 4 * V;

    /// <summary>Readies a scratch of <see cref="Scratch"/> floats for any number of <see cref="Plane"/> calls: the padding
    /// columns of every row are −∞ (planes then write only the columns their input covers).</summary>
    public static void Prepare(in ConvGeometry g, float* scratch)
    {
        int pw = PaddedWidth(g);
        for (int ih = 0; ih < g.H; ih++)
        {
            float* row = scratch + (long)ih * pw;
            new Span<float>(row, g.PL).Fill(float.NegativeInfinity);
            new Span<float>(row + g.PL + g.W, pw - g.PL - g.W).Fill(float.NegativeInfinity);
        }
    }

    /// <summary>Pools one plane into <paramref name="y"/> with a scratch <see cref="Prepare"/> readied; false (nothing
    /// useful written) when the plane holds a NaN.</summary>
    /// <remarks>The whole plane is copied before any row is reduced, so no reduction loads what a copy's store still
    /// holds in flight at another offset. 3-wide windows (the common 3×3 / 1 and 3×3 / 2) reduce 16 outputs per step
    /// with 512-bit vectors, stride 2 splitting even and odd lanes with two-source permutes.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Plane(in ConvGeometry g, float* x, float* y, float* scratch)
    {
        int pw = PaddedWidth(g), stride = RowStride(g), sw = g.SW, kw = g.KW, h = g.H, w = g.W, pl = g.PL, ow = g.OW;
        float* padded = scratch, rows = scratch + (long)h * pw;
        // Each row at offset PL; the padding on both sides stays −∞ from Prepare.
        for (int ih = 0; ih < h; ih++)
            if (!CopyRow(x + (long)ih * w, padded + (long)ih * pw + pl, w)) return false;
        if (kw == 3 && Avx512F.IsSupported && sw <= 2) ReduceRows3(padded, pw, rows, stride, h, ow, sw);
        else
            for (int ih = 0; ih < h; ih++)
            {
                float* row = padded + (long)ih * pw, hr = rows + (long)ih * stride;
                for (int o = 0; o < ow; o += V)
                {
                    float* p = row + o * sw;
                    var top = StridedVector.Load(p, sw);
                    for (int k = 1; k < kw; k++) top = Avx.Max(StridedVector.Load(p + k, sw), top);
                    top.Store(hr + o);
                }
            }
        for (int oh = 0; oh < g.OH; oh++)
        {
            int r0 = Math.Max(0, oh * g.SH - g.PT), r1 = Math.Min(h, oh * g.SH - g.PT + g.KH);
            float* yr = y + (long)oh * ow, first = rows + (long)r0 * stride;
            int o = 0;
            if (Avx512F.IsSupported)
            {
                // Whole 16-blocks (the reduced rows are 16-float blocks, so the last block's extra lanes are readable;
                // only its first OW − o are stored).
                for (; o < ow; o += 2 * V)
                {
                    var top = Vector512.Load(first + o);
                    for (int r = r0 + 1; r < r1; r++) top = Avx512F.Max(Vector512.Load(rows + (long)r * stride + o), top);
                    if (o + 2 * V <= ow) top.Store(yr + o);
                    else Avx512F.MaskStore(yr + o, Lanes.First(ow - o), top);
                }
                continue;
            }
            for (; o + V <= ow; o += V)
            {
                var top = Vector256.Load(first + o);
                for (int r = r0 + 1; r < r1; r++) top = Avx.Max(Vector256.Load(rows + (long)r * stride + o), top);
                top.Store(yr + o);
            }
            for (; o < ow; o++)
            {
                float top = first[o];
                for (int r = r0 + 1; r < r1; r++) { float v = rows[(long)r * stride + o]; if (v > top) top = v; }
                yr[o] = top;
            }
        }
        return true;
    }

    /// <summary>Copies a row of n floats; false when it holds a NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CopyRow(float* src, float* dst, int n)
    {
        if (Avx512F.IsSupported)
        {
            // 16 at a time, the row's last (partial) vector masked: small planes' rows (28, 14, 7) are mostly tail.
            var unordered = Vector512<float>.Zero;
            for (int j = 0; j < n; j += 2 * V)
            {
                var keep = Lanes.First(n - j);
                var v = Avx512F.MaskLoad(src + j, keep, Vector512<float>.Zero);
                unordered |= Avx512F.CompareUnordered(v, v);
                Avx512F.MaskStore(dst + j, keep, v);
            }
            return unordered.AsUInt32() == Vector512<uint>.Zero;
        }
        var nan = Vector256<float>.Zero;
        int i = 0;
        for (; i + V <= n; i += V)
        {
            var v = Vector256.Load(src + i);
            nan = Avx.Or(nan, Avx.CompareUnordered(v, v));
            v.Store(dst + i);
        }
        for (; i < n; i++)
        {
            float v = src[i];
            if (float.IsNaN(v)) return false;
            dst[i] = v;
        }
        return Avx.TestZ(nan, nan);
    }

    /// <summary>Each padded row's 3-wide window maxima at stride 1 or 2, 16 outputs per step: taps k = 0, 1, 2 of
    /// outputs o … o + 15 are the floats at 2·o + k (stride 2: the even, odd and shifted-even lanes of 32 floats).
    /// Taps are combined in order, new value first, so ties keep the earlier one as the general loop does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReduceRows3(float* padded, int pw, float* rows, int stride, int h, int ow, int sw)
    {
        var even = Lanes.Even;
        var odd = Lanes.Odd;
        for (int ih = 0; ih < h; ih++)
        {
            float* row = padded + (long)ih * pw, hr = rows + (long)ih * stride;
            if (sw == 1)
                for (int o = 0; o < ow; o += 2 * V)
                {
                    var top = Vector512.Load(row + o);
                    top = Avx512F.Max(Vector512.Load(row + o + 1), top);
                    Avx512F.Max(Vector512.Load(row + o + 2), top).Store(hr + o);
                }
            else
                for (int o = 0; o < ow; o += 2 * V)
                {
                    float* p = row + 2 * o;
                    Vector512<float> a = Vector512.Load(p), b = Vector512.Load(p + 16);
                    var top = Avx512F.PermuteVar16x32x2(a, even, b);
                    top = Avx512F.Max(Avx512F.PermuteVar16x32x2(a, odd, b), top);
                    var c = Avx512F.PermuteVar16x32x2(Vector512.Load(p + 2), even, Vector512.Load(p + 18));
                    Avx512F.Max(c, top).Store(hr + o);
                }
        }
    }
}
