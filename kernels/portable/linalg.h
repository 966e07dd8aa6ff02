// Matrix products: one tiled engine (64x64 output tile per block of 256 threads, each thread a 4x4 sub-tile, K in steps
// of 16 through local memory) and its instances: batched strided GEMM, and 2-D convolution as implicit GEMM (forward,
// data gradient by gathering, weight gradient), whose operands are read from the tensors as the tiles are loaded (no
// column buffer). Pooling and the bias gradient live in conv.h. The forward products take a fused epilogue: act (a
// UnaryOp code of common.h, with its scalars ea, eb) applied to each output after bias (and, for the convolution, a
// residual) is added; U_IDENTITY applies nothing.

#define GEMM_BM 64
#define GEMM_BN 64
#define GEMM_BK 16
// Row pitch of the local tiles: one float of padding keeps the transposing tile stores free of bank conflicts.
#define GEMM_LD 65

// Thread t owns rows ty + 16r and columns tx + 16q (r, q in 0..3) of the tile, tx = t % 16, ty = t / 16: the 16 threads
// of a row write 16 consecutive columns, and the local reads in the inner loop are conflict-free.
//
// GEMM_MAINLOOP accumulates acc[4r + q] += sum over k of A(m0 + ty + 16r, k) * B(k, n0 + tx + 16q). It expects, in scope:
// LOCAL arrays As and Bs of GEMM_BK * GEMM_LD floats, i64 m0 and n0, int tx and ty, float acc[16]. A_AT(i, k) and
// B_AT(k, j) are expressions evaluated for in-range indices only (out-of-range elements load as zero). A_KFAST says that
// consecutive k are adjacent in memory for A (else consecutive i), B_NFAST that consecutive j are adjacent for B (else
// consecutive k): the tile loads then walk memory in that order. PREP(k0) runs first in each K step, by every thread
// (it may hold a barrier): kernels fill per-step tables there. Every thread of the block must run the loop (barriers).
#define GEMM_MAINLOOP(M, N, K, A_KFAST, B_NFAST, A_AT, B_AT, PREP) \
    for (i64 gm_k0 = 0; gm_k0 < (K); gm_k0 += GEMM_BK) \
    { \
        PREP(gm_k0) \
        for (int gm_r = 0; gm_r < 4; gm_r++) \
        { \
            int gm_l = TID + gm_r * BLOCK; \
            int gm_ti = (A_KFAST) ? (gm_l >> 4) : (gm_l & 63), gm_tk = (A_KFAST) ? (gm_l & 15) : (gm_l >> 6); \
            i64 gm_gi = m0 + gm_ti, gm_gk = gm_k0 + gm_tk; \
            As[gm_tk * GEMM_LD + gm_ti] = (gm_gi < (M) && gm_gk < (K)) ? (A_AT(gm_gi, gm_gk)) : 0.0f; \
            int gm_tj = (B_NFAST) ? (gm_l & 63) : (gm_l >> 4); \
            gm_tk = (B_NFAST) ? (gm_l >> 6) : (gm_l & 15); \
            i64 gm_gj = n0 + gm_tj; \
            gm_gk = gm_k0 + gm_tk; \
            Bs[gm_tk * GEMM_LD + gm_tj] = (gm_gj < (N) && gm_gk < (K)) ? (B_AT(gm_gk, gm_gj)) : 0.0f; \
        } \
        BARRIER(); \
        for (int gm_kk = 0; gm_kk < GEMM_BK; gm_kk++) \
        { \
            float gm_av[4], gm_bv[4]; \
            for (int gm_r = 0; gm_r < 4; gm_r++) gm_av[gm_r] = As[gm_kk * GEMM_LD + ty + 16 * gm_r]; \
            for (int gm_q = 0; gm_q < 4; gm_q++) gm_bv[gm_q] = Bs[gm_kk * GEMM_LD + tx + 16 * gm_q]; \
            for (int gm_r = 0; gm_r < 4; gm_r++) \
                for (int gm_q = 0; gm_q < 4; gm_q++) acc[4 * gm_r + gm_q] += gm_av[gm_r] * gm_bv[gm_q]; \
        } \
        BARRIER(); \
    }

