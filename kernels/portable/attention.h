// Scaled dot-product attention on [B, H, T, D] float32: o = softmax(q.k^T*scale + mask (+ causal)).v and its backward.
// First version: one block per query row (forward, dq) or key row (dk, dv); keys (queries) go by in chunks of BLOCK,
// one per thread, whose dot products each thread computes alone; the output row is accumulated in global memory, each
// thread owning the columns d = TID, TID + BDIM, ... (so no two threads touch one element and D, Dv may be any size).
// q, k, v, o, dO and the mask are views with their own strides (the mask broadcast to [B, H, Tq, Tk] with stride 0);
// outputs are dense. Semantics of src/Tessera.Cpu/Kernels/CpuKernels.Attention.cs: causal hides key j > query i; a
// row whose scores are all -inf gets output 0, lse -inf and no gradient.

// Element offset of [a, b, c, 0] in a view of rank >= 3 (of [a, b, c] in a rank-3 view).
DEVICE_FN i64 attn_at(Strided v, i64 a, i64 b, i64 c) { return v.offset + a * v.stride[0] + b * v.stride[1] + c * v.stride[2]; }

// sum_d a[ao + d*as] * b[bo + d*bs] over d in [0, n), in order.
DEVICE_FN float attn_dot(GLOBAL const float* a, i64 ao, i64 as, GLOBAL const float* b, i64 bo, i64 bs, i64 n)
{
    float s = 0.0f;
    for (i64 d = 0; d < n; d++) s += a[ao + d * as] * b[bo + d * bs];
    return s;
}

// Forward, one block per query row (b, h, i): pass over key chunks with an online max m and sum l; the chunk's
// probabilities exp(s - m) sit in local memory while the threads fold them into their output columns.
// lse (dense [B, H, Tq]) is written when has_lse; the mask is read when has_mask.
KERNEL void attention_fwd_f32(GLOBAL const float* q, Strided qv, GLOBAL const float* k, Strided kv,
    GLOBAL const float* v, Strided vv, GLOBAL const float* mk, Strided mv, int has_mask,
    GLOBAL float* o, i64 o_off, GLOBAL float* lse, i64 lse_off, int has_lse,
    i64 H, i64 Tq, i64 Tk, i64 D, i64 Dv, float scale, int causal)
{
    LOCAL_ARRAY(float, red, BLOCK);
    LOCAL_ARRAY(float, pr, BLOCK);
    i64 row = BID_X, i = row % Tq, bh = row / Tq, h = bh % H, b = bh / H;
    i64 qo = attn_at(qv, b, h, i), qs = qv.stride[3];
    i64 ko = attn_at(kv, b, h, 0), kj = kv.stride[2], ks = kv.stride[3];
    i64 vo = attn_at(vv, b, h, 0), vj = vv.stride[2], vs = vv.stride[3];
    i64 mo = has_mask ? attn_at(mv, b, h, i) : 0, mj = has_mask ? mv.stride[3] : 0;
    GLOBAL float* orow = o + o_off + row * Dv;
    for (i64 d = TID; d < Dv; d += BDIM) orow[d] = 0.0f;
    i64 jend = causal && i + 1 < Tk ? i + 1 : Tk;
    float m = -F32_INF, l = 0.0f;
    for (i64 j0 = 0; j0 < jend; j0 += BDIM)
    {
        i64 j = j0 + TID;
        float s = -F32_INF;
        if (j < jend)
        {
            s = attn_dot(q, qo, qs, k, ko + j * kj, ks, D) * scale;
            if (has_mask) s += mk[mo + j * mj];
        }
        float mnew = fmaxf(m, block_max(s, red));
        if (mnew == -F32_INF) continue;                  // everything so far is masked (uniform across the block)
        float e = j < jend ? expf(s - mnew) : 0.0f;
        pr[TID] = e;
        float csum = block_sum(e, red);                  // its barriers also publish pr
        float alpha = expf(m - mnew);                    // 0 while m is -inf
        l = l * alpha + csum;
        m = mnew;
        i64 cnt = jend - j0 < BDIM ? jend - j0 : BDIM;
        for (i64 d = TID; d < Dv; d += BDIM)
        {
            float acc = orow[d] * alpha;
            for (i64 t = 0; t < cnt; t++) acc += pr[t] * v[vo + (j0 + t) * vj + d * vs];
            orow[d] = acc;
        }
        BARRIER();                                       // pr is rewritten by the next chunk
    }
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    for (i64 d = TID; d < Dv; d += BDIM) orow[d] *= inv;
    if (has_lse && TID == 0) lse[lse_off + row] = l > 0.0f ? m + logf(l) : -F32_INF;
}

