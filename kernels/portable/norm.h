// Normalisation and dropout: batch norm (training, inference, backward), layer norm (forward, backward) and dropout.
// Reductions are deterministic: blocks reduce with block_sum in a fixed order and partials are merged in a fixed order
// (batch norm: one block per chunk of a channel, then the chunks per channel; layer norm: one block per row, and for
// gamma/beta one thread per column and chunk of rows, then the chunks per column).
// Inputs are read through Strided views indexed by the row-major position (any layout); outputs are dense from an
// offset. The math follows src/Tessera.Cpu/Kernels/CpuKernels.Norm.cs (statistics in float partial sums, per-channel
// and per-row scalars in double where the CPU uses double).

// ---- Batch norm: x [N, C, S...] seen as [N, C, S]; channel c owns the positions (n*C + c)*S + s, j = n*S + s in [0, M).
// Each channel's j range is split into K chunks, chunk k = [k*M/K, (k+1)*M/K), one block per (channel, chunk), so that
// few channels with many values still fill the device; per-chunk partials are merged per channel in chunk order.

DEVICE_FN i64 bn_pos(i64 j, i64 c, i64 C, i64 S) { return (j / S * C + c) * S + j % S; }

// Training pass 1, block (c, k) = (BID_X / K, BID_X % K): the chunk's mean and sum of squared deviations from it (two
// passes over the chunk) into part[2*BID_X], part[2*BID_X + 1].
KERNEL void batchnorm_stats_f32(GLOBAL const float* x, Strided xv, GLOBAL float* part, i64 part_off, i64 C, i64 S, i64 M, i64 K)
{
    LOCAL_ARRAY(float, red, BLOCK);
    i64 c = BID_X / K, k = BID_X % K, j0 = k * M / K, j1 = (k + 1) * M / K;
    float acc = 0.0f;
    for (i64 j = j0 + TID; j < j1; j += BDIM) acc += x[strided_at(xv, bn_pos(j, c, C, S))];
    float mean = block_sum(acc, red) / (float)(j1 - j0);
    acc = 0.0f;
    for (i64 j = j0 + TID; j < j1; j += BDIM) { float d = x[strided_at(xv, bn_pos(j, c, C, S))] - mean; acc += d * d; }
    float m2 = block_sum(acc, red);
    if (TID == 0)
    {
        part[part_off + 2 * BID_X] = mean;
        part[part_off + 2 * BID_X + 1] = m2;
    }
}

// Training pass 2, one thread per channel: the chunks merged in order (Chan et al., in double) into the batch mean and
// biased variance; saved statistics, running statistics (r <- (1-momentum)*r + momentum*batch with the unbiased
// variance) and the coefficients of y = x*coef[c] + coef[C + c].
KERNEL void batchnorm_train_stats_f32(GLOBAL const float* part, i64 part_off, GLOBAL const float* gm, Strided gv,
    GLOBAL const float* bt, Strided bv, GLOBAL float* rm, i64 rm_off, GLOBAL float* rv, i64 rv_off,
    GLOBAL float* sm, i64 sm_off, GLOBAL float* si, i64 si_off, GLOBAL float* coef, i64 coef_off,
    i64 C, i64 M, i64 K, float eps, float momentum)
{
    FOR_EACH(c, C)
    {
        double n = 0.0, mean = 0.0, m2 = 0.0;
        for (i64 k = 0; k < K; k++)
        {
            double nk = (double)((k + 1) * M / K - k * M / K);
            if (nk == 0.0) continue;
            double mk = (double)part[part_off + 2 * (c * K + k)], delta = mk - mean, tot = n + nk;
            mean += delta * nk / tot;
            m2 += (double)part[part_off + 2 * (c * K + k) + 1] + delta * delta * n * nk / tot;
            n = tot;
        }
        float meanf = (float)mean;
        double invStd = 1.0 / sqrt(m2 / (double)M + (double)eps);
        double g = (double)gm[strided_at(gv, c)];
        sm[sm_off + c] = meanf;
        si[si_off + c] = (float)invStd;
        coef[coef_off + c] = (float)(invStd * g);
        coef[coef_off + C + c] = (float)((double)bt[strided_at(bv, c)] - (double)meanf * invStd * g);
        double mom = (double)momentum;
        double unbiased = M > 1 ? m2 / (double)(M - 1) : (double)F32_NAN;
        rm[rm_off + c] = (float)((1.0 - mom) * (double)rm[rm_off + c] + mom * (double)meanf);
        rv[rv_off + c] = (float)((1.0 - mom) * (double)rv[rv_off + c] + mom * unbiased);
    }
}