// The kernel-scope declarations GEMM_MAINLOOP needs (local arrays must be declared at kernel scope).
#define GEMM_TILE_SETUP \
    LOCAL_ARRAY(float, As, GEMM_BK * GEMM_LD); \
    LOCAL_ARRAY(float, Bs, GEMM_BK * GEMM_LD); \
    int tx = TID & 15, ty = TID >> 4;

// The tile of block BID_X on a grid of tilesN tiles per row of the output.
#define GEMM_TILE_ORIGIN(tilesN) \
    i64 m0 = (BID_X / (tilesN)) * GEMM_BM, n0 = (BID_X % (tilesN)) * GEMM_BN;

#define GEMM_ACC_ZERO \
    float acc[16]; \
    for (int gm_z = 0; gm_z < 16; gm_z++) acc[gm_z] = 0.0f;

// The PREP of kernels without per-step tables.
#define GEMM_NO_PREP(k0)

// Runs STORE(i, j, value) for each in-range element of the thread's 4x4 sub-tile.
#define GEMM_EPILOGUE(M, N, STORE) \
    for (int gm_r = 0; gm_r < 4; gm_r++) \
    { \
        i64 gm_ei = m0 + ty + 16 * gm_r; \
        if (gm_ei >= (M)) continue; \
        for (int gm_q = 0; gm_q < 4; gm_q++) \
        { \
            i64 gm_ej = n0 + tx + 16 * gm_q; \
            if (gm_ej < (N)) STORE(gm_ei, gm_ej, acc[4 * gm_r + gm_q]); \
        } \
    }

// Element offset of batch bi in a view [batch..., rows, cols] (the last two dimensions are not visited).
DEVICE_FN i64 gemm_batch_offset(Strided v, i64 bi)
{
    i64 off = v.offset;
    for (int d = v.rank - 3; d >= 0; d--)
    {
        i64 n = v.shape[d];
        off += (bi % n) * v.stride[d];
        bi /= n;
    }
    return off;
}

// One output of gemm_f32 / gemm_small_f32 from its accumulated product, through the epilogue's activation.
DEVICE_FN float gemm_out(float alpha, float acc, float beta, GLOBAL const float* c, i64 ci,
                         GLOBAL const float* bias, i64 bi, int has_bias, int act, float ea, float eb)
{
    float o = alpha * acc;
    if (beta != 0.0f) o += beta * c[ci];
    if (has_bias) o += bias[bi];
    return unary_apply(act, o, ea, eb);
}

// c[b] = act(alpha * op(a)[b] * op(b)[b] + beta * c[b] + bias[b]), batch b in [0, batches), blocks over (tile, batch) with
// grid-stride over batches. av / bv are op(a) [batch..., M, K] and op(b) [batch..., K, N]: the transposition and any
// row/column strides are folded into their last two strides, broadcast batch dimensions have stride 0. c is dense
// [batches, M, N] from c_off; biasv is the bias broadcast to [batch..., M, N] (read only when has_bias). beta = 0 ignores
// what c held (NaN included). Split K (partial != 0): grid Z block s sums k in [s * kSlice, (s + 1) * kSlice) and stores
// the raw sums at part[part_off + (s * batches + b) * M * N + i * N + j]; gemm_reduce_f32 then finishes c.
#define GEMM_A(i, k) a[aoff + (i) * ars + (kb + (k)) * acs]
#define GEMM_B(k, j) b[boff + (kb + (k)) * brs + (j) * bcs]
#define GEMM_STORE(i, j, v) \
    { \
        if (partial) part[poff + (i) * N + (j)] = (v); \
        else c[coff + (i) * N + (j)] = gemm_out(alpha, (v), beta, c, coff + (i) * N + (j), bias, biasoff + (i) * bis + (j) * bjs, has_bias, \
                                              act, ea, eb); \
    }
