// Element-wise ops: unary (+ gradient), binary with broadcasting (+ per-side gradient term), comparisons, select and
// logical not. One kernel per pass and dtype; the op arrives as a runtime code, switched per element (uniform across
// the grid, so every thread takes the same branch). Inputs are read through Strided views (any layout, broadcast
// dimensions with stride 0); outputs are dense from an offset. The math follows the CPU math functors
// (src/Tessera.Cpu/Simd/*Math.cs) case for case.

// Op codes: the values of Tessera.Kernels.BinaryOp and CompareOp (declaration order). Keep in step. UnaryOp's codes and
// unary_apply are in common.h (the fused epilogues of linalg.h apply them too).
#define B_ADD 0
#define B_SUB 1
#define B_MUL 2
#define B_DIV 3
#define B_POW 4
#define B_MAX 5
#define B_MIN 6
#define B_PRELU 7

#define C_EQUAL 0
#define C_LESS 1
#define C_LESS_OR_EQUAL 2
#define C_GREATER 3
#define C_GREATER_OR_EQUAL 4

// dx = dy * f'(.), where u is the forward output y for Exp, Sqrt, Reciprocal, Sigmoid and Tanh
// (ShapeRules.UnaryGradientUsesOutput) and the input x otherwise.
DEVICE_FN float unary_grad(int op, float u, float g, float alpha, float beta)
{
    switch (op)
    {
        case U_IDENTITY: return g;
        case U_NEG: return -g;
        case U_ABS: return u > 0.0f ? g : (u < 0.0f ? -g : 0.0f);   // 0 at 0
        case U_EXP: return u * g;
        case U_LOG: return g / u;
        case U_SQRT: return 0.5f * g / u;
        case U_RECIPROCAL: return -g * u * u;
        case U_RELU: return u > 0.0f ? g : 0.0f;                      // 0 at 0
        case U_LEAKY_RELU: return u > 0.0f ? g : alpha * g;
        case U_SIGMOID: return g * u * (1.0f - u);
        case U_HARD_SIGMOID: { float t = alpha * u + beta; return (t > 0.0f && t < 1.0f) ? alpha * g : 0.0f; }
        case U_TANH: return g * (1.0f - u * u);
        case U_ERF: return g * TWO_OVER_SQRT_PI * expf(-u * u);
        case U_GELU_ERF: return g * (0.5f * (1.0f + erff(u * INV_SQRT2)) + u * INV_SQRT_2PI * expf(-0.5f * u * u));
        case U_GELU_TANH:
        {
            float t = gelu_tanh_inner(u);
            return g * (0.5f * (1.0f + t) + 0.5f * u * (1.0f - t * t) * GELU_K * (1.0f + 3.0f * GELU_C * u * u));
        }
        case U_POW_SCALAR: return alpha == 0.0f ? 0.0f : g * alpha * powf(u, alpha - 1.0f);
        case U_CLAMP: return (u >= alpha && u <= beta) ? g : 0.0f;
        case U_AFFINE: return alpha * g;
        case U_SILU: { float sg = 1.0f / (1.0f + expf(-u)); return g * sg * (1.0f + u * (1.0f - sg)); }
        case U_HARD_SWISH: return u < -3.0f ? 0.0f : (u > 3.0f ? g : g * (u * (1.0f / 3.0f) + 0.5f));
        default: return F32_NAN;
    }
}

DEVICE_FN float binary_apply(int op, float a, float b)
{
    switch (op)
    {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b;
        case B_POW: return powf(a, b);
        case B_MAX: return max_nan(a, b);
        case B_MIN: return min_nan(a, b);
        case B_PRELU: return a >= 0.0f ? a : b * a;
        default: return F32_NAN;
    }
}

// The gradient term of c = a op b for one side (side 0: dc/da, side 1: dc/db) times dc, at one element of the
// broadcast shape. Max/Min ties go to a; Pow follows PyTorch (d/da is 0 where b = 0, d/db is 0 where a = 0, b >= 0).
DEVICE_FN float binary_grad(int op, int side, float a, float b, float dc)
{
    switch (op)
    {
        case B_ADD: return dc;
        case B_SUB: return side == 0 ? dc : -dc;
        case B_MUL: return side == 0 ? dc * b : dc * a;
        case B_DIV: return side == 0 ? dc / b : -dc * a / (b * b);
        case B_POW:
            if (side == 0) return b == 0.0f ? 0.0f : dc * b * powf(a, b - 1.0f);
            return (a == 0.0f && b >= 0.0f) ? 0.0f : dc * powf(a, b) * logf(a);
        case B_MAX: return (a >= b) == (side == 0) ? dc : 0.0f;
        case B_MIN: return (a <= b) == (side == 0) ? dc : 0.0f;
        case B_PRELU:
            if (side == 0) return a >= 0.0f ? dc : b * dc;
            return a >= 0.0f ? 0.0f : a * dc;
        default: return F32_NAN;
    }
}

