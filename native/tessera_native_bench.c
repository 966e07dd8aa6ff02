/*
 * tessera_native_bench: vendor-library baselines for Tessera's CUDA backend, timed with CUDA events.
 *
 *   cuBLASLt GEMM  D = A*B for bf16, fp16 (fp32 accumulation, half output), fp32 and tf32 (fp32 data, TF32 compute)
 *   cuDNN conv     forward, backward data, backward filter on the 3x3 convolutions of ResNet-50 (NCHW fp32, FMA math,
 *                  and TF32 math), when cudnn.h is found at build time
 *
 * Every result is one JSON line on stdout; errors are JSON lines with "error". Build: see native/README.md.
 *
 * usage: tessera_native_bench [SIZE ...] [--iters=N] [--warmup=N] [--batch=N] [--skip-gemm] [--skip-conv]
 *   SIZE is M (a cube) or MxNxK; default 4096 8192. --batch is the ResNet-50 batch size (default 32).
 *
 * UNTESTED ON A GPU: written on a machine without one (the cuBLASLt part was compile-checked against CUDA 11.8 headers).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>
#include <cublasLt.h>

#if defined(__has_include)
#if __has_include(<cudnn.h>)
#include <cudnn.h>
#define TESSERA_HAVE_CUDNN 1
#endif
#endif
#ifndef TESSERA_HAVE_CUDNN
#define TESSERA_HAVE_CUDNN 0
#endif

static int g_iters = 20;
static int g_warmup = 3;

#define CUDA_OK(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) { \
    printf("{\"error\":\"%s\",\"call\":\"%s\",\"line\":%d}\n", cudaGetErrorString(e_), #call, __LINE__); return -1; } } while (0)
#define LT_OK(call) do { cublasStatus_t s_ = (call); if (s_ != CUBLAS_STATUS_SUCCESS) { \
    printf("{\"error\":\"cublasLt status %d\",\"call\":\"%s\",\"line\":%d}\n", (int)s_, #call, __LINE__); return -1; } } while (0)

/* ---- host data ---------------------------------------------------------------------------------------------------- */

static uint32_t g_seed = 12345u;
static float next_uniform(void)
{
    g_seed = g_seed * 1664525u + 1013904223u;
    return (float)((g_seed >> 8) & 0xFFFFFF) / 8388608.0f - 1.0f;   /* [-1, 1) */
}

static uint16_t f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    x += 0x7FFFu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

static uint16_t f32_to_f16(float f)
{
    /* Values are in [-1, 1): normal or zero halves; round to nearest. */
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t exp = (int32_t)((x >> 23) & 0xFF) - 127 + 15;
    uint32_t mant = x & 0x7FFFFFu;
    if (exp <= 0) return (uint16_t)sign;
    if (exp >= 31) return (uint16_t)(sign | 0x7C00u);
    uint32_t h = sign | ((uint32_t)exp << 10) | (mant >> 13);
    if (mant & 0x1000u) h++;
    return (uint16_t)h;
}

/* Allocates n elements of `bytes` each on the device, filled with uniform values in [-1, 1). kind: 0 f32, 1 bf16, 2 f16. */
static void* device_random(size_t n, int kind)
{
    size_t elem = kind == 0 ? 4 : 2;
    void* host = malloc(n * elem);
    void* dev = NULL;
    if (!host) return NULL;
    for (size_t i = 0; i < n; i++)
    {
        float v = next_uniform();
        if (kind == 0) ((float*)host)[i] = v;
        else if (kind == 1) ((uint16_t*)host)[i] = f32_to_bf16(v);
        else ((uint16_t*)host)[i] = f32_to_f16(v);
    }
    if (cudaMalloc(&dev, n * elem) != cudaSuccess) dev = NULL;
    else if (cudaMemcpy(dev, host, n * elem, cudaMemcpyHostToDevice) != cudaSuccess) { cudaFree(dev); dev = NULL; }
    free(host);
    return dev;
}

/* ---- cuBLASLt GEMM ------------------------------------------------------------------------------------------------ */