KERNEL void gemm_f32(GLOBAL const float* a, Strided av, GLOBAL const float* b, Strided bv, GLOBAL float* c, i64 c_off,
                     GLOBAL const float* bias, Strided biasv, i32 has_bias,
                     i64 M, i64 N, i64 K, i64 batches, i64 tilesN, float alpha, float beta, i32 act, float ea, float eb,
                     GLOBAL float* part, i64 part_off, i32 partial, i64 kSlice)
{
    GEMM_TILE_SETUP
    i64 ars = av.stride[av.rank - 2], acs = av.stride[av.rank - 1];
    i64 brs = bv.stride[bv.rank - 2], bcs = bv.stride[bv.rank - 1];
    i64 bis = biasv.stride[biasv.rank - 2], bjs = biasv.stride[biasv.rank - 1];
    int aKFast = acs == 1, bNFast = bcs == 1;
    i64 kb = BID_Z * kSlice, ks = K - kb < kSlice ? K - kb : kSlice;
    GEMM_TILE_ORIGIN(tilesN)
    for (i64 bz = BID_Y; bz < batches; bz += GDIM_Y)
    {
        i64 aoff = gemm_batch_offset(av, bz), boff = gemm_batch_offset(bv, bz);
        i64 biasoff = has_bias ? gemm_batch_offset(biasv, bz) : 0;
        i64 coff = c_off + bz * M * N, poff = part_off + (BID_Z * batches + bz) * M * N;
        GEMM_ACC_ZERO
        GEMM_MAINLOOP(M, N, ks, aKFast, bNFast, GEMM_A, GEMM_B, GEMM_NO_PREP)
        GEMM_EPILOGUE(M, N, GEMM_STORE)
    }
}
#undef GEMM_A
#undef GEMM_B
#undef GEMM_STORE

// Finishes a split-K gemm_f32: c = act(alpha * (sum of the slices, in slice order) + beta * c + bias).
KERNEL void gemm_reduce_f32(GLOBAL const float* part, i64 part_off, i64 slices, GLOBAL float* c, i64 c_off,
                            GLOBAL const float* bias, Strided biasv, i32 has_bias, i64 M, i64 N, i64 batches,
                            float alpha, float beta, i32 act, float ea, float eb)
{
    i64 bis = biasv.stride[biasv.rank - 2], bjs = biasv.stride[biasv.rank - 1], total = batches * M * N;
    FOR_EACH(e, total)
    {
        float acc = 0.0f;
        for (i64 s = 0; s < slices; s++) acc += part[part_off + s * total + e];
        i64 bz = e / (M * N), rest = e - bz * M * N, i = rest / N, j = rest - i * N;
        i64 bi = has_bias ? gemm_batch_offset(biasv, bz) + i * bis + j * bjs : 0;
        c[c_off + e] = gemm_out(alpha, acc, beta, c, c_off + e, bias, bi, has_bias, act, ea, eb);
    }
}

// The same product for small matrices (a 64x64 tile would be mostly empty): one thread per output element, a plain dot
// product over K.
KERNEL void gemm_small_f32(GLOBAL const float* a, Strided av, GLOBAL const float* b, Strided bv, GLOBAL float* c, i64 c_off,
                           GLOBAL const float* bias, Strided biasv, i32 has_bias,
                           i64 M, i64 N, i64 K, i64 batches, float alpha, float beta, i32 act, float ea, float eb)
{
    i64 ars = av.stride[av.rank - 2], acs = av.stride[av.rank - 1];
    i64 brs = bv.stride[bv.rank - 2], bcs = bv.stride[bv.rank - 1];
    i64 bis = biasv.stride[biasv.rank - 2], bjs = biasv.stride[biasv.rank - 1];
    FOR_EACH(e, batches * M * N)
    {
        i64 bz = e / (M * N), rest = e - bz * M * N, i = rest / N, j = rest - i * N;
        i64 ap = gemm_batch_offset(av, bz) + i * ars, bp = gemm_batch_offset(bv, bz) + j * bcs;
        float acc = 0.0f;
        for (i64 k = 0; k < K; k++) acc += a[ap + k * acs] * b[bp + k * brs];
        i64 bi = has_bias ? gemm_batch_offset(biasv, bz) + i * bis + j * bjs : 0;
        c[c_off + e] = gemm_out(alpha, acc, beta, c, c_off + e, bias, bi, has_bias, act, ea, eb);
    }
}

