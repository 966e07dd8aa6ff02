// Reductions over any set of axes (+ gradients), arg-max, softmax / log-softmax (+ gradient), cross-entropy and mean
// squared error (+ gradients), float32 (indices int64). The math follows the CPU kernels
// (src/Tessera.Cpu/Kernels/CpuKernels.Reduction.cs, .Softmax.cs, .Loss.cs, Reduction/ReduceEngine.cs) case for case.
//
// Layout: the launcher permutes every input view so that the dimensions kept by the reduction come first and the
// reduced ones (the softmax axis, the arg-max axis) last, drops size-1 dimensions and merges neighbours; then output
// element (or row) o reads the elements at row-major positions [o*inner, (o+1)*inner) of that view. The first nk
// dimensions of the view locate the row, the others the element in it (part_offset), so a row costs one decomposition
// and each element one decomposition of the reduced dimensions only.
//
// Work split: every row op is one function of (row, coop) stamped into two kernels by ROW_KERNELS: {op}rows_f32 gives
// each row a block (coop = 1: threads stride over its elements, then a shared-memory tree), {op}_f32 gives each row a
// thread (coop = 0, a literal: the block folds and their barriers fold away, so no barrier sits in a loop whose trip
// count differs between threads). In a block-per-row kernel no fold sits under a branch on data (POCL hung on one),
// only under kernel arguments. Every fold runs in a fixed order: deterministic.

// Op codes: the values of Tessera.Kernels.ReduceOp and LossReduction (declaration order). Keep in step.
#define R_SUM 0
#define R_MEAN 1
#define R_MAX 2
#define R_MIN 3

#define L_NONE 0
#define L_MEAN 1
#define L_SUM 2

// The two kernels of a row op: op##_row(r, coop, s, si, args...) for every row r, a thread per row ({op}_f32) or a block
// per row ({op}rows_f32); both grid-stride. params is the kernel's parameter list, args the same names, both in
// parentheses. s and si are the block's scratch for float and i64 folds.
#define ROW_ARGS(...) __VA_ARGS__
#define ROW_KERNELS(op, params, args, rows) \
KERNEL void op##_f32 params \
{ \
    LOCAL_ARRAY(float, s, 1); \
    LOCAL_ARRAY(i64, si, 1); \
    FOR_EACH(r, rows) op##_row(r, 0, s, si, ROW_ARGS args); \
} \
KERNEL void op##rows_f32 params \
{ \
    LOCAL_ARRAY(float, s, BLOCK); \
    LOCAL_ARRAY(i64, si, BLOCK); \
    for (i64 r = BID_X; r < (rows); r += GDIM_X) op##_row(r, 1, s, si, ROW_ARGS args); \
}
// Elements [0, n) of a row that this thread visits, in increasing order.
#define LANES(j, n, coop) for (i64 j = (coop) ? (i64)TID : 0; j < (n); j += (coop) ? (i64)BDIM : 1)

DEVICE_FN float red_identity(int op) { return op == R_MAX ? -F32_INF : op == R_MIN ? F32_INF : 0.0f; }

DEVICE_FN float red_combine(int op, float a, float b)
{
    return op == R_MAX ? max_nan(a, b) : op == R_MIN ? min_nan(a, b) : a + b;
}

// The value of every thread folded over the block (coop), or the thread's own value (a thread per row).
DEVICE_FN float row_fold(int op, float v, LOCAL_PTR float* s, int coop)
{
    if (!coop) return v;
    s[TID] = v;
    BARRIER();
    for (int w = BDIM / 2; w > 0; w >>= 1)
    {
        if (TID < w) s[TID] = red_combine(op, s[TID], s[TID + w]);
        BARRIER();
    }
    float r = s[0];
    BARRIER();
    return r;
}

DEVICE_FN float row_sum(float v, LOCAL_PTR float* s, int coop) { return row_fold(R_SUM, v, s, coop); }
DEVICE_FN float row_max(float v, LOCAL_PTR float* s, int coop) { return row_fold(R_MAX, v, s, coop); }