typedef struct { const char* name; cudaDataType_t ab; cudaDataType_t cd; cublasComputeType_t compute; int kind; } gemm_type;

static const gemm_type GEMM_TYPES[] = {
    { "bf16", CUDA_R_16BF, CUDA_R_16BF, CUBLAS_COMPUTE_32F, 1 },
    { "fp16", CUDA_R_16F, CUDA_R_16F, CUBLAS_COMPUTE_32F, 2 },
    { "fp32", CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F, 0 },
    { "tf32", CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32, 0 },
};

static int bench_gemm(cublasLtHandle_t lt, cudaStream_t stream, const gemm_type* t, int m, int n, int k)
{
    const size_t workspace_limit = 32u << 20;
    void *a = NULL, *b = NULL, *d = NULL, *ws = NULL;
    cublasLtMatmulDesc_t desc = NULL;
    cublasLtMatrixLayout_t la = NULL, lb = NULL, ld = NULL;
    cublasLtMatmulPreference_t pref = NULL;
    cublasLtMatmulHeuristicResult_t result;
    int found = 0, rc = -1;
    float alpha = 1.0f, beta = 0.0f, ms = 0.0f;
    cudaEvent_t start = NULL, stop = NULL;
    size_t out_elem = t->cd == CUDA_R_32F ? 4 : 2;

    a = device_random((size_t)m * k, t->kind);
    b = device_random((size_t)k * n, t->kind);
    if (!a || !b || cudaMalloc(&d, (size_t)m * n * out_elem) != cudaSuccess || cudaMalloc(&ws, workspace_limit) != cudaSuccess)
    {
        printf("{\"op\":\"gemm\",\"dtype\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,\"error\":\"device allocation failed\"}\n", t->name, m, n, k);
        goto done;
    }
    /* Column-major D[m,n] = A[m,k] * B[k,n], no transposes (a row-major caller would swap A and B: same cost). */
    if (cublasLtMatmulDescCreate(&desc, t->compute, CUDA_R_32F) != CUBLAS_STATUS_SUCCESS) goto lt_fail;
    if (cublasLtMatrixLayoutCreate(&la, t->ab, m, k, m) != CUBLAS_STATUS_SUCCESS) goto lt_fail;
    if (cublasLtMatrixLayoutCreate(&lb, t->ab, k, n, k) != CUBLAS_STATUS_SUCCESS) goto lt_fail;
    if (cublasLtMatrixLayoutCreate(&ld, t->cd, m, n, m) != CUBLAS_STATUS_SUCCESS) goto lt_fail;
    if (cublasLtMatmulPreferenceCreate(&pref) != CUBLAS_STATUS_SUCCESS) goto lt_fail;
    {
        uint64_t limit = workspace_limit;
        if (cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &limit, sizeof limit) != CUBLAS_STATUS_SUCCESS) goto lt_fail;
    }
    if (cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, ld, ld, pref, 1, &result, &found) != CUBLAS_STATUS_SUCCESS || found == 0)
    {
        printf("{\"op\":\"gemm\",\"dtype\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,\"error\":\"no cuBLASLt algorithm\"}\n", t->name, m, n, k);
        goto done;
    }
    if (cudaEventCreate(&start) != cudaSuccess || cudaEventCreate(&stop) != cudaSuccess) goto cuda_fail;
    for (int i = 0; i < g_warmup; i++)
        if (cublasLtMatmul(lt, desc, &alpha, a, la, b, lb, &beta, d, ld, d, ld, &result.algo, ws, result.workspaceSize, stream) != CUBLAS_STATUS_SUCCESS) goto lt_fail;
    if (cudaEventRecord(start, stream) != cudaSuccess) goto cuda_fail;
    for (int i = 0; i < g_iters; i++)
        if (cublasLtMatmul(lt, desc, &alpha, a, la, b, lb, &beta, d, ld, d, ld, &result.algo, ws, result.workspaceSize, stream) != CUBLAS_STATUS_SUCCESS) goto lt_fail;
    if (cudaEventRecord(stop, stream) != cudaSuccess || cudaEventSynchronize(stop) != cudaSuccess) goto cuda_fail;
    if (cudaEventElapsedTime(&ms, start, stop) != cudaSuccess) goto cuda_fail;
    ms /= (float)g_iters;
    printf("{\"op\":\"gemm\",\"lib\":\"cublasLt\",\"dtype\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,\"iters\":%d,\"ms\":%.5f,\"tflops\":%.3f,\"workspace\":%zu}\n",
        t->name, m, n, k, g_iters, ms, 2.0 * m * n * (double)k / (ms * 1e-3) / 1e12, result.workspaceSize);
    rc = 0;
    goto done;
