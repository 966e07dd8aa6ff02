using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Average pooling along W with stride 1 or 2, 16 (Vector512) or 8 (Vector256) outputs at a time, for the
/// columns whose window lies wholly inside the input: within one output row those windows cover the same input rows
/// (clipped by the padding at the top and bottom) and share one divisor. Stride 1 loads each window column as one
/// vector, stride 2 splits two vectors into even and odd columns (one two-source permute each with AVX-512). Every
/// output sums its window in the general loop's order (0, then rows, then columns) and multiplies by the same
/// 1/count, so the values equal the general loop's bit for bit; the columns that touch the padding stay with it.</summary>
internal static unsafe class AvgPoolRows
{
    /// <summary>The output columns [colLo, colHi) this path computes (empty when it does not apply: other strides, or no
    /// vectors).</summary>
    public static void Columns(in ConvGeometry g, out int colLo, out int colHi)
    {
        colLo = colHi = 0;
        if (g.SW is not (1 or 2) || !VectorWidth.Use256) return;
        // ws = ow·SW − PL ≥ 0 and ws + KW ≤ W; with stride 2 and an odd window the even/odd split reads one column past
        // the window, which must exist too.
        int extent = g.SW == 2 && (g.KW & 1) == 1 ? g.KW + 1 : g.KW;
        ConvGeometry.ValidRange(g.OW, g.SW, -g.PL, g.W - extent + 1, out colLo, out colHi);
    }

    /// <summary>Outputs [c0, c1) (c1 − c0 ≥ 1) of an output row whose windows cover input rows [h0, h0 + rows) (rows ≥ 0),
    /// times <paramref name="scale"/>. Blocks of the widest vector; the last block of a range at least one vector long
    /// overlaps the previous one (the same values are written twice). With AVX-512 a range shorter than 16 is one
    /// masked block; otherwise 8-wide blocks, and a range shorter than 8 is summed one output at a time.</summary>
    public static void Row(in ConvGeometry g, float* xp, float* yRow, int h0, int rows, int c0, int c1, float scale)
    {
        float* top = xp + (long)h0 * g.W - g.PL;
        int n = c1 - c0;
        if (VectorWidth.Use512 && n >= 16)
        {
            for (int next = c0; ; next += 16)
            {
                int o = Math.Min(next, c1 - 16);
                Block16(g, top + o * g.SW, rows, scale, AllLanes, AllLanes).Store(yRow + o);
                if (o == c1 - 16) return;
            }
        }
        if (VectorWidth.Use512 && Avx512F.IsSupported)
        {
            // Fewer than 16 outputs (rows of small maps): one block whose loads and store are masked to the n outputs'
            // columns (stride 2: the 2n floats their windows start in), so nothing past them is read or written.
            var keep = Lanes.First(n);
            Avx512F.MaskStore(yRow + c0, keep, Block16(g, top + c0 * g.SW, rows, scale, g.SW == 1 ? keep : Lanes.First(2 * n), Lanes.First(2 * n - 16)));
            return;
        }
        if (n >= 8)
        {
            for (int next = c0; ; next += 8)
            {
                int o = Math.Min(next, c1 - 8);
                Block8(g, top + o * g.SW, rows, scale).Store(yRow + o);
                if (o == c1 - 8) return;
            }
        }
        for (int o = c0; o < c1; o++)
        {
            float sum = 0f;
            float* w = top + o * g.SW;
            for (int kh = 0; kh < rows; kh++, w += g.W)
                for (int kw = 0; kw < g.KW; kw++) sum += w[kw];
            yRow[o] = sum * scale;
        }
    }

    private static readonly Vector512<int> Evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> Odds = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    private static readonly Vector512<int> Split16 = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    private static readonly Vector256<int> Split8 = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);

    private static readonly Vector512<float> AllLanes = Vector512<float>.AllBitsSet;

    /// <summary>16 outputs whose first window starts at w (stride 1 or 2) and covers <paramref name="rows"/> rows. With
    /// AVX-512 each window column's floats are loaded under <paramref name="lo"/> (the first 16) and <paramref name="hi"/>
    /// (the next 16, stride 2), lanes outside them zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block16(in ConvGeometry g, float* w, int rows, float scale, Vector512<float> lo, Vector512<float> hi)
    {
        var acc = Vector512<float>.Zero;
        if (rows == 2 && g.KW == 2 && g.SW == 2 && Avx512F.IsSupported)
        {
            // The common 2×2 window with stride 2, without the loops.
            var a = Avx512F.MaskLoad(w, lo, Vector512<float>.Zero); var b = Avx512F.MaskLoad(w + 16, hi, Vector512<float>.Zero);
            var c = Avx512F.MaskLoad(w + g.W, lo, Vector512<float>.Zero); var d = Avx512F.MaskLoad(w + g.W + 16, hi, Vector512<float>.Zero);
            acc += Avx512F.PermuteVar16x32x2(a, Evens, b);
            acc += Avx512F.PermuteVar16x32x2(a, Odds, b);
            acc += Avx512F.PermuteVar16x32x2(c, Evens, d);
            acc += Avx512F.PermuteVar16x32x2(c, Odds, d);
            return acc * Vector512.Create(scale);
        }
        for (int kh = 0; kh < rows; kh++, w += g.W)
        {
            if (g.SW == 1)
            {
                for (int kw = 0; kw < g.KW; kw++) acc += Avx512F.IsSupported ? Avx512F.MaskLoad(w + kw, lo, Vector512<float>.Zero) : Vector512.Load(w + kw);
                continue;
            }
            for (int kw = 0; kw < g.KW; kw += 2)
            {
                // Columns kw + 2j (even) and kw + 1 + 2j (odd) of the 32 that start at w + kw.
                if (Avx512F.IsSupported)
                {
                    var a = Avx512F.MaskLoad(w + kw, lo, Vector512<float>.Zero);
                    var b = Avx512F.MaskLoad(w + kw + 16, hi, Vector512<float>.Zero);
                    acc += Avx512F.PermuteVar16x32x2(a, Evens, b);
                    if (kw + 1 < g.KW) acc += Avx512F.PermuteVar16x32x2(a, Odds, b);
                    continue;
                }
                var x0 = Vector512.Shuffle(Vector512.Load(w + kw), Split16);
                var x1 = Vector512.Shuffle(Vector512.Load(w + kw + 16), Split16);
                acc += Vector512.Create(x0.GetLower(), x1.GetLower());
                if (kw + 1 < g.KW) acc += Vector512.Create(x0.GetUpper(), x1.GetUpper());
            }
        }
        return acc * Vector512.Create(scale);
    }

    /// <summary>8 outputs whose first window starts at w (stride 1 or 2) and covers <paramref name="rows"/> rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Block8(in ConvGeometry g, float* w, int rows, float scale)
    {
        var acc = Vector256<float>.Zero;
        for (int kh = 0; kh < rows; kh++, w += g.W)
        {
            if (g.SW == 1)
            {
                for (int kw = 0; kw < g.KW; kw++) acc += Vector256.Load(w + kw);
                continue;
            }
            for (int kw = 0; kw < g.KW; kw += 2)
            {
                var a = Vector256.Shuffle(Vector256.Load(w + kw), Split8);
                var b = Vector256.Shuffle(Vector256.Load(w + kw + 8), Split8);
                acc += Vector256.Create(a.GetLower(), b.GetLower());
                if (kw + 1 < g.KW) acc += Vector256.Create(a.GetUpper(), b.GetUpper());
            }
        }
        return acc * Vector256.Create(scale);
    }
}