// Smallest value over the block (coop), or the thread's own.
DEVICE_FN i64 row_min_i64(i64 v, LOCAL_PTR i64* s, int coop)
{
    if (!coop) return v;
    s[TID] = v;
    BARRIER();
    for (int w = BDIM / 2; w > 0; w >>= 1)
    {
        if (TID < w && s[TID + w] < s[TID]) s[TID] = s[TID + w];
        BARRIER();
    }
    i64 r = s[0];
    BARRIER();
    return r;
}

// Element offset (the view's own offset left out) of row-major index i over dimensions [from, to) of a view.
DEVICE_FN i64 part_offset(Strided v, int from, int to, i64 i)
{
    i64 off = 0;
    for (int k = to - 1; k >= from; k--)
    {
        i64 n = v.shape[k];
        off += (i % n) * v.stride[k];
        i /= n;
    }
    return off;
}

// Offset of row o: its position over the first nk dimensions, plus the view's offset.
DEVICE_FN i64 row_base(Strided v, int nk, i64 o) { return v.offset + part_offset(v, 0, nk, o); }

// Offset of element j of a row, relative to the row's base.
DEVICE_FN i64 row_at(Strided v, int nk, i64 j) { return part_offset(v, nk, v.rank, j); }

#define ROW_SCRATCH i64 r, int coop, LOCAL_PTR float* s, LOCAL_PTR i64* si

// ---- Reduce: y[o] = fold of the inner elements of row o, times scale (1/count for Mean) ----

// Empty rows: sum 0, mean NaN (0/0), max/min NaN (the facade refuses those).
DEVICE_FN void reduce_fwd_row(ROW_SCRATCH, GLOBAL const float* x, Strided xv, i32 nk, GLOBAL float* y, i64 y_off,
                              i64 inner, i32 op, float scale)
{
    i64 base = row_base(xv, nk, r);
    float acc = red_identity(op);
    LANES(j, inner, coop) acc = red_combine(op, acc, x[base + row_at(xv, nk, j)]);
    acc = row_fold(op, acc, s, coop);
    if (!coop || TID == 0) y[y_off + r] = inner == 0 ? (op == R_SUM ? 0.0f : F32_NAN) : acc * scale;
}
ROW_KERNELS(reduce_fwd,
    (GLOBAL const float* x, Strided xv, i32 nk, GLOBAL float* y, i64 y_off, i64 outputs, i64 inner, i32 op, float scale),
    (x, xv, nk, y, y_off, inner, op, scale), outputs)

// First pass of a reduction of few long rows: block b folds piece b % parts (chunk elements) of row b / parts into
// partial[b]; the second pass is reduce_fwd over partial as [outputs, parts].
KERNEL void reduce_part_f32(GLOBAL const float* x, Strided xv, i32 nk, GLOBAL float* partial, i64 p_off,
                            i64 outputs, i64 inner, i64 parts, i64 chunk, i32 op)
{
    LOCAL_ARRAY(float, s, BLOCK);
    for (i64 b = BID_X; b < outputs * parts; b += GDIM_X)
    {
        i64 o = b / parts, j0 = (b % parts) * chunk;
        i64 n = inner - j0 < chunk ? inner - j0 : chunk;
        i64 base = row_base(xv, nk, o);
        float acc = red_identity(op);
        LANES(j, n, 1) acc = red_combine(op, acc, x[base + row_at(xv, nk, j0 + j)]);
        acc = row_fold(op, acc, s, 1);
        if (TID == 0) partial[p_off + b] = acc;
    }
}

// dx (dense, x's shape) = scale * dy read through a view that broadcasts it over the reduced axes.
KERNEL void reduce_bwd_f32(GLOBAL const float* dy, Strided dyv, GLOBAL float* dx, i64 dx_off, float scale, i64 n)
{
    FOR_EACH(i, n) dx[dx_off + i] = scale * dy[strided_at(dyv, i)];
}

