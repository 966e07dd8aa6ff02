using System.Runtime.InteropServices;

namespace Tessera.Cuda.Interop;

/// <summary>cudaDataType_t (library_types.h) values used with cuBLASLt.</summary>
internal enum cudaDataType_t
{
    CUDA_R_32F = 0,
    CUDA_R_64F = 1,
    CUDA_R_16F = 2,
    CUDA_R_8I = 3,
    CUDA_R_32I = 10,
    CUDA_R_16BF = 14,
}

/// <summary>cublasComputeType_t (cublas_api.h).</summary>
internal enum cublasComputeType_t
{
    CUBLAS_COMPUTE_16F = 64,
    CUBLAS_COMPUTE_16F_PEDANTIC = 65,
    CUBLAS_COMPUTE_32F = 68,
    CUBLAS_COMPUTE_32F_PEDANTIC = 69,
    CUBLAS_COMPUTE_64F = 70,
    CUBLAS_COMPUTE_64F_PEDANTIC = 71,
    CUBLAS_COMPUTE_32I = 72,
    CUBLAS_COMPUTE_32I_PEDANTIC = 73,
    CUBLAS_COMPUTE_32F_FAST_16F = 74,
    CUBLAS_COMPUTE_32F_FAST_16BF = 75,
    CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
}

/// <summary>cublasOperation_t.</summary>
internal enum cublasOperation_t { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 }

/// <summary>cublasLtMatmulDescAttributes_t (cublasLt.h). Every value here was checked against the CUDA 11.8 cublasLt.h;
/// the numbering is stable through cuBLASLt 12 and 13 (later versions only append attributes, e.g. the scale modes).</summary>
internal enum cublasLtMatmulDescAttributes_t
{
    CUBLASLT_MATMUL_DESC_COMPUTE_TYPE = 0,
    CUBLASLT_MATMUL_DESC_SCALE_TYPE = 1,
    CUBLASLT_MATMUL_DESC_POINTER_MODE = 2,
    CUBLASLT_MATMUL_DESC_TRANSA = 3,
    CUBLASLT_MATMUL_DESC_TRANSB = 4,
    CUBLASLT_MATMUL_DESC_TRANSC = 5,
    CUBLASLT_MATMUL_DESC_FILL_MODE = 6,
    CUBLASLT_MATMUL_DESC_EPILOGUE = 7,
    CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8,
    CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE = 10,
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER = 11,
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD = 12,
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_BATCH_STRIDE = 13,
    CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE = 26,
}

/// <summary>cublasLtMatrixLayoutAttribute_t (cublasLt.h).</summary>
internal enum cublasLtMatrixLayoutAttribute_t
{
    CUBLASLT_MATRIX_LAYOUT_TYPE = 0,
    CUBLASLT_MATRIX_LAYOUT_ORDER = 1,
    CUBLASLT_MATRIX_LAYOUT_ROWS = 2,
    CUBLASLT_MATRIX_LAYOUT_COLS = 3,
    CUBLASLT_MATRIX_LAYOUT_LD = 4,
    CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT = 5,
    CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6,
}

/// <summary>cublasLtMatmulPreferenceAttributes_t (cublasLt.h 11.8). cuBLASLt 12 removed MATH_MODE_MASK (2) and
/// GAUSSIAN_MODE_MASK (4) without renumbering the rest, so the values below hold for 11.8, 12 and 13. The minimum
/// alignments default to 256 bytes: they must be lowered for pointers that are less aligned (tensor offsets).</summary>
internal enum cublasLtMatmulPreferenceAttributes_t
{
    CUBLASLT_MATMUL_PREF_SEARCH_MODE = 0,
    CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1,
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES = 5,
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES = 6,
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES = 7,
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES = 8,
}