// Inference coefficients per channel (one thread each): coef[c] = gamma/sqrt(var + eps), coef[C + c] = beta - mean*coef[c].
KERNEL void batchnorm_coef_f32(GLOBAL const float* gm, Strided gv, GLOBAL const float* bt, Strided bv,
    GLOBAL const float* rm, Strided mv, GLOBAL const float* rv, Strided vv, GLOBAL float* coef, i64 coef_off, i64 C, float eps)
{
    FOR_EACH(c, C)
    {
        double r = 1.0 / sqrt((double)rv[strided_at(vv, c)] + (double)eps);
        double g = (double)gm[strided_at(gv, c)];
        coef[coef_off + c] = (float)(r * g);
        coef[coef_off + C + c] = (float)((double)bt[strided_at(bv, c)] - (double)rm[strided_at(mv, c)] * r * g);
    }
}

// y = x*coef[c] + coef[C + c], one thread per element (c = (i / S) % C): training pass 3 and inference.
KERNEL void batchnorm_apply_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* coef, i64 coef_off,
    GLOBAL float* y, i64 y_off, i64 C, i64 S, i64 n)
{
    FOR_EACH(i, n)
    {
        i64 c = i / S % C;
        y[y_off + i] = x[strided_at(xv, i)] * coef[coef_off + c] + coef[coef_off + C + c];
    }
}

// Backward pass 1, block (c, k): the chunk's sum dy and sum dy*(x - mean) into part[2*BID_X], part[2*BID_X + 1].
KERNEL void batchnorm_bwd_stats_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* dy, Strided dyv,
    GLOBAL const float* smean, Strided smv, GLOBAL float* part, i64 part_off, i64 C, i64 S, i64 M, i64 K)
{
    LOCAL_ARRAY(float, red, BLOCK);
    i64 c = BID_X / K, k = BID_X % K, j0 = k * M / K, j1 = (k + 1) * M / K;
    float mean = smean[strided_at(smv, c)];
    float a0 = 0.0f, a1 = 0.0f;
    for (i64 j = j0 + TID; j < j1; j += BDIM)
    {
        i64 pos = bn_pos(j, c, C, S);
        float d = dy[strided_at(dyv, pos)];
        a0 += d;
        a1 += d * (x[strided_at(xv, pos)] - mean);
    }
    float s0 = block_sum(a0, red), s1 = block_sum(a1, red);
    if (TID == 0)
    {
        part[part_off + 2 * BID_X] = s0;
        part[part_off + 2 * BID_X + 1] = s1;
    }
}

// Backward pass 2, one thread per channel: dbeta = sum dy, dgamma = sum dy*(x - mean)*invStd (chunks in order, double),
// and the coefficients of dx = dy*coef[c] + (x - mean)*coef[C + c] + coef[2C + c]: k = gamma*invStd, then
// k, -k*invStd*dgamma/M and -k*dbeta/M.
KERNEL void batchnorm_bwd_coef_f32(GLOBAL const float* part, i64 part_off, GLOBAL const float* gm, Strided gv,
    GLOBAL const float* sinv, Strided siv, GLOBAL float* dg, i64 dg_off, GLOBAL float* db, i64 db_off,
    GLOBAL float* coef, i64 coef_off, i64 C, i64 M, i64 K)
{
    FOR_EACH(c, C)
    {
        double sumDy = 0.0, sumDyXc = 0.0;
        for (i64 k = 0; k < K; k++)
        {
            sumDy += (double)part[part_off + 2 * (c * K + k)];
            sumDyXc += (double)part[part_off + 2 * (c * K + k) + 1];
        }
        double invStd = (double)sinv[strided_at(siv, c)];
        double dGamma = sumDyXc * invStd;
        db[db_off + c] = (float)sumDy;
        dg[dg_off + c] = (float)dGamma;
        double m = M > 0 ? (double)M : 1.0;
        double kc = (double)gm[strided_at(gv, c)] * invStd;
        coef[coef_off + c] = (float)kc;
        coef[coef_off + C + c] = (float)(-kc * invStd * dGamma / m);
        coef[coef_off + 2 * C + c] = (float)(-kc * sumDy / m);
    }
}