// Max/Min gradient: dy[o] to the first element of row o (row-major over the reduced axes) equal to y[o] (NaN matching
// NaN), zero to the rest of the row. x and dx share the permuted layout (dx's view is of the dense dx).
DEVICE_FN void reduce_bwdextreme_row(ROW_SCRATCH, GLOBAL const float* x, Strided xv, GLOBAL const float* y, Strided yv,
                                     GLOBAL const float* dy, Strided dyv, GLOBAL float* dx, Strided dxv, i32 nk, i64 inner)
{
    float target = y[strided_at(yv, r)];
    int nan = target != target;
    i64 xb = row_base(xv, nk, r), db = row_base(dxv, nk, r);
    i64 first = inner;
    LANES(j, inner, coop)
    {
        float v = x[xb + row_at(xv, nk, j)];
        if (v == target || (nan && v != v)) { first = j; break; }
    }
    first = row_min_i64(first, si, coop);
    float g = dy[strided_at(dyv, r)];
    LANES(j, inner, coop) dx[db + row_at(dxv, nk, j)] = j == first ? g : 0.0f;
}
ROW_KERNELS(reduce_bwdextreme,
    (GLOBAL const float* x, Strided xv, GLOBAL const float* y, Strided yv, GLOBAL const float* dy, Strided dyv,
     GLOBAL float* dx, Strided dxv, i32 nk, i64 outputs, i64 inner),
    (x, xv, y, yv, dy, dyv, dx, dxv, nk, inner), outputs)

// ---- ArgMax: the index of the largest element of each row; NaN counts as the largest; ties go to the first
// occurrence, or the last with select_last ----

// Whether (b, ib) wins over (a, ia) (an index < 0: nothing yet).
DEVICE_FN int arg_better(float a, i64 ia, float b, i64 ib, int last)
{
    if (ib < 0) return 0;
    if (ia < 0) return 1;
    int an = a != a, bn = b != b;
    if (an != bn) return bn;
    if (!an && a != b) return b > a;
    return last ? ib > ia : ib < ia;
}

DEVICE_FN void argmax_fwd_row(ROW_SCRATCH, GLOBAL const float* x, Strided xv, i32 nk, GLOBAL i64* idx, i64 idx_off,
                              i64 len, i32 last)
{
    i64 base = row_base(xv, nk, r);
    float best = 0.0f;
    i64 bi = -1;
    LANES(j, len, coop)
    {
        float v = x[base + row_at(xv, nk, j)];
        if (arg_better(best, bi, v, j, last)) { best = v; bi = j; }
    }
    if (coop)
    {
        s[TID] = best;
        si[TID] = bi;
        BARRIER();
        for (int w = BDIM / 2; w > 0; w >>= 1)
        {
            if (TID < w && arg_better(s[TID], si[TID], s[TID + w], si[TID + w], last))
            {
                s[TID] = s[TID + w];
                si[TID] = si[TID + w];
            }
            BARRIER();
        }
        bi = si[0];
        BARRIER();
    }
    if (!coop || TID == 0) idx[idx_off + r] = bi;
}
ROW_KERNELS(argmax_fwd,
    (GLOBAL const float* x, Strided xv, i32 nk, GLOBAL i64* idx, i64 idx_off, i64 outputs, i64 len, i32 last),
    (x, xv, nk, idx, idx_off, len, last), outputs)

// ---- Softmax over rows of len elements (the axis is the view's last dimensions): y = exp(x - m) / sum, or
// (x - m) - log(sum) for log-softmax; m is the row maximum ----

DEVICE_FN void softmax_fwd_row(ROW_SCRATCH, GLOBAL const float* x, Strided xv, GLOBAL float* y, Strided yv, i32 nk,
                               i64 len, i32 log_softmax)
{
    i64 xb = row_base(xv, nk, r), yb = row_base(yv, nk, r);
    float m = -F32_INF;
    LANES(j, len, coop) m = max_nan(m, x[xb + row_at(xv, nk, j)]);
    m = row_max(m, s, coop);
    float sum = 0.0f;
    LANES(j, len, coop) sum += expf(x[xb + row_at(xv, nk, j)] - m);
    sum = row_sum(sum, s, coop);
    if (log_softmax)
    {
        float l = logf(sum);
        LANES(j, len, coop) y[yb + row_at(yv, nk, j)] = (x[xb + row_at(xv, nk, j)] - m) - l;
    }
    else
    {
        float inv = 1.0f / sum;
        LANES(j, len, coop) y[yb + row_at(yv, nk, j)] = inv * expf(x[xb + row_at(xv, nk, j)] - m);
    }
}
ROW_KERNELS(softmax_fwd,
    (GLOBAL const float* x, Strided xv, GLOBAL float* y, Strided yv, i32 nk, i64 rows, i64 len, i32 log_softmax),
    (x, xv, y, yv, nk, len, log_softmax), rows)

