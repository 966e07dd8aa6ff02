using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>The common 2×2, stride-2, unpadded max pooling, 16 outputs at a time with AVX-512: the two input rows are
/// split into even and odd columns, and the four candidates are scanned in the scalar loop's order (row-major, first
/// maximum wins, a NaN takes the place) with compare-and-select, so values and indices equal the general loop's.</summary>
internal static unsafe class MaxPool2x2
{
    private static readonly Vector512<int> Evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> Odds = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    private static readonly Vector512<int> Lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    /// <summary>True when this path applies to the geometry (every window lies fully inside the input).</summary>
    public static bool Applies(in ConvGeometry g) =>
        Avx512F.IsSupported && g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.PT == 0 && g.PL == 0
        && g.DH == 1 && g.DW == 1 && 2 * g.OH <= g.H && 2 * g.OW <= g.W;

    /// <summary>Output columns [0, done) of row <paramref name="oh"/>; returns done; the caller finishes the row. A row
    /// of at least 16 outputs is done whole: its last block overlaps the previous one (same values written twice).</summary>
    public static int Row(in ConvGeometry g, float* xp, float* yRow, long* iRow, int oh)
    {
        int w = g.W, ow = g.OW;
        if (ow < 16) return 0;
        float* r0 = xp + (long)(2 * oh) * w, r1 = r0 + w;
        long rowBase = (long)(2 * oh) * w;
        for (int next = 0; next < ow; next = Math.Min(next + 16, ow))
        {
            int o = Math.Min(next, ow - 16);
            int c = 2 * o;
            var a0 = Vector512.Load(r0 + c);
            var a1 = Vector512.Load(r0 + c + 16);
            var b0 = Vector512.Load(r1 + c);
            var b1 = Vector512.Load(r1 + c + 16);
            var best = Avx512F.PermuteVar16x32x2(a0, Evens, a1);     // (r0, c)
            var code = Vector512<int>.Zero;
            Take(Avx512F.PermuteVar16x32x2(a0, Odds, a1), 1, ref best, ref code);  // (r0, c + 1)
            Take(Avx512F.PermuteVar16x32x2(b0, Evens, b1), 2, ref best, ref code); // (r1, c)
            Take(Avx512F.PermuteVar16x32x2(b0, Odds, b1), 3, ref best, ref code);  // (r1, c + 1)
            best.Store(yRow + o);
            if (iRow != null)
            {
                // index = (2·oh + code/2)·W + 2·(o + lane) + code%2
                var col = (Lane + Vector512.Create(o)) * 2 + (code & Vector512.Create(1));
                var idx = Vector512.ShiftRightArithmetic(code, 1) * w + col;
                var (lo, hi) = Vector512.Widen(idx);
                (lo + Vector512.Create(rowBase)).Store(iRow + o);
                (hi + Vector512.Create(rowBase)).Store(iRow + o + 8);
            }
            if (o == ow - 16) break;
        }
        return ow;
    }

    private static void Take(Vector512<float> v, int k, ref Vector512<float> best, ref Vector512<int> code)
    {
        var take = Vector512.GreaterThan(v, best) | ~Vector512.Equals(v, v);
        best = Vector512.ConditionalSelect(take, v, best);
        code = Vector512.ConditionalSelect(take.AsInt32(), Vector512.Create(k), code);
    }
}