/// <summary>cublasLtEpilogue_t values (cublasLt.h) for the epilogues Tessera uses.</summary>
internal enum cublasLtEpilogue_t : uint
{
    CUBLASLT_EPILOGUE_DEFAULT = 1,
    CUBLASLT_EPILOGUE_RELU = 2,
    CUBLASLT_EPILOGUE_BIAS = 4,
    CUBLASLT_EPILOGUE_RELU_BIAS = 6,
    CUBLASLT_EPILOGUE_BGRADA = 256,
    CUBLASLT_EPILOGUE_BGRADB = 512,
}

/// <summary>cublasLtMatmulAlgo_t: an opaque uint64_t data[8].</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct cublasLtMatmulAlgo_t
{
    public fixed ulong data[8];
}

/// <summary>cublasLtMatmulHeuristicResult_t: { algo; size_t workspaceSize; cublasStatus_t state; float wavesCount; int reserved[4]; } (96 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct cublasLtMatmulHeuristicResult_t
{
    public cublasLtMatmulAlgo_t algo;
    public nuint workspaceSize;
    public cublasStatus_t state;
    public float wavesCount;
    public fixed int reserved[4];
}

/// <summary>cuBLASLt (cublasLt.h).</summary>
internal static unsafe partial class CublasLt
{
    private const string Lib = CudaLibraries.CublasLtName;

    [LibraryImport(Lib)] public static partial cublasStatus_t cublasLtCreate(CublasLtHandle* lightHandle);
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasLtDestroy(CublasLtHandle lightHandle);
    [LibraryImport(Lib)] public static partial nuint cublasLtGetVersion();
    [LibraryImport(Lib)] public static partial byte* cublasLtGetStatusName(cublasStatus_t status);
    [LibraryImport(Lib)] public static partial byte* cublasLtGetStatusString(cublasStatus_t status);

    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasLtMatmulDescCreate(CublasLtMatmulDesc* matmulDesc, cublasComputeType_t computeType, cudaDataType_t scaleType);
    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasLtMatmulDescSetAttribute(CublasLtMatmulDesc matmulDesc, cublasLtMatmulDescAttributes_t attr, void* buf, nuint sizeInBytes);
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasLtMatmulDescDestroy(CublasLtMatmulDesc matmulDesc);

    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasLtMatrixLayoutCreate(CublasLtMatrixLayout* matLayout, cudaDataType_t type, ulong rows, ulong cols, long ld);
    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasLtMatrixLayoutSetAttribute(CublasLtMatrixLayout matLayout, cublasLtMatrixLayoutAttribute_t attr, void* buf, nuint sizeInBytes);
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasLtMatrixLayoutDestroy(CublasLtMatrixLayout matLayout);

    [LibraryImport(Lib)] public static partial cublasStatus_t cublasLtMatmulPreferenceCreate(CublasLtMatmulPreference* pref);
    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasLtMatmulPreferenceSetAttribute(CublasLtMatmulPreference pref, cublasLtMatmulPreferenceAttributes_t attr, void* buf, nuint sizeInBytes);
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasLtMatmulPreferenceDestroy(CublasLtMatmulPreference pref);

    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasLtMatmulAlgoGetHeuristic(CublasLtHandle lightHandle, CublasLtMatmulDesc operationDesc,
        CublasLtMatrixLayout Adesc, CublasLtMatrixLayout Bdesc, CublasLtMatrixLayout Cdesc, CublasLtMatrixLayout Ddesc,
        CublasLtMatmulPreference preference, int requestedAlgoCount, cublasLtMatmulHeuristicResult_t* heuristicResultsArray, int* returnAlgoCount);

    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasLtMatmul(CublasLtHandle lightHandle, CublasLtMatmulDesc computeDesc,
        void* alpha, CuDevicePtr A, CublasLtMatrixLayout Adesc, CuDevicePtr B, CublasLtMatrixLayout Bdesc,
        void* beta, CuDevicePtr C, CublasLtMatrixLayout Cdesc, CuDevicePtr D, CublasLtMatrixLayout Ddesc,
        cublasLtMatmulAlgo_t* algo, CuDevicePtr workspace, nuint workspaceSizeInBytes, CuStream stream);
}