// Softmax: dx = y (dy - sum(y dy)); log-softmax: dx = dy - exp(y) sum(dy).
DEVICE_FN void softmax_bwd_row(ROW_SCRATCH, GLOBAL const float* y, Strided yv, GLOBAL const float* dy, Strided dyv,
                               GLOBAL float* dx, Strided dxv, i32 nk, i64 len, i32 log_softmax)
{
    i64 yb = row_base(yv, nk, r), gb = row_base(dyv, nk, r), db = row_base(dxv, nk, r);
    float acc = 0.0f;
    LANES(j, len, coop)
    {
        float g = dy[gb + row_at(dyv, nk, j)];
        acc += log_softmax ? g : y[yb + row_at(yv, nk, j)] * g;
    }
    acc = row_sum(acc, s, coop);
    LANES(j, len, coop)
    {
        float v = y[yb + row_at(yv, nk, j)], g = dy[gb + row_at(dyv, nk, j)];
        dx[db + row_at(dxv, nk, j)] = log_softmax ? g - expf(v) * acc : v * (g - acc);
    }
}
ROW_KERNELS(softmax_bwd,
    (GLOBAL const float* y, Strided yv, GLOBAL const float* dy, Strided dyv, GLOBAL float* dx, Strided dxv, i32 nk,
     i64 rows, i64 len, i32 log_softmax),
    (y, yv, dy, dyv, dx, dxv, nk, len, log_softmax), rows)

// ---- Cross-entropy of logits [N, C] (a rank-2 view) against class indices [N] or probabilities [N, C], with
// PyTorch's label smoothing eps: the target distribution is q = (1 - eps) onehot(t) + eps/C (or (1 - eps) p + eps/C).
// Written around the row maximum m (lse = m + log s) so that large logits do not cancel. ----

// Element (r, j) of a rank-2 view.
DEVICE_FN float mat_at(GLOBAL const float* x, Strided xv, i64 r, i64 j) { return x[xv.offset + r * xv.stride[0] + j * xv.stride[1]]; }

// stats[0] = samples not ignored, stats[1] = samples whose index lies outside [0, C) (one block; the launcher reads
// stats[1] back and throws as the CPU does).
KERNEL void ce_check_i64(GLOBAL const i64* t, Strided tv, GLOBAL i64* stats, i64 stats_off, i64 n, i64 c, i64 ignore)
{
    LOCAL_ARRAY(i64, s, BLOCK);
    i64 count = 0, bad = 0;
    for (i64 r = TID; r < n; r += BDIM)
    {
        i64 k = t[tv.offset + r * tv.stride[0]];
        if (k == ignore) continue;
        count++;
        if (k < 0 || k >= c) bad++;
    }
    for (int pass = 0; pass < 2; pass++)
    {
        s[TID] = pass == 0 ? count : bad;
        BARRIER();
        for (int w = BDIM / 2; w > 0; w >>= 1)
        {
            if (TID < w) s[TID] += s[TID + w];
            BARRIER();
        }
        if (TID == 0) stats[stats_off + pass] = s[0];
        BARRIER();
    }
}

// Per-sample loss (0 for an ignored sample; NaN for an index outside [0, C), which the check refuses first). Every row
// runs the same folds, ignored or not: no barrier sits under a data-dependent branch.
DEVICE_FN void ce_fwdindex_row(ROW_SCRATCH, GLOBAL const float* x, Strided xv, GLOBAL const i64* t, Strided tv,
                               GLOBAL float* per, i64 per_off, i64 c, i64 ignore, float eps)
{
    i64 k = t[tv.offset + r * tv.stride[0]];
    float m = -F32_INF, sum = 0.0f, sumx = 0.0f;
    LANES(j, c, coop) m = max_nan(m, mat_at(x, xv, r, j));
    m = row_max(m, s, coop);
    LANES(j, c, coop)
    {
        float v = mat_at(x, xv, r, j);
        sum += expf(v - m);
        sumx += v;
    }
    sum = row_sum(sum, s, coop);
    sumx = row_sum(sumx, s, coop);
    if (!coop || TID == 0)
    {
        float l = 0.0f;
        if (k != ignore)
            l = k < 0 || k >= c ? F32_NAN
                : logf(sum) + (1.0f - eps) * (m - mat_at(x, xv, r, k)) + (eps != 0.0f ? eps * (m - sumx / (float)c) : 0.0f);
        per[per_off + r] = l;
    }
}
ROW_KERNELS(ce_fwdindex,
    (GLOBAL const float* x, Strided xv, GLOBAL const i64* t, Strided tv, GLOBAL float* per, i64 per_off, i64 n, i64 c,
     i64 ignore, float eps),
    (x, xv, t, tv, per, per_off, c, ignore, eps), n)

