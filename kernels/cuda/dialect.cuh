// Tessera kernel dialect, CUDA side (compiled with NVRTC; no system headers are available there).
// The portable kernels in ../portable/*.h are written against these macros; ../opencl/dialect.clh maps the same names
// to OpenCL C 1.2. A program for one family is: this file + ../portable/common.h + ../portable/<family>.h.
#define TESSERA_CUDA 1

typedef long long i64;
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef int i32;

#define KERNEL extern "C" __global__
#define GLOBAL
#define LOCAL_PTR
#define DEVICE_FN static __device__ __forceinline__
#define LOCAL_ARRAY(type, name, count) __shared__ type name[count]
#define BARRIER() __syncthreads()

#define TID ((int)threadIdx.x)
#define BDIM ((int)blockDim.x)
#define BID_X ((i64)blockIdx.x)
#define BID_Y ((i64)blockIdx.y)
#define BID_Z ((i64)blockIdx.z)
#define GDIM_X ((i64)gridDim.x)
#define GDIM_Y ((i64)gridDim.y)

#define F32_INF __int_as_float(0x7f800000)
#define F32_NAN __int_as_float(0x7fc00000)
#define AS_F32(u) __uint_as_float(u)
#define AS_U32(f) __float_as_uint(f)
#define AS_F64(u) __longlong_as_double((long long)(u))
#define AS_U64(d) ((u64)__double_as_longlong(d))

DEVICE_FN void atomic_add_f32(GLOBAL float* p, float v) { atomicAdd(p, v); }
