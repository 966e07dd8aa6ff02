using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Kernels.Linalg;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Forward convolution on small output maps as the transposed product: yᵀ [P × o] = colᵀ [P × K] · wᵀ [K × o].
/// With the positions as the GEMM's rows (6-row panels) and the output channels as its columns (32-column panels), a
/// 7×7 map fills 49 of 54 rows instead of 49 of the 64 columns the direct product (or a padded-row tile) computes.
/// The column matrix is the input itself for pointwise layers and an explicit im2col otherwise (small at these map
/// sizes); the weight is the GEMM's B operand (packed once per graph when constant). The result is transposed into y
/// 8×8 blocks at a time, the bias added on the way, and the epilogue then runs over each output plane.</summary>
internal static unsafe class TransposedGemmConv
{
    /// <summary>Output positions up to which this path is taken (with at least <see cref="MinChannels"/> outputs).
    /// Measured, ratio to ONNX Runtime in one run: 7×7 maps 512 → 512 3×3 0.69 → 0.75, 1×1 160 → 960 0.73 → 0.92,
    /// 320 → 1280 0.78 → 0.90, 960 → 160 0.74 → 0.81; but 14×14 maps slower (256 → 256 3×3 0.82 → 0.71, 1×1 384 → 64
    /// 0.86 → 0.72), which stay on the padded-row path and the GEMM.</summary>
    public const int MaxPositions = 100;

    /// <summary>Output channels from which the columns fill the GEMM's 32-column panels well.</summary>
    public const int MinChannels = 32;

    /// <summary>Whether the convolution takes this path (one group, AVX for the transposes).</summary>
    public static bool Applies(in ConvGeometry g, int c, int o, int groups) =>
        Avx.IsSupported && groups == 1 && o >= MinChannels && g.P <= MaxPositions && g.P > 0 && (long)c * g.KK >= 16;

    /// <summary>Whether the input planes are the column matrix already (1×1, unit stride, no padding).</summary>
    public static bool IsPointwise(in ConvGeometry g) =>
        g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PT == 0 && g.PL == 0 && g.OH == g.H && g.OW == g.W;

    /// <summary>y[n, o, OH, OW] = epilogue(bias + conv(x, w)); w [o × K] is read as B(p, oc) = w[oc·K + p], or from
    /// <paramref name="packedB"/> (<see cref="Sgemm.PackWholeB"/> of that operand).</summary>
    public static void Forward<TAct>(CpuMemoryPool memory, int threads, in ConvGeometry g, int n, int c, int o,
        float* x, float* w, PackedMatrices? packedB, float* bias, float* y, EpilogueMath<TAct> epilogue) where TAct : struct, IUnaryMath
    {
        int kdim = c * g.KK, p = g.P;
        bool pointwise = IsPointwise(g);
        using var col = pointwise ? null : memory.Rent((long)kdim * p * sizeof(float));
        using var tmp = memory.Rent((long)p * o * sizeof(float));
        float* t = (float*)tmp.Handle;
        var packed = new Prepacked(null, packedB is null ? null : packedB[0]);
        for (int b = 0; b < n; b++)
        {
            float* xb = x + (long)b * c * g.HW, yb = y + (long)b * o * p;
            float* a = xb;
            if (!pointwise)
            {
                a = (float*)col!.Handle;
                Im2Col.Unfold(g, xb, c, 0, p, a, threads);
            }
            // tᵀ: t[j·o + oc] = Σ_k col[k·P + j] · w[oc·K + k]
            Sgemm.Run(memory, threads, p, o, kdim, 1f, a, 1, p, w, 1, kdim, 0f, t, o, default, packed);
            TransposeOut(t, p, o, yb, bias);
            if (epilogue.IsActive)
                for (int oc = 0; oc < o; oc++) epilogue.ApplyInPlace(yb + (long)oc * p, p);
        }
    }

