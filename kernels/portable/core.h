// Data movement: strided copy by element width, fill by bit pattern, casts between every pair of dtypes.

#define COPY_KERNEL(bits, T) \
KERNEL void copy_strided_##bits(GLOBAL const T* src, Strided sv, GLOBAL T* dst, Strided dv, i64 n) \
{ FOR_EACH(i, n) dst[strided_at(dv, i)] = src[strided_at(sv, i)]; }
COPY_KERNEL(b8, u8)
COPY_KERNEL(b16, u16)
COPY_KERNEL(b32, u32)
COPY_KERNEL(b64, u64)

#define FILL_KERNEL(bits, T) \
KERNEL void fill_strided_##bits(GLOBAL T* dst, Strided dv, i64 value, i64 n) \
{ FOR_EACH(i, n) dst[strided_at(dv, i)] = (T)value; }
FILL_KERNEL(b8, u8)
FILL_KERNEL(b16, u16)
FILL_KERNEL(b32, u32)
FILL_KERNEL(b64, u64)

// Loads widen to double (exact for every source but i64 beyond 2^53, which goes through the i64 path below);
// stores narrow with the catalog's rules: float -> int truncates toward zero, anything -> bool is (x != 0).
DEVICE_FN double load_f32(GLOBAL const float* p, i64 i) { return (double)p[i]; }
DEVICE_FN double load_f64(GLOBAL const double* p, i64 i) { return p[i]; }
DEVICE_FN double load_f16(GLOBAL const u16* p, i64 i) { return (double)half_to_f32(p[i]); }
DEVICE_FN double load_bf16(GLOBAL const u16* p, i64 i) { return (double)bf16_to_f32(p[i]); }
DEVICE_FN double load_i32(GLOBAL const i32* p, i64 i) { return (double)p[i]; }
DEVICE_FN double load_i64(GLOBAL const i64* p, i64 i) { return (double)p[i]; }
DEVICE_FN double load_u8(GLOBAL const u8* p, i64 i) { return (double)p[i]; }
DEVICE_FN double load_b8(GLOBAL const u8* p, i64 i) { return p[i] != 0 ? 1.0 : 0.0; }

DEVICE_FN void store_f32(GLOBAL float* p, i64 i, double v) { p[i] = (float)v; }
DEVICE_FN void store_f64(GLOBAL double* p, i64 i, double v) { p[i] = v; }
DEVICE_FN void store_f16(GLOBAL u16* p, i64 i, double v) { p[i] = f32_to_half((float)v); }
DEVICE_FN void store_bf16(GLOBAL u16* p, i64 i, double v) { p[i] = f32_to_bf16((float)v); }
DEVICE_FN void store_i32(GLOBAL i32* p, i64 i, double v) { p[i] = v != v ? 0 : (i32)v; }
DEVICE_FN void store_i64(GLOBAL i64* p, i64 i, double v) { p[i] = v != v ? 0 : (i64)v; }
DEVICE_FN void store_u8(GLOBAL u8* p, i64 i, double v) { p[i] = v != v ? (u8)0 : (u8)(i64)v; }
DEVICE_FN void store_b8(GLOBAL u8* p, i64 i, double v) { p[i] = v != 0.0 ? (u8)1 : (u8)0; }

