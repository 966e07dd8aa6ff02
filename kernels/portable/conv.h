// Pooling (max with PyTorch's argmax indices, average) and the convolution bias gradient on NCHW float32. Inputs are
// read through the four strides of their views; outputs are dense from their offset. Backward passes gather: each input
// element visits the windows that can cover it, in output order, so there are no atomics and sums are deterministic.
// The convolutions themselves run as implicit GEMMs in linalg.h.

// Element offset of plane `plane` = n * C + c of a 4-D view.
DEVICE_FN i64 plane_base(Strided v, i64 plane, i64 C)
{
    i64 n = plane / C;
    return v.offset + n * v.stride[0] + (plane - n * C) * v.stride[1];
}

// Outputs o in [lo, hi] whose window (start o * S - pad, taps at start + t * D for t in [0, span)) can reach input
// position i: o * S in [i + pad - (span - 1) * D, i + pad]. hi < lo when there is none.
DEVICE_FN void pool_cover(int i, int pad, int S, int D, int span, int outSize, int* lo, int* hi)
{
    int top = i + pad, bottom = top - (span - 1) * D;
    *lo = bottom <= 0 ? 0 : (bottom + S - 1) / S;
    int h = top / S;
    *hi = h < outSize - 1 ? h : outSize - 1;
}

// y = max over the window; idx (when has_idx) = h * W + w of the maximum within its plane. The first maximum wins; a NaN,
// even a later one, takes the place (PyTorch). Padding never wins (the window is clipped to the input).
KERNEL void maxpool2d_fwd_f32(GLOBAL const float* x, Strided xv, GLOBAL float* y, i64 y_off, GLOBAL i64* idx, i64 idx_off,
                              i32 has_idx, i32 C, i32 H, i32 W, i32 OH, i32 OW, i32 KH, i32 KW, i32 SH, i32 SW,
                              i32 PT, i32 PL, i32 DH, i32 DW, i64 total)
{
    FOR_EACH(i, total)
    {
        i64 plane = i / ((i64)OH * OW);
        int p = (int)(i - plane * OH * OW), oh = p / OW, ow = p - oh * OW;
        i64 base = plane_base(xv, plane, C);
        int hs = oh * SH - PT, ws = ow * SW - PL;
        float best = -F32_INF;
        i64 bi = -1;
        for (int kh = 0; kh < KH; kh++)
        {
            int ih = hs + kh * DH;
            if (ih < 0 || ih >= H) continue;
            for (int kw = 0; kw < KW; kw++)
            {
                int iw = ws + kw * DW;
                if (iw < 0 || iw >= W) continue;
                float v = x[base + ih * xv.stride[2] + iw * xv.stride[3]];
                if (bi < 0 || v > best || v != v) { best = v; bi = (i64)ih * W + iw; }
            }
        }
        y[y_off + i] = best;
        if (has_idx) idx[idx_off + i] = bi;
    }
}

// dx[h, w] = sum of dy over the windows that cover (h, w) and recorded it as their maximum (visited in output order).
KERNEL void maxpool2d_bwd_f32(GLOBAL const float* dy, Strided dyv, GLOBAL const i64* idx, Strided idxv,
                              GLOBAL float* dx, i64 dx_off, i32 C, i32 H, i32 W, i32 OH, i32 OW, i32 KH, i32 KW,
                              i32 SH, i32 SW, i32 PT, i32 PL, i32 DH, i32 DW, i64 total)
{
    FOR_EACH(i, total)
    {
        i64 plane = i / ((i64)H * W);
        int e = (int)(i - plane * H * W), h = e / W, w = e - h * W;
        i64 dbase = plane_base(dyv, plane, C), ibase = plane_base(idxv, plane, C);
        int oh0, oh1, ow0, ow1;
        pool_cover(h, PT, SH, DH, KH, OH, &oh0, &oh1);
        pool_cover(w, PL, SW, DW, KW, OW, &ow0, &ow1);
        float s = 0.0f;
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++)
                if (idx[ibase + oh * idxv.stride[2] + ow * idxv.stride[3]] == (i64)e)
                    s += dy[dbase + oh * dyv.stride[2] + ow * dyv.stride[3]];
        dx[dx_off + i] = s;
    }
}

