using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>
/// Max pooling of small planes without indices (inference): input rows of at most 32 and output rows of at most 16,
/// any window, stride, padding, dilation or ceil mode. Each input row is loaded once into two registers (−∞ past its
/// end); each window column is picked from them by a two-source permute with an index vector per kernel column
/// (computed once per work chunk, −∞ where the column falls in the padding), so the row is reduced horizontally in
/// registers; each output row is then the maximum of the reduced rows its window covers, stored masked. On 14×14 and
/// 7×7 maps the separable path's per-plane copy and per-row setup cost 6× ONNX Runtime's time (and a 2×2 / 2 window
/// in ceil mode fell to the scalar loop). Ties keep the earlier value as the general loop does; a plane holding a NaN
/// is left to the exact loop (false).
/// </summary>
internal static unsafe class MaxPoolSmall
{
    private const int L = 16;

    /// <summary>Most input columns (two registers), input rows (the reduced rows live on the stack) and window columns.</summary>
    public const int MaxW = 2 * L, MaxH = 64, MaxKW = L;

    /// <summary>Whether this path pools the geometry on this machine.</summary>
    public static bool Applies(in ConvGeometry g) =>
        Avx512F.IsSupported && VectorWidth.Use512 && g.W <= MaxW && g.H <= MaxH && g.OW <= L && g.KW <= MaxKW
        && g.OH > 0 && g.OW > 0 && g.W > 0 && g.H > 0;

    /// <summary>The per-geometry tables <see cref="Plane"/> reads: for kernel column kw, the input column each output
    /// lane reads (<paramref name="index"/>) and whether it lies in the input (<paramref name="inside"/>).</summary>
    public static void Prepare(in ConvGeometry g, Vector512<int>* index, Vector512<float>* inside)
    {
        int* idx = stackalloc int[L];
        float* ok = stackalloc float[L];
        for (int kw = 0; kw < g.KW; kw++)
        {
            for (int o = 0; o < L; o++)
            {
                int c = o * g.SW + kw * g.DW - g.PL;
                bool valid = o < g.OW && c >= 0 && c < g.W;
                idx[o] = valid ? c : 0;
                ok[o] = valid ? BitConverter.Int32BitsToSingle(-1) : 0f;
            }
            index[kw] = Vector512.Load(idx);
            inside[kw] = Vector512.Load(ok);
        }
    }

    /// <summary>Pools one plane into <paramref name="y"/> with the tables of <see cref="Prepare"/>; false (y partly
    /// written) when the plane holds a NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public static bool Plane(in ConvGeometry g, float* x, float* y, Vector512<int>* index, Vector512<float>* inside)
    {
        var rows = stackalloc Vector512<float>[MaxH];
        var ninf = Vector512.Create(float.NegativeInfinity);
        var loKeep = Lanes.First(g.W);
        var hiKeep = Lanes.First(g.W - L);
        var nan = Vector512<float>.Zero;
        for (int ih = 0; ih < g.H; ih++)
        {
            float* src = x + (long)ih * g.W;
            var lo = Avx512F.MaskLoad(src, loKeep, ninf);
            var hi = Avx512F.MaskLoad(src + L, hiKeep, ninf);
            nan |= Vector512.IsNaN(lo) | Vector512.IsNaN(hi);
            var h = ninf;
            for (int kw = 0; kw < g.KW; kw++)
                h = Avx512F.Max(Vector512.ConditionalSelect(inside[kw], Avx512F.PermuteVar16x32x2(lo, index[kw], hi), ninf), h);
            rows[ih] = h;
        }
        if (nan != Vector512<float>.Zero) return false;
        var outKeep = Lanes.First(g.OW);
        for (int oh = 0; oh < g.OH; oh++)
        {
            int r0 = oh * g.SH - g.PT;
            var acc = ninf;
            for (int kh = 0; kh < g.KH; kh++)
            {
                int ih = r0 + kh * g.DH;
                if ((uint)ih < (uint)g.H) acc = Avx512F.Max(rows[ih], acc);
            }
            Avx512F.MaskStore(y + (long)oh * g.OW, outKeep, acc);
        }
        return true;
    }
}