    /// <summary>y[oc·rows + r] = t[r·cols + oc] + bias[oc] (bias may be null): 8×8 blocks transposed in registers,
    /// the edges element by element.</summary>
    private static void TransposeOut(float* t, int rows, int cols, float* y, float* bias)
    {
        int c0 = 0;
        for (; c0 + 8 <= cols; c0 += 8)
        {
            int r0 = 0;
            for (; r0 + 8 <= rows; r0 += 8) Block8(t + (long)r0 * cols + c0, cols, y + (long)c0 * rows + r0, rows, bias == null ? null : bias + c0);
            for (int oc = c0; oc < c0 + 8; oc++)
            {
                float bv = bias == null ? 0f : bias[oc];
                for (int r = r0; r < rows; r++) y[(long)oc * rows + r] = t[(long)r * cols + oc] + bv;
            }
        }
        for (int oc = c0; oc < cols; oc++)
        {
            float bv = bias == null ? 0f : bias[oc];
            for (int r = 0; r < rows; r++) y[(long)oc * rows + r] = t[(long)r * cols + oc] + bv;
        }
    }

    /// <summary>One 8×8 block: rows of src (stride ls) become rows of dst (stride ld), plus bias[k] on row k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8(float* src, long ls, float* dst, long ld, float* bias)
    {
        var v0 = Avx.LoadVector256(src); var v1 = Avx.LoadVector256(src + ls);
        var v2 = Avx.LoadVector256(src + 2 * ls); var v3 = Avx.LoadVector256(src + 3 * ls);
        var v4 = Avx.LoadVector256(src + 4 * ls); var v5 = Avx.LoadVector256(src + 5 * ls);
        var v6 = Avx.LoadVector256(src + 6 * ls); var v7 = Avx.LoadVector256(src + 7 * ls);
        var t0 = Avx.UnpackLow(v0, v1); var t1 = Avx.UnpackHigh(v0, v1);
        var t2 = Avx.UnpackLow(v2, v3); var t3 = Avx.UnpackHigh(v2, v3);
        var t4 = Avx.UnpackLow(v4, v5); var t5 = Avx.UnpackHigh(v4, v5);
        var t6 = Avx.UnpackLow(v6, v7); var t7 = Avx.UnpackHigh(v6, v7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Row(Avx.Permute2x128(s0, s4, 0x20), dst, bias, 0);
        Row(Avx.Permute2x128(s1, s5, 0x20), dst + ld, bias, 1);
        Row(Avx.Permute2x128(s2, s6, 0x20), dst + 2 * ld, bias, 2);
        Row(Avx.Permute2x128(s3, s7, 0x20), dst + 3 * ld, bias, 3);
        Row(Avx.Permute2x128(s0, s4, 0x31), dst + 4 * ld, bias, 4);
        Row(Avx.Permute2x128(s1, s5, 0x31), dst + 5 * ld, bias, 5);
        Row(Avx.Permute2x128(s2, s6, 0x31), dst + 6 * ld, bias, 6);
        Row(Avx.Permute2x128(s3, s7, 0x31), dst + 7 * ld, bias, 7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(Vector256<float> v, float* dst, float* bias, int k) =>
        (bias == null ? v : v + Vector256.Create(bias[k])).Store(dst);
}

/// <summary>Runs <see cref="TransposedGemmConv.Forward"/> with the activation functor <see cref="UnaryDispatch"/> picks.</summary>
internal readonly unsafe struct TransposedGemmConvRun(CpuMemoryPool memory, int threads, ConvGeometry g, int n, int c, int o,
    float* x, float* w, PackedMatrices? packedB, float* bias, float* y, float* residual) : IUnaryMathVisitor
{
    public void Visit<TMath>(TMath math) where TMath : struct, IUnaryMath =>
        TransposedGemmConv.Forward(memory, threads, g, n, c, o, x, w, packedB, bias, y, new EpilogueMath<TMath>(math, residual, y));
}
