using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Forward depthwise rows of the common 3×3 and 5×5 windows (undilated, stride 1 or 2 along W) over a
/// zero-padded plane, with the window's weights held in registers: 3×3 with unit stride along H computes two output
/// rows at once, so each loaded input row feeds both. Each accumulator adds its taps in the order of the general loop
/// (the output's bias first; a partial block reads its lanes masked and writes them one by one), so the results are
/// the same bits.</summary>
internal static unsafe class DepthwiseRows
{
    /// <summary>Planes up to this many outputs (16 KiB) take the epilogue once the whole plane is done (it is still in
    /// L1, and one long run vectorises better than rows of 7 or 14); larger planes take it row by row.</summary>
    private const int PlaneEpilogue = 4096;

    /// <summary>Computes the leading output rows of one plane it handles (y holds the bias; the epilogue runs on the
    /// finished rows) and returns how many; the caller's general loop does the rest.</summary>
    public static int Run<TAct>(in ConvGeometry g, float* pad, int pw, float* w, float* y, in EpilogueMath<TAct> e)
        where TAct : struct, IUnaryMath
    {
        if (g.DH != 1 || g.DW != 1) return 0;
        bool rowEpilogue = e.IsActive && g.P > PlaneEpilogue;
        int oh = 0;
        if (g.KH == 3 && g.KW == 3)
        {
            for (; g.SH == 1 && oh + 2 <= g.OH; oh += 2)
            {
                float* y0 = y + oh * g.OW;
                Pair3x3(pad + (long)oh * pw, pw, g.SW, w, y0, y0 + g.OW, g.OW);
                if (rowEpilogue) e.ApplyInPlace(y0, 2 * g.OW);
            }
            for (; oh < g.OH; oh++)
            {
                float* y0 = y + oh * g.OW;
                Row3x3(pad + (long)oh * g.SH * pw, pw, g.SW, w, y0, g.OW);
                if (rowEpilogue) e.ApplyInPlace(y0, g.OW);
            }
        }
        else if (g.KH == 5 && g.KW == 5)
        {
            Rows5x5(g, pad, pw, w, y, rowEpilogue, e);
            oh = g.OH;
        }
        if (e.IsActive && !rowEpilogue && oh > 0) e.ApplyInPlace(y, (long)oh * g.OW);
        return oh;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pair3x3(float* p, int pw, int sw, float* w, float* y0, float* y1, int ow)
    {
        Vector256<float> w00 = Vector256.Create(w[0]), w01 = Vector256.Create(w[1]), w02 = Vector256.Create(w[2]);
        Vector256<float> w10 = Vector256.Create(w[3]), w11 = Vector256.Create(w[4]), w12 = Vector256.Create(w[5]);
        Vector256<float> w20 = Vector256.Create(w[6]), w21 = Vector256.Create(w[7]), w22 = Vector256.Create(w[8]);
        for (int o = 0; o < ow; o += 8)
        {
            int left = ow - o;
            var a = Load(y0 + o, left);
            var b = Load(y1 + o, left);
            float* r = p + o * sw;
            var x0 = StridedVector.Load(r, sw); var x1 = StridedVector.Load(r + 1, sw); var x2 = StridedVector.Load(r + 2, sw);
            a = Fma(w00, x0, a); a = Fma(w01, x1, a); a = Fma(w02, x2, a);
            r += pw;
            x0 = StridedVector.Load(r, sw); x1 = StridedVector.Load(r + 1, sw); x2 = StridedVector.Load(r + 2, sw);
            a = Fma(w10, x0, a); a = Fma(w11, x1, a); a = Fma(w12, x2, a);
            b = Fma(w00, x0, b); b = Fma(w01, x1, b); b = Fma(w02, x2, b);
            r += pw;
            x0 = StridedVector.Load(r, sw); x1 = StridedVector.Load(r + 1, sw); x2 = StridedVector.Load(r + 2, sw);
            a = Fma(w20, x0, a); a = Fma(w21, x1, a); a = Fma(w22, x2, a);
            b = Fma(w10, x0, b); b = Fma(w11, x1, b); b = Fma(w12, x2, b);
            r += pw;
            x0 = StridedVector.Load(r, sw); x1 = StridedVector.Load(r + 1, sw); x2 = StridedVector.Load(r + 2, sw);
            b = Fma(w20, x0, b); b = Fma(w21, x1, b); b = Fma(w22, x2, b);
            Store(a, y0 + o, left);
            Store(b, y1 + o, left);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row3x3(float* p, int pw, int sw, float* w, float* y, int ow)
    {
        Vector256<float> w00 = Vector256.Create(w[0]), w01 = Vector256.Create(w[1]), w02 = Vector256.Create(w[2]);
        Vector256<float> w10 = Vector256.Create(w[3]), w11 = Vector256.Create(w[4]), w12 = Vector256.Create(w[5]);
        Vector256<float> w20 = Vector256.Create(w[6]), w21 = Vector256.Create(w[7]), w22 = Vector256.Create(w[8]);
        for (int o = 0; o < ow; o += 8)
        {
            int left = ow - o;
            var a = Load(y + o, left);
            float* r = p + o * sw;
            a = Fma(w00, StridedVector.Load(r, sw), a); a = Fma(w01, StridedVector.Load(r + 1, sw), a); a = Fma(w02, StridedVector.Load(r + 2, sw), a);
            r += pw;
            a = Fma(w10, StridedVector.Load(r, sw), a); a = Fma(w11, StridedVector.Load(r + 1, sw), a); a = Fma(w12, StridedVector.Load(r + 2, sw), a);
            r += pw;
            a = Fma(w20, StridedVector.Load(r, sw), a); a = Fma(w21, StridedVector.Load(r + 1, sw), a); a = Fma(w22, StridedVector.Load(r + 2, sw), a);
            Store(a, y + o, left);
        }
    }

    /// <summary>Every output row of a 5×5 window: the 25 weights as vectors in a stack array the loop reads, broadcast
    /// once per plane (no broadcast per tap or per row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void Rows5x5<TAct>(in ConvGeometry g, float* pad, int pw, float* w, float* y, bool rowEpilogue, in EpilogueMath<TAct> e)
        where TAct : struct, IUnaryMath
    {
        var wv = stackalloc Vector256<float>[25];
        for (int t = 0; t < 25; t++) wv[t] = Vector256.Create(w[t]);
        int ow = g.OW, sw = g.SW;
        for (int oh = 0; oh < g.OH; oh++)
        {
            float* p = pad + (long)oh * g.SH * pw, yr = y + oh * ow;
            for (int o = 0; o < ow; o += 8)
            {
                int left = ow - o;
                var a = Load(yr + o, left);
                float* r = p + o * sw;
                for (int kh = 0; kh < 5; kh++, r += pw)
                {
                    Vector256<float>* wk = wv + kh * 5;
                    a = Fma(wk[0], StridedVector.Load(r, sw), a);
                    a = Fma(wk[1], StridedVector.Load(r + 1, sw), a);
                    a = Fma(wk[2], StridedVector.Load(r + 2, sw), a);
                    a = Fma(wk[3], StridedVector.Load(r + 3, sw), a);
                    a = Fma(wk[4], StridedVector.Load(r + 4, sw), a);
                }
                Store(a, yr + o, left);
            }
            if (rowEpilogue) e.ApplyInPlace(yr, ow);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(Vector256<float> w, Vector256<float> x, Vector256<float> acc) => Vector256.FusedMultiplyAdd(w, x, acc);

    /// <summary>The block's outputs (the bias): a full block (<paramref name="left"/> ≥ 8) is one load, a partial one
    /// a masked load of its lanes (nothing read past the row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* y, int left) =>
        left >= 8 ? Vector256.Load(y) : Avx.MaskLoad(y, Vector256.LessThan(StridedVector.Lane, Vector256.Create(left)).AsSingle());

    /// <summary>Writes the block's lanes: a full block is one store; a partial one goes lane by lane (the masked store
    /// instruction is microcoded and slow on AMD cores), leaving the outputs after it untouched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> acc, float* y, int left)
    {
        if (left >= 8)
        {
            acc.Store(y);
            return;
        }
        for (int i = 0; i < left; i++) y[i] = acc.GetElement(i);
    }
}
