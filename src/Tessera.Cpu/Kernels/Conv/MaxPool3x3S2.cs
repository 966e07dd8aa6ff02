using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>
/// Max pooling 3×3 / 2 without indices (SqueezeNet's, GoogLeNet's and Inception's downsampling, ceil mode or not, any
/// padding) in one pass over the plane with AVX-512, 16 outputs at a time: the window's input rows are reduced down
/// each column first (16 columns a vector, in registers), then the column maxima's even, odd and next-even columns are
/// taken (two permutes and a lane shift). Each vector of column maxima serves two output vectors: it is the next-even
/// column of one and the first columns of the next. Reducing each row's columns first, as before, did three times the
/// permutes (64 × 111² in ceil mode 0.107 → 0.073 ms, 64 × 112² with padding 0.181 → 0.068 ms at one thread). Columns
/// outside the row (padding, ceil mode) load masked, −∞ there.
/// Ties keep the upper row, then the left column (<c>vmaxps(new, old)</c> returns old); the general loop keeps the
/// first in row-major order, so only the sign of a zero maximum tied with a zero of the other sign in another row and
/// column can differ. A plane where any input a window reads is a NaN is left to the exact loop (false), whose NaN
/// rule the maxima do not follow: every loaded vector is checked as it is reduced.
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
        Vector512<int> even = Lanes.Even, odd = Lanes.Odd;
        for (int oh = 0; oh < g.OH; oh++)
        {
            int hs = 2 * oh - g.PT, r0 = Math.Max(0, hs), rows = Math.Min(g.H, hs + 3) - r0;
            float* p = x + (long)r0 * w;
            float* yRow = y + (long)oh * ow;
            // Output o's window starts at column 2·o − PL: its columns are the 32 from there, and one more.
            int o = 0, col = -g.PL;
            var a = Down(p, col, w, rows, ref bad);
            for (; o + L <= ow; o += L, col += 2 * L)
            {
                var b = Down(p, col + L, w, rows, ref bad);
                var e = Down(p, col + 2 * L, w, rows, ref bad);
                Store(a, b, e, even, odd, yRow + o);
                a = e;
            }
            if (o < ow)
            {
                // The last outputs as a vector ending at the row's end, overlapping the previous one.
                o = ow - L;
                col = 2 * o - g.PL;
                Store(Down(p, col, w, rows, ref bad), Down(p, col + L, w, rows, ref bad), Down(p, col + 2 * L, w, rows, ref bad), even, odd, yRow + o);
            }
        }
        return bad == Vector512<float>.Zero;
    }

    /// <summary>16 outputs from the column maxima of their 33 columns (a, b, and e's first): the maximum of each even
    /// column, the odd one after it and the even one after that, the left kept on ties.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> a, Vector512<float> b, Vector512<float> e, Vector512<int> even, Vector512<int> odd, float* y)
    {
        var ev = Avx512F.PermuteVar16x32x2(a, even, b);
        var next = Avx512F.AlignRight32(e.AsUInt32(), ev.AsUInt32(), 1).AsSingle();
        Avx512F.Max(next, Avx512F.Max(Avx512F.PermuteVar16x32x2(a, odd, b), ev)).Store(y);
    }

    /// <summary>The maximum down <paramref name="rows"/> rows (1 to 3, <paramref name="w"/> floats apart) of the 16
    /// columns from <paramref name="col"/>, the upper row kept on ties; columns outside [0, w) are −∞ and not read.
    /// <paramref name="bad"/> gains the lanes where any input read is a NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Down(float* p, int col, int w, int rows, ref Vector512<float> bad)
    {
        p += col;
        Vector512<float> m, n;
        if (col >= 0 && col + L <= w)
        {
            m = Vector512.Load(p);
            if (rows == 1)
            {
                bad |= Avx512F.CompareUnordered(m, m);
                return m;
            }
            n = Vector512.Load(p + w);
            bad |= Avx512F.CompareUnordered(m, n);
            m = Avx512F.Max(n, m);
            if (rows == 2) return m;
            n = Vector512.Load(p + 2 * w);
            bad |= Avx512F.CompareUnordered(n, n);
            return Avx512F.Max(n, m);
        }
        var cols = Vector512<int>.Indices + Vector512.Create(col);
        var keep = (Vector512.GreaterThanOrEqual(cols, Vector512<int>.Zero) & Vector512.LessThan(cols, Vector512.Create(w))).AsSingle();
        var negInf = Vector512.Create(float.NegativeInfinity);
        m = Avx512F.MaskLoad(p, keep, negInf);
        bad |= Avx512F.CompareUnordered(m, m);
        for (int r = 1; r < rows; r++)
        {
            n = Avx512F.MaskLoad(p + (long)r * w, keep, negInf);
            bad |= Avx512F.CompareUnordered(n, n);
            m = Avx512F.Max(n, m);
        }
        return m;
    }
}
