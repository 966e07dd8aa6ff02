using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Max pooling of one output row, 8 outputs at a time (AVX2), for any undilated window and stride along W
/// (the 3×3 stride-2 pooling after a network's stem, the ceil-mode poolings of SqueezeNet, the 1×4 stride-4 poolings of
/// 1-D audio networks): over the columns whose windows lie inside the input horizontally, each tap is one vector of 8
/// candidates (<see cref="StridedVector"/>: stride 2 splits two loads into even columns, larger strides gather), scanned in the scalar loop's order (row-major, the first maximum wins, a NaN takes the place)
/// with compare-and-select, so values and indices equal the general loop's. Rows are clipped by the caller.</summary>
internal static unsafe class MaxPoolRows
{
    private const int V = 8;

    /// <summary>True when this path applies to the geometry (undilated, AVX2).</summary>
    public static bool Applies(in ConvGeometry g) => g.DH == 1 && g.DW == 1 && (g.SW <= 2 ? StridedVector.Supports(g.SW) : StridedVector.SupportsGather);

    /// <summary>The output columns [lo, hi) this path computes: their windows are inside the input horizontally and
    /// every vector load of every tap stays inside the row (<see cref="StridedVector.Span"/> columns per tap). Empty when fewer than
    /// 8 columns qualify.</summary>
    public static void Columns(in ConvGeometry g, out int lo, out int hi)
    {
        ConvGeometry.ValidRange(g.OW, g.SW, -g.PL, g.W, out lo, out _);
        // A block of 8 outputs from o reads columns o·SW − PL … o·SW − PL + reach − 1; they must lie inside the row.
        int reach = g.KW - 1 + StridedVector.Span(g.SW);
        int lastStart = g.W - reach + g.PL;                          // the block's first output satisfies o·SW ≤ lastStart
        int lastBlock = lastStart < 0 ? -1 : lastStart / g.SW;
        hi = lastBlock < lo ? lo : Math.Min(g.OW, lastBlock + V);
        int inside = g.W - g.KW + g.PL;                              // o·SW ≤ inside: window inside the input
        hi = inside < 0 ? lo : Math.Min(hi, inside / g.SW + 1);
        if (hi - lo < V) hi = lo;
    }

    /// <summary>Outputs [lo, hi) of one output row from input rows [r0, r1) (non-empty, inside the input); hi − lo ≥ 8.
    /// The last block is shifted left to end at hi (overlapping outputs are written twice with the same values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row(in ConvGeometry g, float* xp, int r0, int r1, int lo, int hi, float* yRow, long* iRow)
    {
        int w = g.W, kw = g.KW, sw = g.SW;
        for (int next = lo; next < hi; next = Math.Min(next + V, hi))
        {
            int o = Math.Min(next, hi - V);
            int c = o * sw - g.PL;
            var best = Tap(xp + (long)r0 * w + c, sw);
            var code = Vector256<int>.Zero;      // offset of the winning tap from the block's first window corner
            for (int r = r0; r < r1; r++)
            {
                float* row = xp + (long)r * w + c;
                int rowOff = (r - r0) * w;
                for (int k = r == r0 ? 1 : 0; k < kw; k++)
                {
                    var v = Tap(row + k, sw);
                    var take = Vector256.GreaterThan(v, best) | ~Vector256.Equals(v, v);
                    best = Vector256.ConditionalSelect(take, v, best);
                    code = Vector256.ConditionalSelect(take.AsInt32(), Vector256.Create(rowOff + k), code);
                }
            }
            best.Store(yRow + o);
            if (iRow != null)
            {
                var idx = code + StridedVector.Lane * sw;
                var (a, b) = Vector256.Widen(idx);
                var start = Vector256.Create((long)r0 * w + c);
                (a + start).Store(iRow + o);
                (b + start).Store(iRow + o + 4);
            }
            if (o == hi - V) break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Tap(float* p, int stride) => stride <= 2 ? StridedVector.Load(p, stride) : StridedVector.Gather(p, stride);
}