#define CAST_KERNEL(a, TA, b, TB) \
KERNEL void cast_##a##_##b(GLOBAL const TA* src, Strided sv, GLOBAL TB* dst, Strided dv, i64 n) \
{ FOR_EACH(i, n) store_##b(dst, strided_at(dv, i), load_##a(src, strided_at(sv, i))); }
#define CAST_FROM(a, TA) \
CAST_KERNEL(a, TA, f32, float) CAST_KERNEL(a, TA, f64, double) CAST_KERNEL(a, TA, f16, u16) CAST_KERNEL(a, TA, bf16, u16) \
CAST_KERNEL(a, TA, i32, i32) CAST_KERNEL(a, TA, u8, u8) CAST_KERNEL(a, TA, b8, u8)
CAST_FROM(f32, float)
CAST_FROM(f64, double)
CAST_FROM(f16, u16)
CAST_FROM(bf16, u16)
CAST_FROM(i32, i32)
CAST_FROM(u8, u8)
CAST_FROM(b8, u8)

// Casts to i64 and from i64 to i64/i32 stay in integers so large values survive.
#define CAST_TO_I64(a, TA) \
KERNEL void cast_##a##_i64(GLOBAL const TA* src, Strided sv, GLOBAL i64* dst, Strided dv, i64 n) \
{ FOR_EACH(i, n) { double v = load_##a(src, strided_at(sv, i)); dst[strided_at(dv, i)] = v != v ? 0 : (i64)v; } }
CAST_TO_I64(f32, float)
CAST_TO_I64(f64, double)
CAST_TO_I64(f16, u16)
CAST_TO_I64(bf16, u16)
CAST_TO_I64(u8, u8)
CAST_TO_I64(b8, u8)
KERNEL void cast_i32_i64(GLOBAL const i32* src, Strided sv, GLOBAL i64* dst, Strided dv, i64 n)
{ FOR_EACH(i, n) dst[strided_at(dv, i)] = (i64)src[strided_at(sv, i)]; }
KERNEL void cast_i64_i64(GLOBAL const i64* src, Strided sv, GLOBAL i64* dst, Strided dv, i64 n)
{ FOR_EACH(i, n) dst[strided_at(dv, i)] = src[strided_at(sv, i)]; }
KERNEL void cast_i64_i32(GLOBAL const i64* src, Strided sv, GLOBAL i32* dst, Strided dv, i64 n)
{ FOR_EACH(i, n) dst[strided_at(dv, i)] = (i32)src[strided_at(sv, i)]; }
KERNEL void cast_i64_u8(GLOBAL const i64* src, Strided sv, GLOBAL u8* dst, Strided dv, i64 n)
{ FOR_EACH(i, n) dst[strided_at(dv, i)] = (u8)src[strided_at(sv, i)]; }
KERNEL void cast_i64_b8(GLOBAL const i64* src, Strided sv, GLOBAL u8* dst, Strided dv, i64 n)
{ FOR_EACH(i, n) dst[strided_at(dv, i)] = src[strided_at(sv, i)] != 0 ? (u8)1 : (u8)0; }
#define CAST_FROM_I64(b, TB) \
KERNEL void cast_i64_##b(GLOBAL const i64* src, Strided sv, GLOBAL TB* dst, Strided dv, i64 n) \
{ FOR_EACH(i, n) store_##b(dst, strided_at(dv, i), (double)src[strided_at(sv, i)]); }
CAST_FROM_I64(f32, float)
CAST_FROM_I64(f64, double)
CAST_FROM_I64(f16, u16)
CAST_FROM_I64(bf16, u16)

// Deferred index checks: every index of idx outside [lo, hi) (ignore excepted) records (code, value, element, hi) in
// fault[0..3]; one offender wins when several race, and an earlier fault is kept. The host reads fault at its next read
// of the device and throws there (Tessera.Gpu.GpuKernels.DeferIndexChecks).
#define INDEX_FAULT_KERNEL(name, I) \
KERNEL void index_fault_##name(GLOBAL const I* idx, Strided iv, i64 k, i64 lo, i64 hi, i64 ignore, \
                               GLOBAL i64* fault, i64 fault_off, i64 code) \
{ \
    FOR_EACH(j, k) \
    { \
        i64 v = (i64)idx[strided_at(iv, j)]; \
        if (v != ignore && (v < lo || v >= hi) && fault[fault_off] == 0) \
        { \
            fault[fault_off + 1] = v; fault[fault_off + 2] = j; fault[fault_off + 3] = hi; fault[fault_off] = code; \
        } \
    } \
}
INDEX_FAULT_KERNEL(i32, i32)
INDEX_FAULT_KERNEL(i64, i64)