DEVICE_FN void ce_fwdprob_row(ROW_SCRATCH, GLOBAL const float* x, Strided xv, GLOBAL const float* p, Strided pv,
                              GLOBAL float* per, i64 per_off, i64 c, float eps)
{
    float m = -F32_INF, sum = 0.0f, sumx = 0.0f, sump = 0.0f, dot = 0.0f;
    LANES(j, c, coop) m = max_nan(m, mat_at(x, xv, r, j));
    m = row_max(m, s, coop);
    LANES(j, c, coop)
    {
        float v = mat_at(x, xv, r, j), q = mat_at(p, pv, r, j);
        sum += expf(v - m);
        sumx += v;
        sump += q;
        dot += q * v;
    }
    sum = row_sum(sum, s, coop);
    sumx = row_sum(sumx, s, coop);
    sump = row_sum(sump, s, coop);
    dot = row_sum(dot, s, coop);
    if (!coop || TID == 0)
    {
        float sumq = (1.0f - eps) * sump + eps;
        float sumqx = (1.0f - eps) * dot + (eps != 0.0f ? eps / (float)c * sumx : 0.0f);
        per[per_off + r] = (m + logf(sum)) * sumq - sumqx;
    }
}
ROW_KERNELS(ce_fwdprob,
    (GLOBAL const float* x, Strided xv, GLOBAL const float* p, Strided pv, GLOBAL float* per, i64 per_off, i64 n, i64 c,
     float eps),
    (x, xv, p, pv, per, per_off, c, eps), n)

// loss = sum of the n per-sample losses in double, divided by *count for Mean (one block, fixed order).
KERNEL void ce_total_f32(GLOBAL const float* per, i64 per_off, i64 n, GLOBAL const i64* count, i64 count_off,
                         i32 mean, GLOBAL float* loss, i64 loss_off)
{
    LOCAL_ARRAY(double, s, BLOCK);
    double acc = 0.0;
    for (i64 i = TID; i < n; i += BDIM) acc += (double)per[per_off + i];
    s[TID] = acc;
    BARRIER();
    for (int w = BDIM / 2; w > 0; w >>= 1)
    {
        if (TID < w) s[TID] += s[TID + w];
        BARRIER();
    }
    if (TID == 0) loss[loss_off] = (float)(mean ? s[0] / (double)count[count_off] : s[0]);
}

// dlogits = g (softmax * sum(q) - q) per sample, g = dloss (per sample for None; dloss[0] / count for Mean).
DEVICE_FN float ce_grad_scale(GLOBAL const float* g, Strided gv, i64 r, int reduction, GLOBAL const i64* count, i64 count_off)
{
    float scale = reduction == L_MEAN ? 1.0f / (float)count[count_off] : 1.0f;
    return (reduction == L_NONE ? g[strided_at(gv, r)] : g[gv.offset]) * scale;
}