// y = act(v + bias + residual), the residual (has_res) dense in y's layout: element yi of y has it at r_off + yi - y_off.
DEVICE_FN float conv_out(float v, GLOBAL const float* r, i64 r_off, i64 yi, i32 has_res, int act, float ea, float eb)
{
    if (has_res) v += r[r_off + yi];
    return unary_apply(act, v, ea, eb);
}

// ---- Convolution as implicit GEMM (NCHW input, OIHW weights, groups). Views x, w, dy are read through their four
// strides (any layout); outputs are dense from their offset. ----

typedef struct { int H, W, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW; } ConvGeom;

DEVICE_FN ConvGeom conv_geom(int H, int W, int KH, int KW, int OH, int OW, int SH, int SW, int PT, int PL, int DH, int DW)
{
    ConvGeom g;
    g.H = H; g.W = W; g.KH = KH; g.KW = KW; g.OH = OH; g.OW = OW;
    g.SH = SH; g.SW = SW; g.PT = PT; g.PL = PL; g.DH = DH; g.DW = DW;
    return g;
}

// The im2col element (row k = (c, kh, kw), column p = (oh, ow)) of the input plane group whose channel 0 is at `base`.
DEVICE_FN float conv_col_at(GLOBAL const float* x, Strided xv, i64 base, ConvGeom g, int k, int p)
{
    int kk = g.KH * g.KW, c = k / kk, r = k - c * kk, kh = r / g.KW, kw = r - kh * g.KW;
    int oh = p / g.OW, ow = p - oh * g.OW;
    int ih = oh * g.SH - g.PT + kh * g.DH, iw = ow * g.SW - g.PL + kw * g.DW;
    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) return 0.0f;
    return x[base + c * xv.stride[1] + ih * xv.stride[2] + iw * xv.stride[3]];
}

// Weight element (o, c, tap), the tap (kh, kw) taken from k modulo KH*KW.
DEVICE_FN float conv_w_at(GLOBAL const float* w, Strided wv, ConvGeom g, int o, int c, int k)
{
    int kk = g.KH * g.KW, r = k % kk, kh = r / g.KW, kw = r - kh * g.KW;
    return w[wv.offset + o * wv.stride[0] + c * wv.stride[1] + kh * wv.stride[2] + kw * wv.stride[3]];
}

// An input tap: x[base + off] when (ih, iw) lies in the plane, else 0 (padding).
DEVICE_FN float conv_tap(GLOBAL const float* x, i64 base, i64 off, int ih, int iw, int H, int W)
{
    return ih < 0 || ih >= H || iw < 0 || iw >= W ? 0.0f : x[base + off];
}

// y[n, g*og + i, p] = act(sum over k = (c, kh, kw) of w[g*og + i, k] * col(n, g)[k, p] + bias + residual) (conv_out).
// One (sample, group) per grid
// row Y (grid-stride), tiles of og x P along X. w must be dense in (c, kh, kw) (w[o, k] at o * stride0 + k). Each
// thread loads one column p of the tile (B_NFAST: p = n0 + TID % 64), whose window origin it computes once per tile;
// each K step tabulates its 16 rows k (offset of (c, kh, kw) in x, tap displacement), so loads need no divisions.
#define CONV_FWD_PREP(k0) \
    if (TID < GEMM_BK) \
    { \
        int kq = (int)(k0) + TID, c = kq / kk, r = kq - c * kk, kh = r / KW, kw = r - kh * KW; \
        kt_dh[TID] = kh * DH; \
        kt_dw[TID] = kw * DW; \
        kt_off[TID] = c * xv.stride[1] + (i64)kh * DH * xv.stride[2] + (i64)kw * DW * xv.stride[3]; \
    } \
    BARRIER();