// P_ij = exp(q_i.k_j*scale + mask_ij - lse_i) for a visible pair (i, j) of a row with finite lse (the caller passes
// only such pairs); dS_ij = P_ij*(dO_i.v_j - D_i)*scale follows at the call site.
DEVICE_FN float attn_prob(GLOBAL const float* q, i64 qo, i64 qs, GLOBAL const float* k, i64 ko, i64 ks, i64 D,
    float scale, float maskv, float li)
{
    return expf(attn_dot(q, qo, qs, k, ko, ks, D) * scale + maskv - li);
}

// Backward, pass 1, one block per query row (b, h, i): D_i = rowsum(dO_i * o_i) into dbuf[row], then
// dq_i = sum_j dS_ij k_j over key chunks (dS of the chunk in local memory).
KERNEL void attention_bwd_dq_f32(GLOBAL const float* q, Strided qv, GLOBAL const float* k, Strided kv,
    GLOBAL const float* v, Strided vv, GLOBAL const float* mk, Strided mv, int has_mask,
    GLOBAL const float* o, Strided ov, GLOBAL const float* lse, Strided lv, GLOBAL const float* dO, Strided gv,
    GLOBAL float* dq, i64 dq_off, GLOBAL float* dbuf, i64 dbuf_off, i64 H, i64 Tq, i64 Tk, i64 D, i64 Dv, float scale, int causal)
{
    LOCAL_ARRAY(float, red, BLOCK);
    LOCAL_ARRAY(float, ds, BLOCK);
    i64 row = BID_X, i = row % Tq, bh = row / Tq, h = bh % H, b = bh / H;
    i64 qo = attn_at(qv, b, h, i), qs = qv.stride[3];
    i64 ko = attn_at(kv, b, h, 0), kj = kv.stride[2], ks = kv.stride[3];
    i64 vo = attn_at(vv, b, h, 0), vj = vv.stride[2], vs = vv.stride[3];
    i64 go = attn_at(gv, b, h, i), gs = gv.stride[3];
    i64 oo = attn_at(ov, b, h, i), os = ov.stride[3];
    i64 mo = has_mask ? attn_at(mv, b, h, i) : 0, mj = has_mask ? mv.stride[3] : 0;
    float acc = 0.0f;
    for (i64 d = TID; d < Dv; d += BDIM) acc += dO[go + d * gs] * o[oo + d * os];
    float di = block_sum(acc, red);
    if (TID == 0) dbuf[dbuf_off + row] = di;
    float li = lse[attn_at(lv, b, h, i)];
    GLOBAL float* dqrow = dq + dq_off + row * D;
    for (i64 d = TID; d < D; d += BDIM) dqrow[d] = 0.0f;
    i64 jend = li == -F32_INF ? 0 : causal && i + 1 < Tk ? i + 1 : Tk;
    for (i64 j0 = 0; j0 < jend; j0 += BDIM)
    {
        i64 j = j0 + TID;
        float g = 0.0f;
        if (j < jend)
        {
            float pj = attn_prob(q, qo, qs, k, ko + j * kj, ks, D, scale, has_mask ? mk[mo + j * mj] : 0.0f, li);
            g = pj * (attn_dot(dO, go, gs, v, vo + j * vj, vs, Dv) - di) * scale;
        }
        ds[TID] = g;
        BARRIER();
        i64 cnt = jend - j0 < BDIM ? jend - j0 : BDIM;
        for (i64 d = TID; d < D; d += BDIM)
        {
            float a = dqrow[d];
            for (i64 t = 0; t < cnt; t++) a += ds[t] * k[ko + (j0 + t) * kj + d * ks];
            dqrow[d] = a;
        }
        BARRIER();
    }
}