DEVICE_FN void ce_bwdindex_row(ROW_SCRATCH, GLOBAL const float* x, Strided xv, GLOBAL const i64* t, Strided tv,
                               GLOBAL const float* g, Strided gv, GLOBAL const i64* count, i64 count_off,
                               GLOBAL float* dx, i64 dx_off, i64 c, i64 ignore, float eps, i32 reduction)
{
    i64 k = t[tv.offset + r * tv.stride[0]];
    int skip = k == ignore;    // an ignored row runs the same folds (no barrier under a data-dependent branch), writes 0
    GLOBAL float* dr = dx + dx_off + r * c;
    float gr = ce_grad_scale(g, gv, r, reduction, count, count_off);
    float m = -F32_INF, sum = 0.0f;
    LANES(j, c, coop) m = max_nan(m, mat_at(x, xv, r, j));
    m = row_max(m, s, coop);
    LANES(j, c, coop) sum += expf(mat_at(x, xv, r, j) - m);
    sum = row_sum(sum, s, coop);
    float inv = 1.0f / sum, smooth = eps / (float)c;
    LANES(j, c, coop)
    {
        float d = gr * (expf(mat_at(x, xv, r, j) - m) * inv - smooth);
        if (j == k) d -= gr * (1.0f - eps);
        dr[j] = skip ? 0.0f : d;
    }
}
ROW_KERNELS(ce_bwdindex,
    (GLOBAL const float* x, Strided xv, GLOBAL const i64* t, Strided tv, GLOBAL const float* g, Strided gv,
     GLOBAL const i64* count, i64 count_off, GLOBAL float* dx, i64 dx_off, i64 n, i64 c, i64 ignore, float eps, i32 reduction),
    (x, xv, t, tv, g, gv, count, count_off, dx, dx_off, c, ignore, eps, reduction), n)

DEVICE_FN void ce_bwdprob_row(ROW_SCRATCH, GLOBAL const float* x, Strided xv, GLOBAL const float* p, Strided pv,
                              GLOBAL const float* g, Strided gv, GLOBAL const i64* count, i64 count_off,
                              GLOBAL float* dx, i64 dx_off, i64 c, float eps, i32 reduction)
{
    GLOBAL float* dr = dx + dx_off + r * c;
    float gr = ce_grad_scale(g, gv, r, reduction, count, count_off);
    float m = -F32_INF, sum = 0.0f, sump = 0.0f;
    LANES(j, c, coop) m = max_nan(m, mat_at(x, xv, r, j));
    m = row_max(m, s, coop);
    LANES(j, c, coop)
    {
        sum += expf(mat_at(x, xv, r, j) - m);
        sump += mat_at(p, pv, r, j);
    }
    sum = row_sum(sum, s, coop);
    sump = row_sum(sump, s, coop);
    float scale = ((1.0f - eps) * sump + eps) / sum, keep = 1.0f - eps, smooth = eps / (float)c;
    LANES(j, c, coop)
        dr[j] = gr * (expf(mat_at(x, xv, r, j) - m) * scale - (keep * mat_at(p, pv, r, j) + smooth));
}
ROW_KERNELS(ce_bwdprob,
    (GLOBAL const float* x, Strided xv, GLOBAL const float* p, Strided pv, GLOBAL const float* g, Strided gv,
     GLOBAL const i64* count, i64 count_off, GLOBAL float* dx, i64 dx_off, i64 n, i64 c, float eps, i32 reduction),
    (x, xv, p, pv, g, gv, count, count_off, dx, dx_off, c, eps, reduction), n)

// ---- Mean squared error ----

// y = (a - b)^2 per element (the loss for None; squares to reduce otherwise).
KERNEL void mse_fwd_f32(GLOBAL const float* a, Strided av, GLOBAL const float* b, Strided bv, GLOBAL float* y, i64 y_off, i64 n)
{
    FOR_EACH(i, n)
    {
        float d = a[strided_at(av, i)] - b[strided_at(bv, i)];
        y[y_off + i] = d * d;
    }
}

// da = 2 (a - b) g per element for None (g read through a view of a's shape); otherwise da = (2 g[0] k) (a - b) with
// k = 1/n for Mean and 1 for Sum.
KERNEL void mse_bwd_f32(GLOBAL const float* a, Strided av, GLOBAL const float* b, Strided bv, GLOBAL const float* g, Strided gv,
                        GLOBAL float* da, i64 da_off, i64 n, i32 reduction, float k)
{
    float s = reduction == L_NONE ? 0.0f : 2.0f * g[gv.offset] * k;
    FOR_EACH(i, n)
    {
        float d = a[strided_at(av, i)] - b[strided_at(bv, i)];
        da[da_off + i] = reduction == L_NONE ? 2.0f * d * g[strided_at(gv, i)] : s * d;
    }
}
