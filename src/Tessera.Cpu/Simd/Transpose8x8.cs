using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Cpu.Simd;

/// <summary>8×8 transposes of floats with AVX (attention's packed key tiles, the convolutions' layout changes).</summary>
internal static unsafe class Transpose8x8
{
    /// <summary>dst[c, r] = src[r, c] for an 8×8 block (row strides lds and ldd), by the unpack/shuffle/permute
    /// sequence of AVX.</summary>
    public static void Block(float* src, long lds, float* dst, long ldd) =>
        Rows(Avx.LoadVector256(src), Avx.LoadVector256(src + lds), Avx.LoadVector256(src + 2 * lds), Avx.LoadVector256(src + 3 * lds),
            Avx.LoadVector256(src + 4 * lds), Avx.LoadVector256(src + 5 * lds), Avx.LoadVector256(src + 6 * lds), Avx.LoadVector256(src + 7 * lds),
            dst, ldd);

    /// <summary>Stores the columns of the 8×8 block whose rows are r0..r7: dst[c·ldd + r] = r_r[c].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static void Rows(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, long ldd)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>dst[c·ldd + r] = src[r·lds + c] for a rows × cols matrix: 8×8 blocks in registers, the edges element by
    /// element.</summary>
    public static void Matrix(float* src, long lds, int rows, int cols, float* dst, long ldd)
    {
        int r0 = 0;
        for (; r0 + 8 <= rows; r0 += 8)
        {
            int c0 = 0;
            for (; c0 + 8 <= cols; c0 += 8) Block(src + r0 * lds + c0, lds, dst + c0 * ldd + r0, ldd);
            for (int c = c0; c < cols; c++)
                for (int r = r0; r < r0 + 8; r++) dst[c * ldd + r] = src[r * lds + c];
        }
        for (int r = r0; r < rows; r++)
            for (int c = 0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
    }
}