#define CONV_FWD_A(i, k) w[wbase + (i) * wv.stride[0] + (k)]
#define CONV_FWD_B(k, j) conv_tap(x, xj, kt_off[(k) & 15], hj + kt_dh[(k) & 15], wj + kt_dw[(k) & 15], H, W)
#define CONV_FWD_STORE(i, j, v) \
    y[ybase + (i) * P + (j)] = conv_out((v) + (has_bias ? bias[biasv.offset + (o0 + (i)) * biasv.stride[0]] : 0.0f), \
                                        r, r_off, ybase - y_off + (i) * P + (j), has_res, act, ea, eb);
KERNEL void conv2d_fwd_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* w, Strided wv,
                           GLOBAL const float* bias, Strided biasv, i32 has_bias, GLOBAL const float* r, i64 r_off, i32 has_res,
                           i32 act, float ea, float eb, GLOBAL float* y, i64 y_off,
                           i32 N, i32 C, i32 O, i32 G, i32 H, i32 W, i32 KH, i32 KW, i32 OH, i32 OW,
                           i32 SH, i32 SW, i32 PT, i32 PL, i32 DH, i32 DW, i64 tilesN)
{
    GEMM_TILE_SETUP
    LOCAL_ARRAY(i64, kt_off, GEMM_BK);
    LOCAL_ARRAY(int, kt_dh, GEMM_BK);
    LOCAL_ARRAY(int, kt_dw, GEMM_BK);
    int cg = C / G, og = O / G, kk = KH * KW;
    i64 P = (i64)OH * OW, K = (i64)cg * kk;
    GEMM_TILE_ORIGIN(tilesN)
    i64 pj = n0 + (TID & 63);
    int ohj = (int)(pj / OW), owj = (int)(pj - (i64)ohj * OW), hj = ohj * SH - PT, wj = owj * SW - PL;
    for (i64 bz = BID_Y; bz < (i64)N * G; bz += GDIM_Y)
    {
        i64 n = bz / G;
        int grp = (int)(bz - n * G), o0 = grp * og;
        i64 xj = xv.offset + n * xv.stride[0] + (i64)grp * cg * xv.stride[1] + hj * xv.stride[2] + wj * xv.stride[3];
        i64 wbase = wv.offset + o0 * wv.stride[0];
        i64 ybase = y_off + (n * O + o0) * P;
        GEMM_ACC_ZERO
        GEMM_MAINLOOP(og, P, K, 1, 1, CONV_FWD_A, CONV_FWD_B, CONV_FWD_PREP)
        GEMM_EPILOGUE(og, P, CONV_FWD_STORE)
    }
}
#undef CONV_FWD_PREP
#undef CONV_FWD_A
#undef CONV_FWD_B
#undef CONV_FWD_STORE

// dy element (o, oh, ow) of the output channel group at `base` that input position (h, w) meets through kernel tap
// (kh, kw), or 0 where that tap falls between strides or outside the output.
DEVICE_FN float conv_dy_gather(GLOBAL const float* dy, Strided dyv, i64 base, ConvGeom g, int k, int j)
{
    int kk = g.KH * g.KW, o = k / kk, r = k - o * kk, kh = r / g.KW, kw = r - kh * g.KW;
    int h = j / g.W, w = j - h * g.W;
    int th = h + g.PT - kh * g.DH, tw = w + g.PL - kw * g.DW;
    if (th < 0 || tw < 0) return 0.0f;
    int oh = th / g.SH, ow = tw / g.SW;
    if (oh * g.SH != th || ow * g.SW != tw || oh >= g.OH || ow >= g.OW) return 0.0f;
    return dy[base + o * dyv.stride[1] + oh * dyv.stride[2] + ow * dyv.stride[3]];
}

