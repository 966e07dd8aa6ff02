namespace Tessera.Bench;

/// <summary>Work accounting: floating-point operations and the fewest bytes an op must move (each input read once,
/// each output written once, fp32 = 4 bytes, int64 = 8). These feed GFLOP/s, GB/s and the roofline floor.</summary>
public static class Work
{
    private const double F = 4;

    /// <summary>Work of one op: FLOPs and minimum bytes moved.</summary>
    public readonly record struct Amount(double Flops, double Bytes);

    /// <summary>C[M,N] = A[M,K]·B[K,N], <paramref name="batch"/> times: 2·M·N·K FLOPs; A, B read and C written once.</summary>
    public static Amount Gemm(long m, long n, long k, long batch = 1) =>
        new(2.0 * batch * m * n * k, F * batch * (m * k + k * n + m * n));

    /// <summary>Direct conv: 2·N·K·Ho·Wo·(C/groups)·R·S FLOPs (the same for data and weight gradients); bytes are the
    /// three tensors involved in the pass (x/dx, w/dw, y/dy).</summary>
    public static Amount Conv2d(long n, long c, long h, long w, long k, long r, long s, long ho, long wo, long groups = 1) =>
        new(2.0 * n * k * ho * wo * (c / groups) * r * s, F * (n * c * h * w + k * (c / groups) * r * s + n * k * ho * wo));

    /// <summary>Pooling forward: one compare/add per window tap; x read, y written (plus int64 indices when kept).</summary>
    public static Amount Pool2d(long inputElements, long outputElements, long window, bool indices = false) =>
        new((double)outputElements * window, F * (inputElements + outputElements) + (indices ? 8.0 * outputElements : 0));

    /// <summary>Unary element-wise y = f(x): <paramref name="flopsPerElement"/> per element; x read, y written.</summary>
    public static Amount Unary(long n, double flopsPerElement = 1) => new(n * flopsPerElement, 2 * F * n);

    /// <summary>Binary element-wise c = a ∘ b (same shapes): one FLOP per element; a, b read, c written.</summary>
    public static Amount Binary(long n) => new(n, 3 * F * n);

    /// <summary>Softmax over rows: max, subtract, exp, sum, scale ≈ 5 FLOPs per element; x read, y written.</summary>
    public static Amount Softmax(long n) => new(5.0 * n, 2 * F * n);

    /// <summary>Layer norm forward over rows of length <paramref name="cols"/>: ≈ 8 FLOPs per element; x read, y written,
    /// gamma and beta read, per-row mean and 1/σ written.</summary>
    public static Amount LayerNormForward(long rows, long cols) =>
        new(8.0 * rows * cols, F * (2 * rows * cols + 2 * cols + 2 * rows));

    /// <summary>Layer norm backward: ≈ 12 FLOPs per element; x, dy read, dx written, gamma and row statistics read,
    /// dgamma and dbeta written.</summary>
    public static Amount LayerNormBackward(long rows, long cols) =>
        new(12.0 * rows * cols, F * (3 * rows * cols + 3 * cols + 2 * rows));

    /// <summary>Batch norm training forward on n elements with c channels: ≈ 7 FLOPs per element (statistics + affine);
    /// x read, y written, per-channel vectors read and written.</summary>
    public static Amount BatchNormForward(long n, long c) => new(7.0 * n, F * (2 * n + 6 * c));

    /// <summary>Batch norm backward: ≈ 9 FLOPs per element; x, dy read, dx written.</summary>
    public static Amount BatchNormBackward(long n, long c) => new(9.0 * n, F * (3 * n + 5 * c));

    /// <summary>Batch norm inference: one multiply-add per element after folding; x read, y written.</summary>
    public static Amount BatchNormInference(long n, long c) => new(2.0 * n, F * (2 * n + 4 * c));

    /// <summary>Cross-entropy from logits [N, C] and int64 targets, mean-reduced: log-sum-exp per row ≈ 4 FLOPs per
    /// logit; logits and targets read, one scalar written.</summary>
    public static Amount CrossEntropy(long n, long c) => new(4.0 * n * c, F * n * c + 8.0 * n + F);

    /// <summary>Attention forward (FlashAttention convention): 4·B·H·T²·D FLOPs, halved when causal; q, k, v read, o and
    /// the log-sum-exp written.</summary>
    public static Amount AttentionForward(long b, long h, long t, long d, bool causal)
    {
        double flops = 4.0 * b * h * t * t * d * (causal ? 0.5 : 1);
        return new(flops, F * (4 * b * h * t * d + b * h * t));
    }

    /// <summary>Attention backward: 2.5× the forward FLOPs; q, k, v, o, dO, lse read, dq, dk, dv written.</summary>
    public static Amount AttentionBackward(long b, long h, long t, long d, bool causal)
    {
        double flops = 2.5 * AttentionForward(b, h, t, d, causal).Flops;
        return new(flops, F * (8 * b * h * t * d + b * h * t));
    }

    /// <summary>Adam step on n parameters: ≈ 12 FLOPs each; p, g, m, v read and p, m, v written (28 bytes/param).</summary>
    public static Amount Adam(long n) => new(12.0 * n, 7 * F * n);

    /// <summary>Momentum SGD step on n parameters: ≈ 4 FLOPs each; p, g, v read and p, v written (20 bytes/param).</summary>
    public static Amount Momentum(long n) => new(4.0 * n, 5 * F * n);
}
