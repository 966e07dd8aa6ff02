using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>
/// Max pooling without indices (inference), undilated, stride 1 or 2 along W, as two passes over a plane: each input
/// row is copied into a row padded with −∞ and reduced horizontally over the window's columns into a row of OW
/// maxima, 8 at a time; then each output row is the element-wise maximum of the KH reduced rows its window covers.
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

    /// <summary>Floats of scratch <see cref="Plane"/> needs: the padded row and the plane's reduced rows.</summary>
    public static long Scratch(in ConvGeometry g) => PaddedWidth(g) + (long)g.H * RowStride(g);

    private static int RowStride(in ConvGeometry g) => (g.OW + V - 1) / V * V;

    /// <summary>The padded row: every tap of every block of 8 (stride 2: 16 floats per load) stays inside it.</summary>
    private static int PaddedWidth(in ConvGeometry g) => RowStride(g) * g.SW + g.KW + 2 * V;

    /// <summary>Pools one plane into <paramref name="y"/>; false (nothing useful written) when the plane holds a NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Plane(in ConvGeometry g, float* x, float* y, float* scratch)
    {
        int pw = PaddedWidth(g), stride = RowStride(g), sw = g.SW, kw = g.KW;
        float* row = scratch, rows = scratch + pw;
        var nan = Vector256<float>.Zero;
        new Span<float>(row, pw).Fill(float.NegativeInfinity);
        for (int ih = 0; ih < g.H; ih++)
        {
            // The row at offset PL; the padding on both sides stays −∞ from the fill (the copy covers [PL, PL + W)).
            float* src = x + (long)ih * g.W, dst = row + g.PL;
            int i = 0;
            for (; i + V <= g.W; i += V)
            {
                var v = Vector256.Load(src + i);
                nan = Avx.Or(nan, Avx.CompareUnordered(v, v));
                v.Store(dst + i);
            }
            for (; i < g.W; i++)
            {
                float v = src[i];
                if (float.IsNaN(v)) return false;
                dst[i] = v;
            }
            float* h = rows + (long)ih * stride;
            for (int o = 0; o < g.OW; o += V)
            {
                float* p = row + o * sw;
                var top = StridedVector.Load(p, sw);
                for (int k = 1; k < kw; k++) top = Avx.Max(StridedVector.Load(p + k, sw), top);
                top.Store(h + o);
            }
        }
        if (!Avx.TestZ(nan, nan)) return false;
        for (int oh = 0; oh < g.OH; oh++)
        {
            int r0 = Math.Max(0, oh * g.SH - g.PT), r1 = Math.Min(g.H, oh * g.SH - g.PT + g.KH);
            float* yr = y + (long)oh * g.OW, first = rows + (long)r0 * stride;
            int o = 0;
            for (; o + V <= g.OW; o += V)
            {
                var top = Vector256.Load(first + o);
                for (int r = r0 + 1; r < r1; r++) top = Avx.Max(Vector256.Load(rows + (long)r * stride + o), top);
                top.Store(yr + o);
            }
            for (; o < g.OW; o++)
            {
                float top = first[o];
                for (int r = r0 + 1; r < r1; r++) { float v = rows[(long)r * stride + o]; if (v > top) top = v; }
                yr[o] = top;
            }
        }
        return true;
    }
}