// dx[n, g*cg + i, j] = sum over k = (o, kh, kw) of w[g*og + o, i, kh, kw] * dy-gather(n, g)[k, j]: each input element
// gathers the outputs it fed (no scatter, no atomics). One (sample, group) per grid row Y, tiles of cg x H*W along X.
#define CONV_BD_A(i, k) conv_w_at(w, wv, g, o0 + (int)(k) / kk, (int)(i), (int)(k))
#define CONV_BD_B(k, j) conv_dy_gather(dy, dyv, dybase, g, (int)(k), (int)(j))
#define CONV_BD_STORE(i, j, v) dx[dxbase + (i) * HW + (j)] = (v);
KERNEL void conv2d_bwd_data_f32(GLOBAL const float* dy, Strided dyv, GLOBAL const float* w, Strided wv,
                                GLOBAL float* dx, i64 dx_off,
                                i32 N, i32 C, i32 O, i32 G, i32 H, i32 W, i32 KH, i32 KW, i32 OH, i32 OW,
                                i32 SH, i32 SW, i32 PT, i32 PL, i32 DH, i32 DW, i64 tilesN)
{
    GEMM_TILE_SETUP
    ConvGeom g = conv_geom(H, W, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW);
    int cg = C / G, og = O / G, kk = KH * KW;
    i64 HW = (i64)H * W, K = (i64)og * kk;
    GEMM_TILE_ORIGIN(tilesN)
    for (i64 bz = BID_Y; bz < (i64)N * G; bz += GDIM_Y)
    {
        i64 n = bz / G;
        int grp = (int)(bz - n * G), o0 = grp * og;
        i64 dybase = dyv.offset + n * dyv.stride[0] + (i64)o0 * dyv.stride[1];
        i64 dxbase = dx_off + (n * C + (i64)grp * cg) * HW;
        GEMM_ACC_ZERO
        GEMM_MAINLOOP(cg, HW, K, 1, 1, CONV_BD_A, CONV_BD_B, GEMM_NO_PREP)
        GEMM_EPILOGUE(cg, HW, CONV_BD_STORE)
    }
}
#undef CONV_BD_A
#undef CONV_BD_B
#undef CONV_BD_STORE

// dw[g*og + i, j] = sum over k = (n, p) of dy[n, g*og + i, p] * col(n, g)[j, p], j = (c, kh, kw): the batch is part of
// the reduction, so each weight is one deterministic sum. Output tiles og x (cg*KH*KW) along X; the reduction range
// [k_begin, k_end) of N*OH*OW lets a launcher split it (partial sums into dw slices at dw_off + slice * O*cg*KH*KW).
DEVICE_FN float conv_dy_at(GLOBAL const float* dy, Strided dyv, int o, i64 k, i64 P, int OW)
{
    i64 n = k / P;
    int p = (int)(k - n * P), oh = p / OW, ow = p - oh * OW;
    return dy[dyv.offset + n * dyv.stride[0] + o * dyv.stride[1] + oh * dyv.stride[2] + ow * dyv.stride[3]];
}

DEVICE_FN float conv_col_at_n(GLOBAL const float* x, Strided xv, int c0, ConvGeom g, i64 k, i64 P, int j)
{
    i64 n = k / P;
    return conv_col_at(x, xv, xv.offset + n * xv.stride[0] + (i64)c0 * xv.stride[1], g, j, (int)(k - n * P));
}