lt_fail:
    printf("{\"op\":\"gemm\",\"dtype\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,\"error\":\"cuBLASLt call failed\"}\n", t->name, m, n, k);
    goto done;
cuda_fail:
    printf("{\"op\":\"gemm\",\"dtype\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,\"error\":\"%s\"}\n", t->name, m, n, k, cudaGetErrorString(cudaGetLastError()));
done:
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (la) cublasLtMatrixLayoutDestroy(la);
    if (lb) cublasLtMatrixLayoutDestroy(lb);
    if (ld) cublasLtMatrixLayoutDestroy(ld);
    if (desc) cublasLtMatmulDescDestroy(desc);
    cudaFree(a);
    cudaFree(b);
    cudaFree(d);
    cudaFree(ws);
    return rc;
}

/* ---- cuDNN convolution -------------------------------------------------------------------------------------------- */

#if TESSERA_HAVE_CUDNN
typedef struct { int c, k, hw; } conv_shape;

/* The 3x3, stride-1, pad-1 convolutions of ResNet-50's four stages. */
static const conv_shape RESNET50_3X3[] = { { 64, 64, 56 }, { 128, 128, 28 }, { 256, 256, 14 }, { 512, 512, 7 } };

#define DNN_OK(call) do { cudnnStatus_t s_ = (call); if (s_ != CUDNN_STATUS_SUCCESS) { \
    printf("{\"op\":\"conv2d\",\"error\":\"%s\",\"call\":\"%s\",\"line\":%d}\n", cudnnGetErrorString(s_), #call, __LINE__); goto out; } } while (0)

static int bench_conv(cudnnHandle_t dnn, cudaStream_t stream, int n, const conv_shape* s, int tf32)
{
    const size_t workspace_limit = 256u << 20;
    const char* passes[3] = { "conv2d_fwd", "conv2d_bwd_data", "conv2d_bwd_filter" };
    cudnnTensorDescriptor_t xd = NULL, yd = NULL;
    cudnnFilterDescriptor_t wd = NULL;
    cudnnConvolutionDescriptor_t cd = NULL;
    void *x = NULL, *w = NULL, *y = NULL, *ws = NULL;
    cudaEvent_t start = NULL, stop = NULL;
    int rc = -1;
    size_t xn = (size_t)n * s->c * s->hw * s->hw, wn = (size_t)s->k * s->c * 9, yn = (size_t)n * s->k * s->hw * s->hw;
    double flops = 2.0 * (double)yn * s->c * 9;
    cudnnMathType_t math = tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;

    x = device_random(xn, 0);
    w = device_random(wn, 0);
    y = device_random(yn, 0);
    if (!x || !w || !y || cudaMalloc(&ws, workspace_limit) != cudaSuccess)
    {
        printf("{\"op\":\"conv2d\",\"error\":\"device allocation failed\"}\n");
        goto out;
    }
    DNN_OK(cudnnCreateTensorDescriptor(&xd));
    DNN_OK(cudnnCreateTensorDescriptor(&yd));
    DNN_OK(cudnnCreateFilterDescriptor(&wd));
    DNN_OK(cudnnCreateConvolutionDescriptor(&cd));
    DNN_OK(cudnnSetTensor4dDescriptor(xd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, s->c, s->hw, s->hw));
    DNN_OK(cudnnSetTensor4dDescriptor(yd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, s->k, s->hw, s->hw));
    DNN_OK(cudnnSetFilter4dDescriptor(wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, s->k, s->c, 3, 3));
    DNN_OK(cudnnSetConvolution2dDescriptor(cd, 1, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    DNN_OK(cudnnSetConvolutionMathType(cd, math));
    if (cudaEventCreate(&start) != cudaSuccess || cudaEventCreate(&stop) != cudaSuccess) goto out;

    for (int pass = 0; pass < 3; pass++)
    {
        int algo = -1, got = 0;
        size_t need = 0;
        float alpha = 1.0f, beta = 0.0f, ms = 0.0f;
        if (pass == 0)
        {
            cudnnConvolutionFwdAlgoPerf_t r[8];
            DNN_OK(cudnnGetConvolutionForwardAlgorithm_v7(dnn, xd, wd, cd, yd, 8, &got, r));
            for (int i = 0; i < got && algo < 0; i++)
                if (r[i].status == CUDNN_STATUS_SUCCESS && r[i].memory <= workspace_limit) { algo = (int)r[i].algo; need = r[i].memory; }
        }
        else if (pass == 1)
        {
            cudnnConvolutionBwdDataAlgoPerf_t r[8];
            DNN_OK(cudnnGetConvolutionBackwardDataAlgorithm_v7(dnn, wd, yd, cd, xd, 8, &got, r));
            for (int i = 0; i < got && algo < 0; i++)
                if (r[i].status == CUDNN_STATUS_SUCCESS && r[i].memory <= workspace_limit) { algo = (int)r[i].algo; need = r[i].memory; }
        }
        else
        {
            cudnnConvolutionBwdFilterAlgoPerf_t r[8];
            DNN_OK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(dnn, xd, yd, cd, wd, 8, &got, r));
            for (int i = 0; i < got && algo < 0; i++)
                if (r[i].status == CUDNN_STATUS_SUCCESS && r[i].memory <= workspace_limit) { algo = (int)r[i].algo; need = r[i].memory; }
        }
        if (algo < 0)
        {
            printf("{\"op\":\"%s\",\"c\":%d,\"hw\":%d,\"error\":\"no algorithm within the workspace limit\"}\n", passes[pass], s->c, s->hw);
            continue;
        }
        for (int i = -g_warmup; i < g_iters; i++)
        {
            if (i == 0 && cudaEventRecord(start, stream) != cudaSuccess) goto out;
            if (pass == 0)
                DNN_OK(cudnnConvolutionForward(dnn, &alpha, xd, x, wd, w, cd, (cudnnConvolutionFwdAlgo_t)algo, ws, need, &beta, yd, y));
            else if (pass == 1)
                DNN_OK(cudnnConvolutionBackwardData(dnn, &alpha, wd, w, yd, y, cd, (cudnnConvolutionBwdDataAlgo_t)algo, ws, need, &beta, xd, x));
            else
                DNN_OK(cudnnConvolutionBackwardFilter(dnn, &alpha, xd, x, yd, y, cd, (cudnnConvolutionBwdFilterAlgo_t)algo, ws, need, &beta, wd, w));
        }
        if (cudaEventRecord(stop, stream) != cudaSuccess || cudaEventSynchronize(stop) != cudaSuccess) goto out;
        cudaEventElapsedTime(&ms, start, stop);
        ms /= (float)g_iters;
        printf("{\"op\":\"%s\",\"lib\":\"cudnn\",\"dtype\":\"%s\",\"n\":%d,\"c\":%d,\"k\":%d,\"h\":%d,\"w\":%d,\"r\":3,\"s\":3,\"pad\":1,\"stride\":1,"
               "\"algo\":%d,\"workspace\":%zu,\"iters\":%d,\"ms\":%.5f,\"tflops\":%.3f}\n",
            passes[pass], tf32 ? "tf32" : "fp32", n, s->c, s->k, s->hw, s->hw, algo, need, g_iters, ms, flops / (ms * 1e-3) / 1e12);
    }
    rc = 0;
out:
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    if (xd) cudnnDestroyTensorDescriptor(xd);
    if (yd) cudnnDestroyTensorDescriptor(yd);
    if (wd) cudnnDestroyFilterDescriptor(wd);
    if (cd) cudnnDestroyConvolutionDescriptor(cd);
    cudaFree(x);
    cudaFree(w);
    cudaFree(y);
    cudaFree(ws);
    return rc;
}
#endif

/* ---- main ---------------------------------------------------------------------------------------------------------- */

int main(int argc, char** argv)
{
    int sizes[32][3];
    int nsizes = 0, batch = 32, skip_gemm = 0, skip_conv = 0;
    cudaStream_t stream;
    struct cudaDeviceProp prop;
    int device = 0, runtime = 0, driver = 0;

    for (int i = 1; i < argc; i++)
    {
        const char* a = argv[i];
        if (strncmp(a, "--iters=", 8) == 0) g_iters = atoi(a + 8);
        else if (strncmp(a, "--warmup=", 9) == 0) g_warmup = atoi(a + 9);
        else if (strncmp(a, "--batch=", 8) == 0) batch = atoi(a + 8);
        else if (strcmp(a, "--skip-gemm") == 0) skip_gemm = 1;
        else if (strcmp(a, "--skip-conv") == 0) skip_conv = 1;
        else if (nsizes < 32)
        {
            int m = 0, n = 0, k = 0;
            int got = sscanf(a, "%dx%dx%d", &m, &n, &k);
            if (got == 1) n = k = m;
            if (got != 1 && got != 3) { fprintf(stderr, "bad size '%s' (expected M or MxNxK)\n", a); return 2; }
            sizes[nsizes][0] = m; sizes[nsizes][1] = n; sizes[nsizes][2] = k;
            nsizes++;
        }
    }
    if (g_iters < 1) g_iters = 1;
    if (g_warmup < 0) g_warmup = 0;
    if (nsizes == 0)
    {
        sizes[0][0] = sizes[0][1] = sizes[0][2] = 4096;
        sizes[1][0] = sizes[1][1] = sizes[1][2] = 8192;
        nsizes = 2;
    }

    CUDA_OK(cudaSetDevice(device));
    CUDA_OK(cudaGetDeviceProperties(&prop, device));
    CUDA_OK(cudaRuntimeGetVersion(&runtime));
    CUDA_OK(cudaDriverGetVersion(&driver));
    CUDA_OK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    printf("{\"device\":\"%s\",\"cc\":\"%d.%d\",\"sms\":%d,\"runtime\":%d,\"driver\":%d,\"cublasLt\":%zu,\"cudnn\":%ld}\n",
        prop.name, prop.major, prop.minor, prop.multiProcessorCount, runtime, driver, cublasLtGetVersion(),
#if TESSERA_HAVE_CUDNN
        (long)cudnnGetVersion()
#else
        -1L
#endif
    );

    if (!skip_gemm)
    {
        cublasLtHandle_t lt;
        LT_OK(cublasLtCreate(&lt));
        for (int s = 0; s < nsizes; s++)
            for (size_t t = 0; t < sizeof GEMM_TYPES / sizeof GEMM_TYPES[0]; t++)
                bench_gemm(lt, stream, &GEMM_TYPES[t], sizes[s][0], sizes[s][1], sizes[s][2]);
        cublasLtDestroy(lt);
    }

#if TESSERA_HAVE_CUDNN
    if (!skip_conv)
    {
        cudnnHandle_t dnn;
        if (cudnnCreate(&dnn) != CUDNN_STATUS_SUCCESS) { printf("{\"op\":\"conv2d\",\"error\":\"cudnnCreate failed\"}\n"); return 1; }
        cudnnSetStream(dnn, stream);
        for (int tf32 = 0; tf32 < 2; tf32++)
            for (size_t s = 0; s < sizeof RESNET50_3X3 / sizeof RESNET50_3X3[0]; s++)
                bench_conv(dnn, stream, batch, &RESNET50_3X3[s], tf32);
        cudnnDestroy(dnn);
    }
#else
    (void)batch;
    if (!skip_conv) printf("{\"op\":\"conv2d\",\"error\":\"built without cudnn.h: cuDNN benchmarks skipped\"}\n");
#endif
    cudaStreamDestroy(stream);
    return 0;
}
