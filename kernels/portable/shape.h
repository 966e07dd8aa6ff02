// Shape ops that move data: gather (+ index check, + scatter-add backward), pad (+ per-axis backward) and the sum over
// broadcast dimensions that is the gradient of expand. Concat is strided copies (core.h). Data that is only moved goes
// through kernels by element width (b8/b16/b32/b64), so every dtype is served; the backward kernels are float32.

// ---- Gather: output [outer, k, inner] from data [outer, n, inner] (any layout, read through its view) ----

// Sets *bad to 1 when an index lies outside [-n, n); the launcher reads it back and names the first such index.
#define GATHER_CHECK_KERNEL(name, I) \
KERNEL void gather_check_##name(GLOBAL const I* idx, Strided iv, GLOBAL i64* bad, i64 bad_off, i64 n, i64 k) \
{ \
    FOR_EACH(j, k) \
    { \
        i64 v = (i64)idx[strided_at(iv, j)]; \
        if (v < -n || v >= n) bad[bad_off] = 1; \
    } \
}
GATHER_CHECK_KERNEL(i32, i32)
GATHER_CHECK_KERNEL(i64, i64)

// Position along the axis of output position i (row-major over [outer, k, inner]) in data, negative indices wrapped.
// An index still outside [0, n) (the launcher's check reports it, at once or deferred) reads 0 and scatters nothing.
#define GATHER_SOURCE(I) \
    i64 r = i % inner, q = i / inner, j = q % k, o = q / k; \
    i64 t = (i64)idx[strided_at(iv, j)]; \
    if (t < 0) t += n;

#define GATHER_KERNEL(bits, T, name, I) \
KERNEL void gather_fwd_##bits##_##name(GLOBAL const T* x, Strided xv, GLOBAL const I* idx, Strided iv, \
                                       GLOBAL T* y, i64 y_off, i64 n, i64 k, i64 inner, i64 total) \
{ \
    FOR_EACH(i, total) \
    { \
        GATHER_SOURCE(I) \
        y[y_off + i] = t >= 0 && t < n ? x[strided_at(xv, (o * n + t) * inner + r)] : (T)0; \
    } \
}
#define GATHER_KERNELS(name, I) \
GATHER_KERNEL(b8, u8, name, I) GATHER_KERNEL(b16, u16, name, I) GATHER_KERNEL(b32, u32, name, I) GATHER_KERNEL(b64, u64, name, I)
GATHER_KERNELS(i32, i32)
GATHER_KERNELS(i64, i64)

// dx (zeroed by the launcher, dense) += dy scattered back by the indices. Repeated indices meet in float atomics.
#define GATHER_BWD_KERNEL(name, I) \
KERNEL void gather_bwd_f32_##name(GLOBAL const float* dy, Strided dyv, GLOBAL const I* idx, Strided iv, \
                                  GLOBAL float* dx, i64 dx_off, i64 n, i64 k, i64 inner, i64 total) \
{ \
    FOR_EACH(i, total) \
    { \
        GATHER_SOURCE(I) \
        if (t >= 0 && t < n) atomic_add_f32(dx + dx_off + (o * n + t) * inner + r, dy[strided_at(dyv, i)]); \
    } \
}
GATHER_BWD_KERNEL(i32, i32)
GATHER_BWD_KERNEL(i64, i64)

// ---- Pad (ONNX: begins b, ends e per axis; negative pads crop first, reflect/edge then work on what is left) ----

#define PAD_CONSTANT 0
#define PAD_REFLECT 1
#define PAD_EDGE 2

// Source position along an axis of length n for output position o (or -1: the constant). Reflect repeats with period
// 2(len - 1) over the cropped range of length len.
DEVICE_FN i64 pad_source(i64 o, i64 n, i64 b, i64 e, int mode)
{
    i64 lo = b < 0 ? -b : 0, hi = n - (e < 0 ? -e : 0), len = hi > lo ? hi - lo : 0;
    i64 t = o - (b > 0 ? b : 0);
    if (t >= 0 && t < len) return lo + t;
    if (mode == PAD_CONSTANT || len == 0) return -1;
    if (mode == PAD_EDGE) return t < 0 ? lo : lo + len - 1;
    if (len == 1) return lo;
    i64 period = 2 * (len - 1), u = ((t % period) + period) % period;
    return lo + (u >= len ? period - u : u);
}