#define CONV_BW_A(i, k) conv_dy_at(dy, dyv, o0 + (int)(i), kb + (k), P, OW)
#define CONV_BW_B(k, j) conv_col_at_n(x, xv, c0, g, kb + (k), P, (int)(j))
#define CONV_BW_STORE(i, j, v) dw[dwbase + (i) * KD + (j)] = (v);
KERNEL void conv2d_bwd_weight_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* dy, Strided dyv,
                                  GLOBAL float* dw, i64 dw_off,
                                  i32 N, i32 C, i32 O, i32 G, i32 H, i32 W, i32 KH, i32 KW, i32 OH, i32 OW,
                                  i32 SH, i32 SW, i32 PT, i32 PL, i32 DH, i32 DW, i64 tilesN, i64 kSlice)
{
    GEMM_TILE_SETUP
    ConvGeom g = conv_geom(H, W, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW);
    int cg = C / G, og = O / G;
    i64 P = (i64)OH * OW, KD = (i64)cg * KH * KW, total = (i64)N * P;
    i64 slice = BID_Y, kb = slice * kSlice, ke = kb + kSlice < total ? kb + kSlice : total;
    i64 K = ke > kb ? ke - kb : 0;
    GEMM_TILE_ORIGIN(tilesN)
    // Groups along Z: the launcher gives min(G, 65535) blocks, so the stride is 65535 whenever a block loops.
    for (i64 gz = BID_Z; gz < G; gz += 65535)
    {
        int o0 = (int)gz * og, c0 = (int)gz * cg;
        i64 dwbase = dw_off + slice * (i64)O * KD + (i64)o0 * KD;
        GEMM_ACC_ZERO
        GEMM_MAINLOOP(og, KD, K, 1, 0, CONV_BW_A, CONV_BW_B, GEMM_NO_PREP)
        GEMM_EPILOGUE(og, KD, CONV_BW_STORE)
    }
}
#undef CONV_BW_A
#undef CONV_BW_B
#undef CONV_BW_STORE

// out[i] = sum over s in [0, slices) of part[s * n + i], in slice order (the split-K reduction of conv2d_bwd_weight_f32).
KERNEL void sum_slices_f32(GLOBAL const float* part, i64 part_off, GLOBAL float* out, i64 out_off, i64 n, i64 slices)
{
    FOR_EACH(i, n)
    {
        float s = 0.0f;
        for (i64 k = 0; k < slices; k++) s += part[part_off + k * n + i];
        out[out_off + i] = s;
    }
}

// ---- Direct convolution loops, for few channels per group on the GEMM's M side (depthwise and the like), where a
// 64-row tile would be mostly empty. Same summation order as the implicit GEMMs: channel, then kernel row, then column. ----

// y[n, o, oh, ow], one thread per output (epilogue as conv2d_fwd_f32).
KERNEL void conv2d_fwd_direct_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* w, Strided wv,
                                  GLOBAL const float* bias, Strided biasv, i32 has_bias, GLOBAL const float* r, i64 r_off, i32 has_res,
                                  i32 act, float ea, float eb, GLOBAL float* y, i64 y_off,
                                  i32 N, i32 C, i32 O, i32 G, i32 H, i32 W, i32 KH, i32 KW, i32 OH, i32 OW,
                                  i32 SH, i32 SW, i32 PT, i32 PL, i32 DH, i32 DW)
{
    int cg = C / G, og = O / G;
    i64 P = (i64)OH * OW;
    FOR_EACH(i, (i64)N * O * P)
    {
        i64 no = i / P, n = no / O;
        int p = (int)(i - no * P), o = (int)(no - n * O), oh = p / OW, ow = p - oh * OW;
        int hs = oh * SH - PT, ws = ow * SW - PL;
        i64 xb = xv.offset + n * xv.stride[0] + (i64)(o / og) * cg * xv.stride[1], wb = wv.offset + o * wv.stride[0];
        float acc = 0.0f;
        for (int c = 0; c < cg; c++)
            for (int kh = 0; kh < KH; kh++)
            {
                int ih = hs + kh * DH;
                if (ih < 0 || ih >= H) continue;
                for (int kw = 0; kw < KW; kw++)
                {
                    int iw = ws + kw * DW;
                    if (iw < 0 || iw >= W) continue;
                    acc += w[wb + c * wv.stride[1] + kh * wv.stride[2] + kw * wv.stride[3]]
                         * x[xb + c * xv.stride[1] + ih * xv.stride[2] + iw * xv.stride[3]];
                }
            }
        y[y_off + i] = conv_out(acc + (has_bias ? bias[biasv.offset + o * biasv.stride[0]] : 0.0f), r, r_off, i, has_res, act, ea, eb);
    }
}