// y[i] = act(y[i] + r[i]) (r only when has_res): the fused epilogue of a convolution or product that a vendor
// library computed (Tessera.Kernels.Epilogue).
KERNEL void epilogue_f32(GLOBAL float* y, i64 y_off, GLOBAL const float* r, i64 r_off, i32 has_res,
                         i32 act, float ea, float eb, i64 n)
{
    FOR_EACH(i, n)
    {
        float v = y[y_off + i];
        if (has_res) v += r[r_off + i];
        y[y_off + i] = unary_apply(act, v, ea, eb);
    }
}

KERNEL void unary_fwd_f32(GLOBAL const float* x, Strided xv, GLOBAL float* y, i64 y_off,
                          i32 op, float alpha, float beta, i64 n)
{
    FOR_EACH(i, n) y[y_off + i] = unary_apply(op, x[strided_at(xv, i)], alpha, beta);
}

KERNEL void unary_bwd_f32(GLOBAL const float* u, Strided uv, GLOBAL const float* dy, Strided dyv,
                          GLOBAL float* dx, i64 dx_off, i32 op, float alpha, float beta, i64 n)
{
    FOR_EACH(i, n) dx[dx_off + i] = unary_grad(op, u[strided_at(uv, i)], dy[strided_at(dyv, i)], alpha, beta);
}

KERNEL void binary_fwd_f32(GLOBAL const float* a, Strided av, GLOBAL const float* b, Strided bv,
                           GLOBAL float* c, i64 c_off, i32 op, i64 n)
{
    FOR_EACH(i, n) c[c_off + i] = binary_apply(op, a[strided_at(av, i)], b[strided_at(bv, i)]);
}

// g = the gradient term of one side at the broadcast shape (summed down to the input's shape by the launcher).
KERNEL void binary_bwd_f32(GLOBAL const float* a, Strided av, GLOBAL const float* b, Strided bv,
                           GLOBAL const float* dc, Strided dcv, GLOBAL float* g, i64 g_off, i32 op, i32 side, i64 n)
{
    FOR_EACH(i, n) g[g_off + i] = binary_grad(op, side, a[strided_at(av, i)], b[strided_at(bv, i)], dc[strided_at(dcv, i)]);
}

// Comparisons -> Bool (1/0). Ordered: every comparison with a NaN is false.
#define COMPARE_KERNEL(name, T) \
KERNEL void compare_fwd_##name(GLOBAL const T* a, Strided av, GLOBAL const T* b, Strided bv, \
                               GLOBAL u8* c, i64 c_off, i32 op, i64 n) \
{ \
    FOR_EACH(i, n) \
    { \
        T x = a[strided_at(av, i)], z = b[strided_at(bv, i)]; \
        int r; \
        switch (op) \
        { \
            case C_EQUAL: r = x == z; break; \
            case C_LESS: r = x < z; break; \
            case C_LESS_OR_EQUAL: r = x <= z; break; \
            case C_GREATER: r = x > z; break; \
            case C_GREATER_OR_EQUAL: r = x >= z; break; \
            default: r = 0; break; \
        } \
        c[c_off + i] = r ? (u8)1 : (u8)0; \
    } \
}
COMPARE_KERNEL(f32, float)
COMPARE_KERNEL(i32, i32)
COMPARE_KERNEL(i64, i64)
COMPARE_KERNEL(u8, u8)

// c = cond ? a : b by element width (b32: Float32 and Int32; b64: Int64; b8: Bool).
#define WHERE_KERNEL(bits, T) \
KERNEL void where_fwd_##bits(GLOBAL const u8* cond, Strided cv, GLOBAL const T* a, Strided av, \
                             GLOBAL const T* b, Strided bv, GLOBAL T* c, i64 c_off, i64 n) \
{ FOR_EACH(i, n) c[c_off + i] = cond[strided_at(cv, i)] != 0 ? a[strided_at(av, i)] : b[strided_at(bv, i)]; }
WHERE_KERNEL(b8, u8)
WHERE_KERNEL(b32, u32)
WHERE_KERNEL(b64, u64)

KERNEL void logicalnot_fwd_b8(GLOBAL const u8* x, Strided xv, GLOBAL u8* y, i64 y_off, i64 n)
{
    FOR_EACH(i, n) y[y_off + i] = x[strided_at(xv, i)] == 0 ? (u8)1 : (u8)0;
}