// The input rows [h0, h1) and columns [w0, w1) of an average window and 1 / divisor: the window clipped to the padded
// input when padding counts, else the number of input elements it covers.
DEVICE_FN float avgpool_window(int oh, int ow, int H, int W, int KH, int KW, int SH, int SW, int PT, int PL, int PB, int PR,
                               int include_pad, int* h0, int* h1, int* w0, int* w1)
{
    int hs = oh * SH - PT, ws = ow * SW - PL;
    int he = hs + KH < H + PB ? hs + KH : H + PB, we = ws + KW < W + PR ? ws + KW : W + PR;
    int padded = (he - hs) * (we - ws);
    *h0 = hs > 0 ? hs : 0;
    *w0 = ws > 0 ? ws : 0;
    *h1 = he < H ? he : H;
    *w1 = we < W ? we : W;
    int dh = *h1 - *h0, dw = *w1 - *w0;
    int count = include_pad ? padded : (dh > 0 ? dh : 0) * (dw > 0 ? dw : 0);
    return count > 0 ? 1.0f / (float)count : 0.0f;
}

KERNEL void avgpool2d_fwd_f32(GLOBAL const float* x, Strided xv, GLOBAL float* y, i64 y_off,
                              i32 C, i32 H, i32 W, i32 OH, i32 OW, i32 KH, i32 KW, i32 SH, i32 SW,
                              i32 PT, i32 PL, i32 PB, i32 PR, i32 include_pad, i64 total)
{
    FOR_EACH(i, total)
    {
        i64 plane = i / ((i64)OH * OW);
        int p = (int)(i - plane * OH * OW), oh = p / OW, ow = p - oh * OW;
        i64 base = plane_base(xv, plane, C);
        int h0, h1, w0, w1;
        float scale = avgpool_window(oh, ow, H, W, KH, KW, SH, SW, PT, PL, PB, PR, include_pad, &h0, &h1, &w0, &w1);
        float s = 0.0f;
        for (int ih = h0; ih < h1; ih++)
            for (int iw = w0; iw < w1; iw++) s += x[base + ih * xv.stride[2] + iw * xv.stride[3]];
        y[y_off + i] = s * scale;
    }
}

// dx[h, w] = sum of dy * (1 / divisor) over the windows that cover (h, w), in output order.
KERNEL void avgpool2d_bwd_f32(GLOBAL const float* dy, Strided dyv, GLOBAL float* dx, i64 dx_off,
                              i32 C, i32 H, i32 W, i32 OH, i32 OW, i32 KH, i32 KW, i32 SH, i32 SW,
                              i32 PT, i32 PL, i32 PB, i32 PR, i32 include_pad, i64 total)
{
    FOR_EACH(i, total)
    {
        i64 plane = i / ((i64)H * W);
        int e = (int)(i - plane * H * W), h = e / W, w = e - h * W;
        i64 base = plane_base(dyv, plane, C);
        int oh0, oh1, ow0, ow1;
        pool_cover(h, PT, SH, 1, KH, OH, &oh0, &oh1);
        pool_cover(w, PL, SW, 1, KW, OW, &ow0, &ow1);
        float s = 0.0f;
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++)
            {
                int h0, h1, w0, w1;
                float scale = avgpool_window(oh, ow, H, W, KH, KW, SH, SW, PT, PL, PB, PR, include_pad, &h0, &h1, &w0, &w1);
                s += dy[base + oh * dyv.stride[2] + ow * dyv.stride[3]] * scale;
            }
        dx[dx_off + i] = s;
    }
}

// db[o] = sum of dy[n, o, :, :] over n: one block per channel, a fixed-order block reduction.
KERNEL void conv2d_bwd_bias_f32(GLOBAL const float* dy, Strided dyv, GLOBAL float* db, i64 db_off, i32 N, i32 OH, i32 OW)
{
    LOCAL_ARRAY(float, s, BLOCK);
    i64 o = BID_X, P = (i64)OH * OW, total = (i64)N * P;
    float acc = 0.0f;
    for (i64 k = TID; k < total; k += BDIM)
    {
        i64 n = k / P;
        int p = (int)(k - n * P), oh = p / OW, ow = p - oh * OW;
        acc += dy[dyv.offset + n * dyv.stride[0] + o * dyv.stride[1] + oh * dyv.stride[2] + ow * dyv.stride[3]];
    }
    float sum = block_sum(acc, s);
    if (TID == 0) db[db_off + o] = sum;
}
