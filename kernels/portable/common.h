// Shared by every portable kernel family: strided views, grid-stride loops, block reductions, 16-bit float bits.
// Written in the Tessera kernel dialect (../cuda/dialect.cuh, ../opencl/dialect.clh).

#define MAX_RANK 8
// Launchers use this many threads per block for every kernel that reduces within a block (a power of two).
#define BLOCK 256

// A view over device memory: element (c0, ..., c{rank-1}) lives at offset + sum(c_d * stride[d]) elements from the base.
// Passed by value; the layout matches Tessera.Gpu.Strided (144 bytes).
typedef struct { i64 shape[MAX_RANK]; i64 stride[MAX_RANK]; i64 offset; i32 rank; i32 pad; } Strided;

// Element offset of the row-major linear index i in the view.
DEVICE_FN i64 strided_at(Strided d, i64 i)
{
    if (d.rank == 1) return d.offset + i * d.stride[0]; // dense tensors arrive flattened: no divisions
    i64 off = d.offset;
    for (int k = d.rank - 1; k >= 0; k--)
    {
        i64 n = d.shape[k];
        i64 c = i % n;
        i /= n;
        off += c * d.stride[k];
    }
    return off;
}

// One thread per element over [0, n), as many blocks as launched.
#define FOR_EACH(i, n) for (i64 i = BID_X * BDIM + TID; i < (n); i += GDIM_X * BDIM)

DEVICE_FN float block_sum(float v, LOCAL_PTR float* s)
{
    s[TID] = v;
    BARRIER();
    for (int w = BDIM / 2; w > 0; w >>= 1)
    {
        if (TID < w) s[TID] += s[TID + w];
        BARRIER();
    }
    float r = s[0];
    BARRIER();
    return r;
}

DEVICE_FN float block_max(float v, LOCAL_PTR float* s)
{
    s[TID] = v;
    BARRIER();
    for (int w = BDIM / 2; w > 0; w >>= 1)
    {
        if (TID < w) s[TID] = fmaxf(s[TID], s[TID + w]);
        BARRIER();
    }
    float r = s[0];
    BARRIER();
    return r;
}

// max/min as .NET's MathF.Max/Min (torch.maximum/minimum, the CPU's kernels): NaN if either input is NaN, +0 above -0.
DEVICE_FN float max_nan(float a, float b)
{
    if (a != a || b != b) return a + b;
    if (a == b) return (AS_U32(a) >> 31) ? b : a;
    return a > b ? a : b;
}

DEVICE_FN float min_nan(float a, float b)
{
    if (a != a || b != b) return a + b;
    if (a == b) return (AS_U32(a) >> 31) ? a : b;
    return a < b ? a : b;
}

DEVICE_FN float half_to_f32(u16 h)
{
    u32 sign = ((u32)h & 0x8000u) << 16, exp = ((u32)h >> 10) & 0x1fu, man = (u32)h & 0x3ffu;
    if (exp == 0x1fu) return AS_F32(sign | 0x7f800000u | (man << 13));
    if (exp != 0) return AS_F32(sign | ((exp + 112u) << 23) | (man << 13));
    if (man == 0) return AS_F32(sign);
    float f = (float)man * 5.9604644775390625e-8f; // subnormal: man * 2^-24
    return sign ? -f : f;
}

// Round to nearest even, overflow to infinity, NaN kept quiet.
DEVICE_FN u16 f32_to_half(float f)
{
    u32 x = AS_U32(f), sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (u16)(sign | 0x7e00u);
    if (ax >= 0x477ff000u) return (u16)(sign | 0x7c00u);   // rounds to >= 65520: infinity
    if (ax < 0x38800000u)                                    // below the smallest normal half
    {
        if (ax < 0x33000000u) return (u16)sign;              // below half the smallest subnormal
        u32 e = ax >> 23, m = (ax & 0x7fffffu) | 0x800000u, shift = 126u - e; // 14..24
        u32 r = m >> shift, rem = m & ((1u << shift) - 1u), halfway = 1u << (shift - 1u);
        if (rem > halfway || (rem == halfway && (r & 1u))) r++;
        return (u16)(sign | r);
    }
    u32 r = ax - 0x38000000u;                                // rebias 127 -> 15
    u32 rem = r & 0x1fffu;
    r >>= 13;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) r++;
    return (u16)(sign | r);
}

DEVICE_FN float bf16_to_f32(u16 h) { return AS_F32((u32)h << 16); }

DEVICE_FN u16 f32_to_bf16(float f)
{
    u32 x = AS_U32(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (u16)((x >> 16) | 0x40u);
    x += 0x7fffu + ((x >> 16) & 1u);
    return (u16)(x >> 16);
}

// ---- Unary functions: the element-wise kernels (elementwise.h) and the fused epilogues of the products (linalg.h).
// Op codes: the values of Tessera.Kernels.UnaryOp (declaration order). Keep in step. The math follows the CPU math
// functors (src/Tessera.Cpu/Simd/UnaryMath.cs) case for case.
#define U_IDENTITY 0
#define U_NEG 1
#define U_ABS 2
#define U_EXP 3
#define U_LOG 4
#define U_SQRT 5
#define U_RECIPROCAL 6
#define U_RELU 7
#define U_LEAKY_RELU 8
#define U_SIGMOID 9
#define U_HARD_SIGMOID 10
#define U_TANH 11
#define U_ERF 12
#define U_GELU_ERF 13
#define U_GELU_TANH 14
#define U_POW_SCALAR 15
#define U_CLAMP 16
#define U_AFFINE 17
#define U_SILU 18
#define U_HARD_SWISH 19

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f
#define TWO_OVER_SQRT_PI 1.12837916709551257f
#define GELU_K 0.79788456080286536f
#define GELU_C 0.044715f

DEVICE_FN float gelu_tanh_inner(float x) { return tanhf(GELU_K * (x + GELU_C * x * x * x)); }

// y = f(x); alpha/beta as UnaryParams.
DEVICE_FN float unary_apply(int op, float x, float alpha, float beta)
{
    switch (op)
    {
        case U_IDENTITY: return x;
        case U_NEG: return -x;
        case U_ABS: return fabsf(x);
        case U_EXP: return expf(x);
        case U_LOG: return logf(x);
        case U_SQRT: return sqrtf(x);
        case U_RECIPROCAL: return 1.0f / x;
        case U_RELU: return x < 0.0f ? 0.0f : x;                       // NaN stays NaN
        case U_LEAKY_RELU: return x >= 0.0f ? x : alpha * x;
        case U_SIGMOID: return 1.0f / (1.0f + expf(-x));
        case U_HARD_SIGMOID: return min_nan(max_nan(alpha * x + beta, 0.0f), 1.0f);
        case U_TANH: return tanhf(x);
        case U_ERF: return erff(x);
        case U_GELU_ERF: return 0.5f * x * (1.0f + erff(x * INV_SQRT2));
        case U_GELU_TANH: return 0.5f * x * (1.0f + gelu_tanh_inner(x));
        case U_POW_SCALAR: return alpha == 2.0f ? x * x : powf(x, alpha);
        case U_CLAMP: return min_nan(max_nan(x, alpha), beta);
        case U_AFFINE: return alpha * x + beta;
        case U_SILU: return x / (1.0f + expf(-x));
        case U_HARD_SWISH: return x * min_nan(max_nan(x * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
        default: return F32_NAN;
    }
}
