using Tessera.Kernels;

namespace Tessera.Gpu.Kernels;

/// <summary>Normalisation and dropout launchers (kernels/portable/norm.h). Batch norm splits each channel into chunks,
/// one block each, whose partials a per-channel pass merges in order into the statistics and the coefficients of an
/// element-wise pass; layer norm reduces one row per block, and its gamma/beta gradients sum fixed row chunks into
/// scratch partials, then the partials in chunk order. All of it is deterministic. Inputs are read as collapsed views,
/// outputs written densely.</summary>
public partial class GpuKernels : INormKernels
{
    private const string Norm = "norm";

    /// <summary>Threads the layer-norm affine-gradient pass aims for (chunks × columns) before it stops splitting rows.</summary>
    private const long LayerNormAffineThreads = 1 << 16;

    /// <summary>Values of one channel a batch-norm block reduces at least, before a channel is split over more blocks.</summary>
    private const long BatchNormChunk = 8192;

    /// <summary>Most blocks one channel is split over.</summary>
    private const long BatchNormMaxChunks = 1024;

    // x [N, C, S...] as (C, S, M = N·S): channel c owns positions (n·C + c)·S + s. K: blocks (chunks) per channel.
    private static (long C, long S, long M, long K) BatchNormSplit(Tensor x)
    {
        long s = 1;
        for (int i = 2; i < x.Rank; i++) s *= x.Shape[i];
        long m = x.Shape[0] * s;
        return (x.Shape[1], s, m, Math.Clamp((m + BatchNormChunk - 1) / BatchNormChunk, 1, BatchNormMaxChunks));
    }

