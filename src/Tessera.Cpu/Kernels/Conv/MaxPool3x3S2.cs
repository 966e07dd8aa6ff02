using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>
/// Max pooling 3×3 / 2 without indices (SqueezeNet's, GoogLeNet's and Inception's downsampling, ceil mode or not, any
/// padding) in one pass over the plane, 16 outputs at a time with AVX-512: each of a window's input rows gives the
/// even, odd and next-even columns of 34 inputs (two loads at c and two at c + 2, three two-source permutes), reduced
/// column by column, then row by row — the row-major order of the general loop, whose first maximum wins ties (±0).
/// Outputs whose windows reach past the row's edges, or whose loads would, take the same loop one window at a time. The
/// separable path it replaces copied every row into a padded buffer and reduced it into a second one first.
/// A plane where any input a window reads is a NaN is left to the exact loop (false), whose NaN rule the maxima do not
/// follow: every loaded vector is checked as it is reduced.
/// </summary>
internal static unsafe class MaxPool3x3S2
{
    private const int L = 16;

    /// <summary>Whether the geometry is a 3×3 / 2 undilated window with room for one vector of outputs.</summary>
    public static bool Applies(in ConvGeometry g) =>
        Avx512F.IsSupported && g.KH == 3 && g.KW == 3 && g.SH == 2 && g.SW == 2 && g.DH == 1 && g.DW == 1
        && g.PT < 3 && g.PL < 3 && g.OW >= L && g.W >= 2 * L + 2 && g.OH > 0;

    /// <summary>y = maxpool(x) for one plane; false (y partly written) when x holds a NaN.</summary>
    public static bool Plane(in ConvGeometry g, float* x, float* y)
    {
        int w = g.W, ow = g.OW;
        var bad = Vector512<float>.Zero;
        // Vector outputs [lo, hi): window columns 2·o − PL ≥ 0, and the loads at 2·o − PL + 2 + [0, 32) inside the row.
        int lo = (g.PL + 1) / 2, hi = Math.Min(ow, (w - 34 + g.PL) / 2 + L);
        if (hi - lo < L) hi = lo;
        Vector512<int> even = Lanes.Even, odd = Lanes.Odd;
        for (int oh = 0; oh < g.OH; oh++)
        {
            int hs = 2 * oh - g.PT, r0 = Math.Max(0, hs), r1 = Math.Min(g.H, hs + 3);
            float* yRow = y + (long)oh * ow;
            for (int next = lo; next < hi; next = Math.Min(next + L, hi))
            {
                int o = Math.Min(next, hi - L);
                float* p = x + (long)r0 * w + (2 * o - g.PL);
                var top = Columns(p, even, odd, ref bad);
                for (int r = r0 + 1; r < r1; r++) top = Avx512F.Max(Columns(p + (long)(r - r0) * w, even, odd, ref bad), top);
                top.Store(yRow + o);
            }
            if (!Windows(g, x, r0, r1, 0, lo, yRow) || !Windows(g, x, r0, r1, hi, ow, yRow)) return false;
        }
        return bad == Vector512<float>.Zero;
    }

    /// <summary>The maxima of 16 three-column windows at stride 2 of one row, window j at p + 2j: max(p[2j], p[2j + 1],
    /// p[2j + 2]), the earlier column kept on ties (<c>vmaxps(new, old)</c> returns old); <paramref name="bad"/> gains the
    /// lanes where any of the 34 inputs is a NaN.</summary>
    private static Vector512<float> Columns(float* p, Vector512<int> even, Vector512<int> odd, ref Vector512<float> bad)
    {
        Vector512<float> a = Vector512.Load(p), b = Vector512.Load(p + L), c = Vector512.Load(p + 2), d = Vector512.Load(p + 2 + L);
        bad |= Avx512F.CompareUnordered(a, d) | Avx512F.CompareUnordered(b, c);
        var m = Avx512F.Max(Avx512F.PermuteVar16x32x2(a, odd, b), Avx512F.PermuteVar16x32x2(a, even, b));
        return Avx512F.Max(Avx512F.PermuteVar16x32x2(c, even, d), m);
    }

    /// <summary>Outputs [o0, o1) of one output row from input rows [r0, r1), each window clipped to the input, in
    /// row-major order with the first maximum kept; false at a NaN.</summary>
    private static bool Windows(in ConvGeometry g, float* x, int r0, int r1, int o0, int o1, float* yRow)
    {
        for (int o = o0; o < o1; o++)
        {
            int ws = 2 * o - g.PL, c0 = Math.Max(0, ws), c1 = Math.Min(g.W, ws + 3);
            float best = float.NegativeInfinity;
            bool any = false;
            for (int r = r0; r < r1; r++)
                for (int c = c0; c < c1; c++)
                {
                    float v = x[(long)r * g.W + c];
                    if (float.IsNaN(v)) return false;
                    if (!any || v > best) best = v;
                    any = true;
                }
            yRow[o] = best;
        }
        return true;
    }
}