// dx[n, c, h, w], one thread per input element gathering the outputs it fed.
KERNEL void conv2d_bwd_data_direct_f32(GLOBAL const float* dy, Strided dyv, GLOBAL const float* w, Strided wv,
                                       GLOBAL float* dx, i64 dx_off,
                                       i32 N, i32 C, i32 O, i32 G, i32 H, i32 W, i32 KH, i32 KW, i32 OH, i32 OW,
                                       i32 SH, i32 SW, i32 PT, i32 PL, i32 DH, i32 DW)
{
    int cg = C / G, og = O / G;
    i64 HW = (i64)H * W;
    FOR_EACH(i, (i64)N * C * HW)
    {
        i64 nc = i / HW, n = nc / C;
        int e = (int)(i - nc * HW), c = (int)(nc - n * C), h = e / W, wc = e - h * W, grp = c / cg;
        i64 db = dyv.offset + n * dyv.stride[0];
        float acc = 0.0f;
        for (int o = grp * og; o < grp * og + og; o++)
            for (int kh = 0; kh < KH; kh++)
            {
                int th = h + PT - kh * DH;
                if (th < 0) break;
                int oh = th / SH;
                if (oh * SH != th || oh >= OH) continue;
                for (int kw = 0; kw < KW; kw++)
                {
                    int tw = wc + PL - kw * DW;
                    if (tw < 0) break;
                    int ow = tw / SW;
                    if (ow * SW != tw || ow >= OW) continue;
                    acc += w[wv.offset + o * wv.stride[0] + (c - grp * cg) * wv.stride[1] + kh * wv.stride[2] + kw * wv.stride[3]]
                         * dy[db + o * dyv.stride[1] + oh * dyv.stride[2] + ow * dyv.stride[3]];
                }
            }
        dx[dx_off + i] = acc;
    }
}

// dw[o, c, kh, kw], one block per weight: a fixed-order block reduction over N * OH * OW.
KERNEL void conv2d_bwd_weight_direct_f32(GLOBAL const float* x, Strided xv, GLOBAL const float* dy, Strided dyv,
                                         GLOBAL float* dw, i64 dw_off,
                                         i32 N, i32 C, i32 O, i32 G, i32 H, i32 W, i32 KH, i32 KW, i32 OH, i32 OW,
                                         i32 SH, i32 SW, i32 PT, i32 PL, i32 DH, i32 DW)
{
    LOCAL_ARRAY(float, s, BLOCK);
    int cg = C / G, og = O / G, kk = KH * KW;
    i64 e = BID_X, P = (i64)OH * OW;
    int o = (int)(e / ((i64)cg * kk)), r = (int)(e - (i64)o * cg * kk), c = r / kk, kh = (r - c * kk) / KW, kw = r - c * kk - kh * KW;
    i64 xc = xv.offset + (i64)(o / og * cg + c) * xv.stride[1], dc = dyv.offset + (i64)o * dyv.stride[1];
    float acc = 0.0f;
    for (i64 k = TID; k < (i64)N * P; k += BDIM)
    {
        i64 n = k / P;
        int p = (int)(k - n * P), oh = p / OW, ow = p - oh * OW;
        int ih = oh * SH - PT + kh * DH, iw = ow * SW - PL + kw * DW;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        acc += dy[dc + n * dyv.stride[0] + oh * dyv.stride[2] + ow * dyv.stride[3]]
             * x[xc + n * xv.stride[0] + ih * xv.stride[2] + iw * xv.stride[3]];
    }
    float sum = block_sum(acc, s);
    if (TID == 0) dw[dw_off + e] = sum;
}