// Backward pass 3, one thread per element: dx = dy*coef[c] + (x - mean[c])*coef[C + c] + coef[2C + c].
KERNEL void batchnorm_bwd_dx_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* dy, Strided dyv,
    GLOBAL const float* smean, Strided smv, GLOBAL const float* coef, i64 coef_off, GLOBAL float* dx, i64 dx_off,
    i64 C, i64 S, i64 n)
{
    FOR_EACH(i, n)
    {
        i64 c = i / S % C;
        dx[dx_off + i] = dy[strided_at(dyv, i)] * coef[coef_off + c]
            + (x[strided_at(xv, i)] - smean[strided_at(smv, c)]) * coef[coef_off + C + c] + coef[coef_off + 2 * C + c];
    }
}

// ---- Layer norm: x seen as [rows, inner]; gamma/beta [inner]; mean/invStd [rows].

// One block per row: mean, biased variance, y = (x - mean)*invStd*gamma + beta. gamma/beta/mean/invStd are used only
// when their flag is set (the launcher passes some other tensor otherwise).
KERNEL void layernorm_fwd_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* gm, Strided gv, int has_g,
    GLOBAL const float* bt, Strided bv, int has_b, GLOBAL float* y, i64 y_off,
    GLOBAL float* mean, i64 mean_off, GLOBAL float* inv, i64 inv_off, int has_stats, i64 inner, float eps)
{
    LOCAL_ARRAY(float, red, BLOCK);
    i64 r = BID_X, base = r * inner;
    float acc = 0.0f;
    for (i64 j = TID; j < inner; j += BDIM) acc += x[strided_at(xv, base + j)];
    float mu = block_sum(acc, red) / (float)inner;
    acc = 0.0f;
    for (i64 j = TID; j < inner; j += BDIM) { float d = x[strided_at(xv, base + j)] - mu; acc += d * d; }
    float var = block_sum(acc, red) / (float)inner;
    float rs = (float)(1.0 / sqrt((double)var + (double)eps));
    for (i64 j = TID; j < inner; j += BDIM)
    {
        float v = (x[strided_at(xv, base + j)] - mu) * rs;
        if (has_g) v *= gm[strided_at(gv, j)];
        if (has_b) v += bt[strided_at(bv, j)];
        y[y_off + base + j] = v;
    }
    if (TID == 0 && (has_stats & 1)) mean[mean_off + r] = mu;
    if (TID == 0 && (has_stats & 2)) inv[inv_off + r] = rs;
}

// One block per row: dx = g*rs - rs*sum(g)/n - (x - mu)*rs^3*sum(g*(x - mu))/n, g = dy*gamma (dy without gamma).
KERNEL void layernorm_bwd_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* dy, Strided dyv,
    GLOBAL const float* gm, Strided gv, int has_g, GLOBAL const float* mean, Strided mv, GLOBAL const float* inv, Strided iv,
    GLOBAL float* dx, i64 dx_off, i64 inner)
{
    LOCAL_ARRAY(float, red, BLOCK);
    i64 r = BID_X, base = r * inner;
    float mu = mean[strided_at(mv, r)], rs = inv[strided_at(iv, r)];
    float a0 = 0.0f, a1 = 0.0f;
    for (i64 j = TID; j < inner; j += BDIM)
    {
        float g = dy[strided_at(dyv, base + j)];
        if (has_g) g *= gm[strided_at(gv, j)];
        a0 += g;
        a1 += g * (x[strided_at(xv, base + j)] - mu);
    }
    float sumG = block_sum(a0, red), sumGXc = block_sum(a1, red);
    float n = (float)inner;
    float c1 = rs * sumG / n;
    float c2 = rs * rs * rs * sumGXc / n;
    for (i64 j = TID; j < inner; j += BDIM)
    {
        float g = dy[strided_at(dyv, base + j)];
        if (has_g) g *= gm[strided_at(gv, j)];
        float xc = x[strided_at(xv, base + j)] - mu;
        dx[dx_off + base + j] = g * rs - c1 - xc * c2;
    }
}

