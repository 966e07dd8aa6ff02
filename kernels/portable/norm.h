// Normalisation and dropout: batch norm (training, inference, backward), layer norm (forward, backward) and dropout.
// Reductions are deterministic: one block per channel (batch norm) or per row (layer norm) reduces with block_sum in a
// fixed order; layer norm's gamma/beta gradients sum fixed row chunks into partials, then the partials in chunk order.
// Inputs are read through Strided views indexed by the row-major position (any layout); outputs are dense from an
// offset. The math follows src/Tessera.Cpu/Kernels/CpuKernels.Norm.cs (statistics in float partial sums, per-channel
// and per-row scalars in double where the CPU uses double).

// ---- Batch norm: x [N, C, S...] seen as [N, C, S]; channel c owns the positions (n*C + c)*S + s, j = n*S + s in [0, M).

DEVICE_FN i64 bn_pos(i64 j, i64 c, i64 C, i64 S) { return (j / S * C + c) * S + j % S; }

// One block per channel: mean, biased variance (two passes), y = x*a + shift, the saved statistics and the running
// statistics (r <- (1-momentum)*r + momentum*batch, with the unbiased variance; NaN when M = 1).
KERNEL void batchnorm_train_fwd_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* gm, Strided gv,
    GLOBAL const float* bt, Strided bv, GLOBAL float* y, i64 y_off, GLOBAL float* rm, i64 rm_off, GLOBAL float* rv, i64 rv_off,
    GLOBAL float* sm, i64 sm_off, GLOBAL float* si, i64 si_off, i64 C, i64 S, i64 M, float eps, float momentum)
{
    LOCAL_ARRAY(float, red, BLOCK);
    i64 c = BID_X;
    float acc = 0.0f;
    for (i64 j = TID; j < M; j += BDIM) acc += x[strided_at(xv, bn_pos(j, c, C, S))];
    double m = (double)M;
    float mean = (float)((double)block_sum(acc, red) / m);
    acc = 0.0f;
    for (i64 j = TID; j < M; j += BDIM) { float d = x[strided_at(xv, bn_pos(j, c, C, S))] - mean; acc += d * d; }
    double sq = (double)block_sum(acc, red);
    double invStd = 1.0 / sqrt(sq / m + (double)eps);
    double g = (double)gm[strided_at(gv, c)];
    float a = (float)(invStd * g);
    float shift = (float)((double)bt[strided_at(bv, c)] - (double)mean * invStd * g);
    for (i64 j = TID; j < M; j += BDIM)
    {
        i64 pos = bn_pos(j, c, C, S);
        y[y_off + pos] = x[strided_at(xv, pos)] * a + shift;
    }
    if (TID == 0)
    {
        sm[sm_off + c] = mean;
        si[si_off + c] = (float)invStd;
        double mom = (double)momentum;
        double unbiased = M > 1 ? sq / (m - 1.0) : (double)F32_NAN;
        rm[rm_off + c] = (float)((1.0 - mom) * (double)rm[rm_off + c] + mom * (double)mean);
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

// y = x*a[c] + shift[c], one thread per element (c = (i / S) % C).
KERNEL void batchnorm_infer_fwd_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* coef, i64 coef_off,
    GLOBAL float* y, i64 y_off, i64 C, i64 S, i64 n)
{
    FOR_EACH(i, n)
    {
        i64 c = i / S % C;
        y[y_off + i] = x[strided_at(xv, i)] * coef[coef_off + c] + coef[coef_off + C + c];
    }
}

// One block per channel: dbeta = sum dy, dgamma = sum dy*(x - mean) * invStd,
// dx = k*dy + (x - mean)*(-k*invStd*dgamma/M) + (-k*sum dy/M), k = gamma*invStd.
KERNEL void batchnorm_bwd_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* dy, Strided dyv,
    GLOBAL const float* gm, Strided gv, GLOBAL const float* smean, Strided smv, GLOBAL const float* sinv, Strided siv,
    GLOBAL float* dx, i64 dx_off, GLOBAL float* dg, i64 dg_off, GLOBAL float* db, i64 db_off, i64 C, i64 S, i64 M)
{
    LOCAL_ARRAY(float, red, BLOCK);
    i64 c = BID_X;
    float mean = smean[strided_at(smv, c)], invStd = sinv[strided_at(siv, c)];
    float a0 = 0.0f, a1 = 0.0f;
    for (i64 j = TID; j < M; j += BDIM)
    {
        i64 pos = bn_pos(j, c, C, S);
        float d = dy[strided_at(dyv, pos)];
        a0 += d;
        a1 += d * (x[strided_at(xv, pos)] - mean);
    }
    double sumDy = (double)block_sum(a0, red);
    double sumDyXc = (double)block_sum(a1, red);
    double dGamma = sumDyXc * (double)invStd;
    if (TID == 0)
    {
        db[db_off + c] = (float)sumDy;
        dg[dg_off + c] = (float)dGamma;
    }
    if (M > 0)
    {
        double m = (double)M;
        double k = (double)gm[strided_at(gv, c)] * (double)invStd;
        float alpha = (float)k;
        float beta = (float)(-k * (double)invStd * dGamma / m);
        float shift = (float)(-k * sumDy / m);
        for (i64 j = TID; j < M; j += BDIM)
        {
            i64 pos = bn_pos(j, c, C, S);
            dx[dx_off + pos] = dy[strided_at(dyv, pos)] * alpha + (x[strided_at(xv, pos)] - mean) * beta + shift;
        }
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
