using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Kernels.Linalg;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Forward convolution on small output maps as the transposed product: yᵀ [P × o] = colᵀ [P × K] · wᵀ [K × o].
/// With the positions as the GEMM's rows (6-row panels) and the output channels as its columns (32-column panels), a
/// 7×7 map fills 49 of 54 rows instead of 49 of the 64 columns the direct product (or a padded-row tile) computes.
/// The column matrix is the input itself for pointwise layers and an explicit im2col otherwise (small at these map
/// sizes); the weight is the GEMM's B operand (packed once per graph when constant). The bias (a column bias of yᵀ)
/// and, without a residual, the activation run in the GEMM's tile store; the result is transposed into y 8×8 blocks at
/// a time (<see cref="Transpose8x8"/>), then a residual and its activation run over y as one contiguous pass.</summary>
internal static unsafe class TransposedGemmConv
{
    /// <summary>Output positions up to which this path is taken (with at least <see cref="MinChannels"/> outputs).
    /// Measured, ratio to ONNX Runtime in one run: 7×7 maps 512 → 512 3×3 0.69 → 0.75, 1×1 160 → 960 0.73 → 0.92,
    /// 320 → 1280 0.78 → 0.90, 960 → 160 0.74 → 0.81; but 14×14 maps slower (256 → 256 3×3 0.82 → 0.71, 1×1 384 → 64
    /// 0.86 → 0.72), which stay on the padded-row path and the GEMM.</summary>
    public const int MaxPositions = 100;

    /// <summary>Output channels from which the columns fill the GEMM's 32-column panels well.</summary>
    public const int MinChannels = 32;

    /// <summary>Pointwise layers read their column matrix in place, so they take this path on maps up to this many
    /// positions (14×14, 16×16) when it computes fewer padded products than the direct one (<see cref="FillsBetter"/>).
    /// Measured with the vectorised A packing, ratio to ONNX Runtime, two runs: 384 → 64 on 14×14 0.83, 0.83 → 0.90,
    /// 0.85; 576 → 96 0.88, 0.87 → 0.87, 0.96; 64 → 384 0.90, 0.91 → 0.92, 0.96.</summary>
    public const int MaxPointwisePositions = 256;

    /// <summary>Whether the convolution takes this path (one group, AVX for the transposes): a small map, a pointwise
    /// layer on a map that fills the transposed tiles better, or a signal.</summary>
    public static bool Applies(in ConvGeometry g, int c, int o, int groups) =>
        Avx.IsSupported && groups == 1 && o >= MinChannels && g.P > 0 && (long)c * g.KK >= 16
        && (g.P <= MaxPositions || (g.IsPointwise && g.P <= MaxPointwisePositions && FillsBetter(g.P, o)) || IsSignal(g, c));

    /// <summary>Whether positions × channels padded to the transposed product's tiles (6 positions, 32 channels) are
    /// fewer than padded to the direct product's (6 channels, 32 positions): 196 positions × 96 channels 198 × 96
    /// against 96 × 224, but × 48 channels 198 × 64 against 48 × 224.</summary>
    private static bool FillsBetter(int p, int o) =>
        (long)RoundUp(p, Sgemm.MR) * RoundUp(o, Sgemm.NR) < (long)RoundUp(o, Sgemm.MR) * RoundUp(p, Sgemm.NR);

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>A one-channel 1-D signal read by an undilated, unpadded window (an audio model's first layer: kernel 80,
    /// stride 16): its column matrix colᵀ [P × K] is the input itself, row j starting at x[j·SW], so the product reads it
    /// in place at any length. Its implicit im2col took the GEMM to 66 GFLOP/s there (16-strided gathers into panels).</summary>
    public static bool IsSignal(in ConvGeometry g, int c) =>
        c == 1 && g.H == 1 && g.KH == 1 && g.OH == 1 && g.PT == 0 && g.PL == 0 && g.DW == 1
        && (long)(g.OW - 1) * g.SW + g.KW <= g.W;

    /// <summary>y[n, o, OH, OW] = epilogue(bias + conv(x, w)); w [o × K] is read as B(p, oc) = w[oc·K + p], or from
    /// <paramref name="packedB"/> (<see cref="Sgemm.PackWholeB"/> of that operand).</summary>
    public static void Forward(CpuMemoryPool memory, int threads, in ConvGeometry g, int n, int c, int o,
        float* x, float* w, PackedMatrices? packedB, float* bias, float* residual, Epilogue epilogue, float* y)
    {
        int kdim = c * g.KK, p = g.P;
        bool pointwise = g.IsPointwise, signal = IsSignal(g, c);
        using var col = pointwise || signal ? null : memory.Rent((long)kdim * p * sizeof(float));
        // A pointwise layer on a 1×1 map (a squeeze-and-excitation block's) has one position: its row of tᵀ is laid out
        // as y, so the product writes y itself, the whole epilogue in its store.
        bool single = p == 1 && pointwise;
        using var tmp = single ? null : memory.Rent((long)p * o * sizeof(float));
        var packed = new Prepacked(null, packedB is null ? null : packedB[0]);
        for (int b = 0; b < n; b++)
        {
            float* xb = x + (long)b * c * g.HW, yb = y + (long)b * o * p;
            if (single)
            {
                float* rb = residual == null ? null : residual + (long)b * o;
                var whole = bias == null && rb == null && epilogue.IsNone ? default : new GemmEpilogue(epilogue, bias, false, rb, yb);
                Sgemm.Run(memory, threads, 1, o, kdim, 1f, xb, 1, 1, w, 1, kdim, 0f, yb, o, whole, packed);
                continue;
            }
            float* t = (float*)tmp!.Handle;
            // colᵀ(j, k) = a[j·ars + k·acs]: the input itself (pointwise: [K × P]; a signal: overlapping rows of its
            // samples), or its unfolding.
            float* a = xb;
            long ars = signal ? g.SW : 1, acs = signal ? 1 : p;
            if (!pointwise && !signal)
            {
                a = (float*)col!.Handle;
                Im2Col.Unfold(g, xb, c, 0, p, a, threads);
            }
            // tᵀ: t[j·o + oc] = act(Σ_k col[k·P + j] · w[oc·K + k] + bias[oc]), the activation here only without a
            // residual (which is laid out as y, so it is added after the transpose).
            var tileEpilogue = bias == null && (residual != null || epilogue.IsNone)
                ? default
                : new GemmEpilogue(residual == null ? epilogue : default, bias, false, null, t);
            Sgemm.Run(memory, threads, p, o, kdim, 1f, a, ars, acs, w, 1, kdim, 0f, t, o, tileEpilogue, packed);
            // yb[oc·P + j] = t[j·o + oc], then the residual and activation, by blocks of 8 channels on every thread.
            var st = (t: (nint)t, yb: (nint)yb, o, p, residual: (nint)(residual == null ? null : residual + (long)b * o * p), epilogue);
            CpuParallel.For((o + 7) / 8, threads, Math.Max(1, 2048 / p), st, static (s, q0, q1) =>
            {
                int c0 = (int)q0 * 8, c1 = Math.Min(s.o, (int)q1 * 8);
                float* dst = (float*)s.yb + (long)c0 * s.p;
                Transpose8x8.Matrix((float*)s.t + c0, s.o, s.p, c1 - c0, dst, s.p);
                if (s.residual != 0)
                    new GemmEpilogue(s.epilogue, null, false, (float*)s.residual + (long)c0 * s.p, dst).Apply(dst, (long)(c1 - c0) * s.p, 0, 0, 1, (c1 - c0) * s.p);
            });
        }
    }

}