// y (dense, shape yv.shape) = x padded; b0..b7 are the begin pads of each axis (ends follow from the shapes).
#define PAD_KERNEL(bits, T) \
KERNEL void pad_fwd_##bits(GLOBAL const T* x, Strided xv, GLOBAL T* y, Strided yv, GLOBAL const T* value, i64 value_off, \
                           i32 mode, i64 b0, i64 b1, i64 b2, i64 b3, i64 b4, i64 b5, i64 b6, i64 b7, i64 total) \
{ \
    i64 begin[MAX_RANK]; \
    begin[0] = b0; begin[1] = b1; begin[2] = b2; begin[3] = b3; begin[4] = b4; begin[5] = b5; begin[6] = b6; begin[7] = b7; \
    FOR_EACH(i, total) \
    { \
        i64 rem = i, src = xv.offset; \
        int inside = 1; \
        for (int d = xv.rank - 1; d >= 0; d--) \
        { \
            i64 nOut = yv.shape[d], o = rem % nOut; \
            rem /= nOut; \
            i64 s = pad_source(o, xv.shape[d], begin[d], nOut - xv.shape[d] - begin[d], mode); \
            if (s < 0) { inside = 0; break; } \
            src += s * xv.stride[d]; \
        } \
        y[yv.offset + i] = inside ? x[src] : value[value_off]; \
    } \
}
PAD_KERNEL(b8, u8)
PAD_KERNEL(b16, u16)
PAD_KERNEL(b32, u32)
PAD_KERNEL(b64, u64)

// Sum of src [outer, nOut, inner] at (o, begin + t, r) for t = first, first + step, ... below to; base = o*nOut + begin.
DEVICE_FN float pad_sum(GLOBAL const float* src, Strided sv, i64 base, i64 inner, i64 r, i64 first, i64 to, i64 step)
{
    float acc = 0.0f;
    for (i64 t = first; t < to; t += step) acc += src[strided_at(sv, (base + t) * inner + r)];
    return acc;
}

// First t >= from with t = c (mod period).
DEVICE_FN i64 pad_first(i64 from, i64 c, i64 period) { return from + (((c - from) % period) + period) % period; }

// The gradient of padding one axis: dst [outer, n, inner] (dense) from src [outer, nOut, inner] (any view), each
// element summing the output positions that read it (closed form per mode, no search). The launcher applies it axis
// by axis: padding is a product of per-axis maps.
KERNEL void pad_bwd_f32(GLOBAL const float* src, Strided sv, GLOBAL float* dst, i64 dst_off,
                        i64 n, i64 nOut, i64 inner, i64 b, i64 e, i32 mode, i64 total)
{
    FOR_EACH(i, total)
    {
        i64 r = i % inner, q = i / inner, s = q % n, o = q / n;
        i64 lo = b < 0 ? -b : 0, hi = n - (e < 0 ? -e : 0), len = hi > lo ? hi - lo : 0, begin = b > 0 ? b : 0;
        i64 from = -begin, to = nOut - begin, base = o * nOut + begin;   // output positions t relative to the middle
        float acc = 0.0f;
        if (s >= lo && s < hi)
        {
            i64 u = s - lo;
            if (mode == PAD_CONSTANT) acc = pad_sum(src, sv, base, inner, r, u, u + 1, 1);
            else if (mode == PAD_EDGE) acc = pad_sum(src, sv, base, inner, r, u == 0 ? from : u, u == len - 1 ? to : u + 1, 1);
            else if (len == 1) acc = pad_sum(src, sv, base, inner, r, from, to, 1);
            else
            {
                i64 period = 2 * (len - 1);
                acc = pad_sum(src, sv, base, inner, r, pad_first(from, u, period), to, period);
                if (u > 0 && u < len - 1) acc += pad_sum(src, sv, base, inner, r, pad_first(from, period - u, period), to, period);
            }
        }
        dst[dst_off + i] = acc;
    }
}

// ---- Expand backward: x[q] = sum over j of y at row-major position q*terms + j of a view whose leading dimensions are
// the kept ones (x's) and trailing ones the reduced ones ----

KERNEL void expand_bwd_f32(GLOBAL const float* y, Strided yv, GLOBAL float* x, i64 x_off, i64 rows, i64 terms)
{
    FOR_EACH(q, rows)
    {
        float acc = 0.0f;
        for (i64 j = 0; j < terms; j++) acc += y[strided_at(yv, q * terms + j)];
        x[x_off + q] = acc;
    }
}

// One block per x element, for long sums: strided partial sums, then the block's tree (deterministic).
KERNEL void expand_bwdrows_f32(GLOBAL const float* y, Strided yv, GLOBAL float* x, i64 x_off, i64 terms)
{
    LOCAL_ARRAY(float, s, BLOCK);
    i64 q = BID_X;
    float acc = 0.0f;
    for (i64 j = TID; j < terms; j += BDIM) acc += y[strided_at(yv, q * terms + j)];
    acc = block_sum(acc, s);
    if (TID == 0) x[x_off + q] = acc;
}