    /// <inheritdoc/>
    public void BatchNormTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
        Tensor saveMean, Tensor saveInvStd, BatchNormParams p)
    {
        const string op = "BatchNormTraining";
        var (c, s, m, k) = BatchNormSplit(x);
        if (c == 0) return;
        // Chunk statistics, merged per channel into the statistics and y = x·a + shift coefficients, then applied.
        using var part = Scratch(DType.Float32, (int)c, (int)k, 2);
        using var coef = Scratch(DType.Float32, 2, (int)c);
        var xa = Flat(x, x.Shape, op);
        LaunchRows(Norm, "batchnorm_stats_f32", c * k, xa, GpuArg.Dense(part, op), GpuArg.I64(c), GpuArg.I64(s), GpuArg.I64(m), GpuArg.I64(k));
        LaunchElements(Norm, "batchnorm_train_stats_f32", c,
            GpuArg.Dense(part, op), Flat(gamma, gamma.Shape, op), Flat(beta, beta.Shape, op),
            GpuArg.Dense(runningMean, op), GpuArg.Dense(runningVar, op), GpuArg.Dense(saveMean, op), GpuArg.Dense(saveInvStd, op),
            GpuArg.Dense(coef, op), GpuArg.I64(c), GpuArg.I64(m), GpuArg.I64(k), GpuArg.F32(p.Epsilon), GpuArg.F32(p.Momentum));
        LaunchElements(Norm, "batchnorm_apply_f32", x.ElementCount,
            xa, GpuArg.Dense(coef, op), GpuArg.Dense(y, op), GpuArg.I64(c), GpuArg.I64(s), GpuArg.I64(x.ElementCount));
    }

    /// <inheritdoc/>
    public void BatchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, BatchNormParams p)
    {
        const string op = "BatchNormInference";
        var (c, s, _, _) = BatchNormSplit(x);
        if (x.ElementCount == 0) return;
        // Per-channel scale and shift in double (as the CPU does), then one element-wise pass.
        using var coef = Scratch(DType.Float32, 2, (int)c);
        LaunchElements(Norm, "batchnorm_coef_f32", c,
            Flat(gamma, gamma.Shape, op), Flat(beta, beta.Shape, op), Flat(runningMean, runningMean.Shape, op),
            Flat(runningVar, runningVar.Shape, op), GpuArg.Dense(coef, op), GpuArg.I64(c), GpuArg.F32(p.Epsilon));
        LaunchElements(Norm, "batchnorm_apply_f32", x.ElementCount,
            Flat(x, x.Shape, op), GpuArg.Dense(coef, op), GpuArg.Dense(y, op), GpuArg.I64(c), GpuArg.I64(s), GpuArg.I64(x.ElementCount));
    }

    /// <inheritdoc/>
    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, BatchNormParams p)
    {
        const string op = "BatchNormBackward";
        var (c, s, m, k) = BatchNormSplit(x);
        if (c == 0) return;
        // Chunk sums of dy and dy·(x − mean), merged per channel into dgamma, dbeta and the dx coefficients, then dx.
        using var part = Scratch(DType.Float32, (int)c, (int)k, 2);
        using var coef = Scratch(DType.Float32, 3, (int)c);
        GpuArg xa = Flat(x, x.Shape, op), dya = Flat(dy, x.Shape, op), ma = Flat(saveMean, saveMean.Shape, op);
        LaunchRows(Norm, "batchnorm_bwd_stats_f32", c * k, xa, dya, ma, GpuArg.Dense(part, op),
            GpuArg.I64(c), GpuArg.I64(s), GpuArg.I64(m), GpuArg.I64(k));
        LaunchElements(Norm, "batchnorm_bwd_coef_f32", c, GpuArg.Dense(part, op), Flat(gamma, gamma.Shape, op),
            Flat(saveInvStd, saveInvStd.Shape, op), GpuArg.Dense(dgamma, op), GpuArg.Dense(dbeta, op), GpuArg.Dense(coef, op),
            GpuArg.I64(c), GpuArg.I64(m), GpuArg.I64(k));
        LaunchElements(Norm, "batchnorm_bwd_dx_f32", x.ElementCount, xa, dya, ma, GpuArg.Dense(coef, op), GpuArg.Dense(dx, op),
            GpuArg.I64(c), GpuArg.I64(s), GpuArg.I64(x.ElementCount));
    }

    // x as [rows, inner] around the (normalised) axis.
    private static (long Rows, long Inner) LayerNormSplit(Tensor x, int axis)
    {
        long rows = 1, inner = 1;
        for (int i = 0; i < axis; i++) rows *= x.Shape[i];
        for (int i = axis; i < x.Rank; i++) inner *= x.Shape[i];
        return (rows, inner);
    }

    /// <inheritdoc/>
    public void LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, Tensor y, Tensor? mean, Tensor? invStd, LayerNormParams p)
    {
        const string op = "LayerNorm";
        var (rows, inner) = LayerNormSplit(x, p.Axis);
        if (rows == 0 || inner == 0) return;
        var xa = Flat(x, x.Shape, op);
        // Absent tensors are stood in for by x (views) or y (outputs) and switched off by their flag.
        LaunchRows(Norm, "layernorm_fwd_f32", rows,
            xa, gamma is null ? xa : Flat(gamma, gamma.Shape, op), GpuArg.I32(gamma is null ? 0 : 1),
            beta is null ? xa : Flat(beta, beta.Shape, op), GpuArg.I32(beta is null ? 0 : 1), GpuArg.Dense(y, op),
            GpuArg.Dense(mean ?? y, op), GpuArg.Dense(invStd ?? y, op),
            GpuArg.I32((mean is null ? 0 : 1) | (invStd is null ? 0 : 2)), GpuArg.I64(inner), GpuArg.F32(p.Epsilon));
    }

    /// <inheritdoc/>
    public void LayerNormBackward(Tensor x, Tensor dy, Tensor? gamma, Tensor mean, Tensor invStd,
        Tensor dx, Tensor? dgamma, Tensor? dbeta, LayerNormParams p)
    {
        const string op = "LayerNormBackward";
        var (rows, inner) = LayerNormSplit(x, p.Axis);
        if (rows == 0 || inner == 0)
        {
            if (dgamma is not null) Fill(dgamma, 0);
            if (dbeta is not null) Fill(dbeta, 0);
            return;
        }
        GpuArg xa = Flat(x, x.Shape, op), dya = Flat(dy, x.Shape, op), ma = Flat(mean, mean.Shape, op), ia = Flat(invStd, invStd.Shape, op);
        LaunchRows(Norm, "layernorm_bwd_f32", rows,
            xa, dya, gamma is null ? xa : Flat(gamma, gamma.Shape, op), GpuArg.I32(gamma is null ? 0 : 1), ma, ia,
            GpuArg.Dense(dx, op), GpuArg.I64(inner));
        if (dgamma is null && dbeta is null) return;
        // Rows split into chunks so that chunks × inner threads keep the device busy; one chunk writes the result directly.
        long chunks = Math.Clamp(LayerNormAffineThreads / inner, 1, Math.Max(1, rows / 16));
        long rpc = (rows + chunks - 1) / chunks;
        chunks = (rows + rpc - 1) / rpc;
        if (chunks == 1)
        {
            LayerNormAffine(xa, dya, ma, ia, dgamma, dbeta, rows, inner, rpc, chunks);
            return;
        }
        using var pg = dgamma is null ? null : Scratch(DType.Float32, checked((int)chunks), checked((int)inner));
        using var pb = dbeta is null ? null : Scratch(DType.Float32, checked((int)chunks), checked((int)inner));
        LayerNormAffine(xa, dya, ma, ia, pg, pb, rows, inner, rpc, chunks);
        if (pg is not null)
            LaunchElements(Norm, "layernorm_bwd_affine_sum_f32", inner, GpuArg.Dense(pg, op), GpuArg.Dense(dgamma!, op), GpuArg.I64(inner), GpuArg.I64(chunks));
        if (pb is not null)
            LaunchElements(Norm, "layernorm_bwd_affine_sum_f32", inner, GpuArg.Dense(pb, op), GpuArg.Dense(dbeta!, op), GpuArg.I64(inner), GpuArg.I64(chunks));
    }

    /// <summary>Affine-gradient pass 1: row chunk k of column j summed into gOut/bOut [chunks, inner] (either may be null).</summary>
    private void LayerNormAffine(GpuArg x, GpuArg dy, GpuArg mean, GpuArg invStd, Tensor? gOut, Tensor? bOut,
        long rows, long inner, long rpc, long chunks)
    {
        const string op = "LayerNormBackward";
        LaunchElements(Norm, "layernorm_bwd_affine_f32", chunks * inner, x, dy, mean, invStd,
            GpuArg.Dense(gOut ?? bOut!, op), GpuArg.I32(gOut is null ? 0 : 1), GpuArg.Dense(bOut ?? gOut!, op), GpuArg.I32(bOut is null ? 0 : 1),
            GpuArg.I64(rows), GpuArg.I64(inner), GpuArg.I64(rpc), GpuArg.I64(chunks));
    }

    /// <inheritdoc/>
    public void Dropout(Tensor x, Tensor y, Tensor mask, DropoutParams p)
    {
        const string op = "Dropout";
        long n = x.ElementCount;
        // Not training (or ratio 0): threshold 0 keeps every element and scale 1 copies x exactly.
        bool drop = p.Training && p.Ratio != 0f;
        long threshold = drop ? (long)Math.Ceiling(p.Ratio * 4294967296.0) : 0;
        float scale = drop ? (float)(1.0 / (1.0 - p.Ratio)) : 1f;
        LaunchElements(Norm, "dropout_fwd_f32", n, Flat(x, x.Shape, op), GpuArg.Dense(y, op), GpuArg.Dense(mask, op),
            GpuArg.I64(unchecked((long)p.Seed)), GpuArg.I64(threshold), GpuArg.F32(scale), GpuArg.I64(n));
    }

    /// <inheritdoc/>
    public void DropoutBackward(Tensor dy, Tensor mask, Tensor dx, DropoutParams p)
    {
        const string op = "DropoutBackward";
        long n = dy.ElementCount;
        float scale = p.Training ? (float)(1.0 / (1.0 - p.Ratio)) : 1f;
        LaunchElements(Norm, "dropout_bwd_f32", n, Flat(dy, dy.Shape, op), Flat(mask, dy.Shape, op), GpuArg.Dense(dx, op),
            GpuArg.F32(scale), GpuArg.I64(n));
    }
}