// Affine gradients, pass 1: one thread per (chunk, column); chunk k sums rows [k*rpc, min(rows, (k+1)*rpc)) into
// pg[k*inner + j] (dgamma = sum dy*(x - mu)*rs) and pb[k*inner + j] (dbeta = sum dy), each when its flag is set.
KERNEL void layernorm_bwd_affine_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* dy, Strided dyv,
    GLOBAL const float* mean, Strided mv, GLOBAL const float* inv, Strided iv,
    GLOBAL float* pg, i64 pg_off, int want_g, GLOBAL float* pb, i64 pb_off, int want_b, i64 rows, i64 inner, i64 rpc, i64 chunks)
{
    FOR_EACH(t, chunks * inner)
    {
        i64 k = t / inner, j = t % inner;
        i64 r0 = k * rpc, r1 = r0 + rpc < rows ? r0 + rpc : rows;
        float sg = 0.0f, sb = 0.0f;
        for (i64 r = r0; r < r1; r++)
        {
            float d = dy[strided_at(dyv, r * inner + j)];
            if (want_g) sg += d * ((x[strided_at(xv, r * inner + j)] - mean[strided_at(mv, r)]) * inv[strided_at(iv, r)]);
            sb += d;
        }
        if (want_g) pg[pg_off + t] = sg;
        if (want_b) pb[pb_off + t] = sb;
    }
}

// Affine gradients, pass 2: out[j] = sum over chunks k (in order) of part[k*inner + j].
KERNEL void layernorm_bwd_affine_sum_f32(GLOBAL const float* part, i64 part_off, GLOBAL float* out, i64 out_off, i64 inner, i64 chunks)
{
    FOR_EACH(j, inner)
    {
        float s = 0.0f;
        for (i64 k = 0; k < chunks; k++) s += part[part_off + k * inner + j];
        out[out_off + j] = s;
    }
}

// ---- Dropout: element i is kept when (SplitMix64(seed, i) >> 32) >= thr, thr = ceil(ratio * 2^32) (0 keeps all).

#define SM64_GOLDEN ((u64)0x9E3779B97F4A7C15UL)
#define SM64_MIX1 ((u64)0xBF58476D1CE4E5B9UL)
#define SM64_MIX2 ((u64)0x94D049BB133111EBUL)

DEVICE_FN u64 splitmix64(u64 seed, i64 i)
{
    u64 z = seed + (u64)(i + 1) * SM64_GOLDEN;
    z = (z ^ (z >> 30)) * SM64_MIX1;
    z = (z ^ (z >> 27)) * SM64_MIX2;
    return z ^ (z >> 31);
}

KERNEL void dropout_fwd_f32(GLOBAL const float* x, Strided xv, GLOBAL float* y, i64 y_off, GLOBAL u8* mask, i64 mask_off,
    i64 seed, i64 thr, float scale, i64 n)
{
    FOR_EACH(i, n)
    {
        int keep = (splitmix64((u64)seed, i) >> 32) >= (u64)thr;
        y[y_off + i] = keep ? x[strided_at(xv, i)] * scale : 0.0f;
        mask[mask_off + i] = keep ? (u8)1 : (u8)0;
    }
}

KERNEL void dropout_bwd_f32(GLOBAL const float* dy, Strided dyv, GLOBAL const u8* mask, Strided mv, GLOBAL float* dx, i64 dx_off,
    float scale, i64 n)
{
    FOR_EACH(i, n) dx[dx_off + i] = dy[strided_at(dyv, i)] * (float)mask[strided_at(mv, i)] * scale;
}
