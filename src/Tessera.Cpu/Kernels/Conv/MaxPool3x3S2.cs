using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>
/// Max pooling 3×3 / 2 without indices (SqueezeNet's, GoogLeNet's and Inception's downsampling, ceil mode or not, any
/// padding) in one pass over the plane, 16 outputs at a time with AVX-512: each of a window's input rows gives the
/// even, odd and next-even columns of 34 inputs (two loads at c and two at c + 2, three two-source permutes), reduced
/// column by column, then row by row — the row-major order of the general loop, whose first maximum wins ties (±0).
/// Vectors whose loads would reach past the row's edges (padding, ceil mode) load masked, −∞ outside. The separable
/// path it replaces copied every row into a padded buffer and reduced it into a second one first.
/// A plane where any input a window reads is a NaN is left to the exact loop (false), whose NaN rule the maxima do not
/// follow: every loaded vector is checked as it is reduced.
/// </summary>
internal static unsafe class MaxPool3x3S2
{
    private const int L = 16;

    /// <summary>Whether the geometry is a 3×3 / 2 undilated window with room for one vector of outputs.</summary>
    public static bool Applies(in ConvGeometry g) =>
        Avx512F.IsSupported && g.KH == 3 && g.KW == 3 && g.SH == 2 && g.SW == 2 && g.DH == 1 && g.DW == 1
        && g.PT < 3 && g.PL < 3 && g.OW >= L && g.OH > 0;

    /// <summary>y = maxpool(x) for one plane; false (y partly written) when a window reads a NaN.</summary>
    public static bool Plane(in ConvGeometry g, float* x, float* y)
    {
        int w = g.W, ow = g.OW;
        var bad = Vector512<float>.Zero;
        // Outputs whose loads (columns 2·o − PL + [0, 34)) stay inside the row run unmasked; the edge vectors load
        // masked, −∞ outside the row (the padding), which no window's maximum takes unless its inputs are all −∞.
        int lo = (g.PL + 1) / 2, hi = (w - 34 + g.PL) / 2;
        Vector512<int> even = Lanes.Even, odd = Lanes.Odd;
        for (int oh = 0; oh < g.OH; oh++)
        {
            int hs = 2 * oh - g.PT, r0 = Math.Max(0, hs), r1 = Math.Min(g.H, hs + 3);
            float* yRow = y + (long)oh * ow;
            for (int next = 0; next < ow; next = Math.Min(next + L, ow))
            {
                int o = Math.Min(next, ow - L), c0 = 2 * o - g.PL;
                float* p = x + (long)r0 * w + c0;
                bool inside = o >= lo && o <= hi;
                var top = Columns(p, c0, w, inside, even, odd, ref bad);
                for (int r = r0 + 1; r < r1; r++) top = Avx512F.Max(Columns(p + (long)(r - r0) * w, c0, w, inside, even, odd, ref bad), top);
                top.Store(yRow + o);
            }
        }
        return bad == Vector512<float>.Zero;
    }

    /// <summary>The maxima of 16 three-column windows at stride 2 of one row, window j at p + 2j (row column c0 + 2j):
    /// max(p[2j], p[2j + 1], p[2j + 2]), the earlier column kept on ties (<c>vmaxps(new, old)</c> returns old).
    /// Unless <paramref name="inside"/>, columns outside [0, w) read as −∞ (masked loads touch nothing there).
    /// <paramref name="bad"/> gains the lanes where any input read is a NaN.</summary>
    private static Vector512<float> Columns(float* p, int c0, int w, bool inside, Vector512<int> even, Vector512<int> odd, ref Vector512<float> bad)
    {
        Vector512<float> a, b, c, d;
        if (inside) (a, b, c, d) = (Vector512.Load(p), Vector512.Load(p + L), Vector512.Load(p + 2), Vector512.Load(p + 2 + L));
        else (a, b, c, d) = (Edge(p, c0, w), Edge(p + L, c0 + L, w), Edge(p + 2, c0 + 2, w), Edge(p + 2 + L, c0 + 2 + L, w));
        bad |= Avx512F.CompareUnordered(a, d) | Avx512F.CompareUnordered(b, c);
        var m = Avx512F.Max(Avx512F.PermuteVar16x32x2(a, odd, b), Avx512F.PermuteVar16x32x2(a, even, b));
        return Avx512F.Max(Avx512F.PermuteVar16x32x2(c, even, d), m);
    }

    /// <summary>16 floats of a row from column <paramref name="col"/> at <paramref name="p"/>, −∞ outside [0, w).</summary>
    private static Vector512<float> Edge(float* p, int col, int w)
    {
        var cols = Vector512<int>.Indices + Vector512.Create(col);
        var keep = (Vector512.GreaterThanOrEqual(cols, Vector512<int>.Zero) & Vector512.LessThan(cols, Vector512.Create(w))).AsSingle();
        return Avx512F.MaskLoad(p, keep, Vector512.Create(float.NegativeInfinity));
    }
}