// Backward, pass 2, one block per key row (b, h, j) after pass 1: dv_j = sum_i P_ij dO_i and dk_j = sum_i dS_ij q_i over
// the query chunks that see key j (i >= j when causal); D_i comes from dbuf.
KERNEL void attention_bwd_dkv_f32(GLOBAL const float* q, Strided qv, GLOBAL const float* k, Strided kv,
    GLOBAL const float* v, Strided vv, GLOBAL const float* mk, Strided mv, int has_mask,
    GLOBAL const float* lse, Strided lv, GLOBAL const float* dO, Strided gv, GLOBAL const float* dbuf, i64 dbuf_off,
    GLOBAL float* dk, i64 dk_off, GLOBAL float* dv, i64 dv_off, i64 H, i64 Tq, i64 Tk, i64 D, i64 Dv, float scale, int causal)
{
    LOCAL_ARRAY(float, ds, BLOCK);
    LOCAL_ARRAY(float, pp, BLOCK);
    i64 row = BID_X, j = row % Tk, bh = row / Tk, h = bh % H, b = bh / H;
    i64 qo = attn_at(qv, b, h, 0), qi = qv.stride[2], qs = qv.stride[3];
    i64 ko = attn_at(kv, b, h, j), ks = kv.stride[3];
    i64 vo = attn_at(vv, b, h, j), vs = vv.stride[3];
    i64 go = attn_at(gv, b, h, 0), gi = gv.stride[2], gs = gv.stride[3];
    i64 mo = has_mask ? attn_at(mv, b, h, 0) + j * mv.stride[3] : 0, mi = has_mask ? mv.stride[2] : 0;
    GLOBAL float* dkrow = dk + dk_off + row * D;
    GLOBAL float* dvrow = dv + dv_off + row * Dv;
    for (i64 d = TID; d < D; d += BDIM) dkrow[d] = 0.0f;
    for (i64 d = TID; d < Dv; d += BDIM) dvrow[d] = 0.0f;
    for (i64 i0 = causal ? j : 0; i0 < Tq; i0 += BDIM)
    {
        i64 i = i0 + TID;
        float pi = 0.0f, g = 0.0f;
        if (i < Tq)
        {
            float li = lse[attn_at(lv, b, h, i)];
            if (li != -F32_INF)
            {
                pi = attn_prob(q, qo + i * qi, qs, k, ko, ks, D, scale, has_mask ? mk[mo + i * mi] : 0.0f, li);
                g = pi * (attn_dot(dO, go + i * gi, gs, v, vo, vs, Dv) - dbuf[dbuf_off + bh * Tq + i]) * scale;
            }
        }
        pp[TID] = pi;
        ds[TID] = g;
        BARRIER();
        i64 cnt = Tq - i0 < BDIM ? Tq - i0 : BDIM;
        for (i64 d = TID; d < Dv; d += BDIM)
        {
            float a = dvrow[d];
            for (i64 t = 0; t < cnt; t++) a += pp[t] * dO[go + (i0 + t) * gi + d * gs];
            dvrow[d] = a;
        }
        for (i64 d = TID; d < D; d += BDIM)
        {
            float a = dkrow[d];
            for (i64 t = 0; t < cnt; t++) a += ds[t] * q[qo + (i0 + t) * qi + d * qs];
            dkrow[d] = a;
        }
        BARRIER();
    }
}
