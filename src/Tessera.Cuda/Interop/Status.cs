using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tessera.Cuda.Interop;

/// <summary>CUresult (cuda.h): the values a runtime meets; others are reported by number with the driver's text.</summary>
internal enum CUresult
{
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_DEINITIALIZED = 4,
    CUDA_ERROR_STUB_LIBRARY = 34,
    CUDA_ERROR_INSUFFICIENT_DRIVER = 35,
    CUDA_ERROR_NO_DEVICE = 100,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
    CUDA_ERROR_INVALID_PTX = 218,
    CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
    CUDA_ERROR_INVALID_SOURCE = 300,
    CUDA_ERROR_FILE_NOT_FOUND = 301,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_LAUNCH_TIMEOUT = 702,
    CUDA_ERROR_LAUNCH_FAILED = 719,
    CUDA_ERROR_UNKNOWN = 999,
}

/// <summary>nvrtcResult (nvrtc.h).</summary>
internal enum nvrtcResult
{
    NVRTC_SUCCESS = 0,
    NVRTC_ERROR_OUT_OF_MEMORY = 1,
    NVRTC_ERROR_PROGRAM_CREATION_FAILURE = 2,
    NVRTC_ERROR_INVALID_INPUT = 3,
    NVRTC_ERROR_INVALID_PROGRAM = 4,
    NVRTC_ERROR_INVALID_OPTION = 5,
    NVRTC_ERROR_COMPILATION = 6,
    NVRTC_ERROR_BUILTIN_OPERATION_FAILURE = 7,
    NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION = 8,
    NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION = 9,
    NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID = 10,
    NVRTC_ERROR_INTERNAL_ERROR = 11,
    NVRTC_ERROR_TIME_FILE_WRITE_FAILED = 12,
}

/// <summary>cublasStatus_t (cublas_api.h), shared by cuBLASLt.</summary>
internal enum cublasStatus_t
{
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    CUBLAS_STATUS_LICENSE_ERROR = 16,
}

/// <summary>cudnnStatus_t as renumbered in cuDNN 9 (cudnn_graph.h): categories 1xxx init, 2xxx bad param, 3xxx not supported, 4xxx internal, 5xxx execution.</summary>
internal enum cudnnStatus_t
{
    CUDNN_STATUS_SUCCESS = 0,
    CUDNN_STATUS_NOT_INITIALIZED = 1001,
    CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH = 1002,
    CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH = 1003,
    CUDNN_STATUS_DEPRECATED = 1004,
    CUDNN_STATUS_LICENSE_ERROR = 1005,
    CUDNN_STATUS_RUNTIME_IN_PROGRESS = 1006,
    CUDNN_STATUS_RUNTIME_FP_OVERFLOW = 1007,
    CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED = 1008,
    CUDNN_STATUS_BAD_PARAM = 2000,
    CUDNN_STATUS_INVALID_VALUE = 2001,
    CUDNN_STATUS_BAD_PARAM_NULL_POINTER = 2002,
    CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER = 2003,
    CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED = 2004,
    CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND = 2005,
    CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT = 2006,
    CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH = 2007,
    CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH = 2008,
    CUDNN_STATUS_NOT_SUPPORTED = 3000,
    CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN = 3001,
    CUDNN_STATUS_NOT_SUPPORTED_SHAPE = 3002,
    CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE = 3003,
    CUDNN_STATUS_NOT_SUPPORTED_LAYOUT = 3004,
    CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER = 3005,
    CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART = 3006,
    CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH = 3007,
    CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING = 3008,
    CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE = 3009,
    CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT = 3010,
    CUDNN_STATUS_INTERNAL_ERROR = 4000,
    CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED = 4001,
    CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED = 4003,
    CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED = 4004,
    CUDNN_STATUS_EXECUTION_FAILED = 5000,
    CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER = 5001,
    CUDNN_STATUS_EXECUTION_FAILED_CUBLAS = 5002,
    CUDNN_STATUS_EXECUTION_FAILED_CUDART = 5003,
}

/// <summary>
/// Turns a status into a <see cref="TesseraBackendException"/> carrying the status name, the vendor's error string
/// (when the library is loaded) and the call text.
/// </summary>
internal static class CudaCheck
{
    public static void Check(this CUresult status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != CUresult.CUDA_SUCCESS) throw Error(status, call);
    }

    public static void Check(this nvrtcResult status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != nvrtcResult.NVRTC_SUCCESS) throw Error(status, call);
    }

    public static void Check(this cublasStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != cublasStatus_t.CUBLAS_STATUS_SUCCESS) throw Error(status, call);
    }

    public static void Check(this cudnnStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != cudnnStatus_t.CUDNN_STATUS_SUCCESS) throw Error(status, call);
    }

    public static void Check(this ncclResult_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != ncclResult_t.ncclSuccess) throw Error(status, call);
    }

    public static TesseraBackendException Error(ncclResult_t status, string call) =>
        Build("NCCL", StatusName(status), (int)status, VendorText(CudaLibrary.Nccl, () => NcclText(status)), call);

    public static TesseraBackendException Error(CUresult status, string call) =>
        Build("CUDA driver", StatusName(status), (int)status, VendorText(CudaLibrary.Driver, () => DriverText(status)), call);

    public static TesseraBackendException Error(nvrtcResult status, string call) =>
        Build("NVRTC", StatusName(status), (int)status, VendorText(CudaLibrary.Nvrtc, () => NvrtcText(status)), call);

    public static TesseraBackendException Error(cublasStatus_t status, string call) =>
        Build("cuBLASLt", StatusName(status), (int)status, VendorText(CudaLibrary.CublasLt, () => CublasText(status)), call);

    public static TesseraBackendException Error(cudnnStatus_t status, string call) =>
        Build("cuDNN", StatusName(status), (int)status, VendorText(CudaLibrary.Cudnn, () => CudnnText(status)), call);

    /// <summary>The enum member's name, or "TypeName(value)" for a value this binding does not name.</summary>
    public static string StatusName<T>(T status) where T : struct, Enum =>
        Enum.IsDefined(status) ? status.ToString() : $"{typeof(T).Name}({Convert.ToInt64(status, System.Globalization.CultureInfo.InvariantCulture)})";

    internal static TesseraBackendException Build(string library, string name, int code, string vendorText, string call) =>
        new(library, $"{call} failed with {name} ({code}): {vendorText}");

    private static string VendorText(CudaLibrary library, Func<string?> read)
    {
        if (!CudaLibraries.Get(library).Loaded) return $"(no vendor description: {CudaLibraries.Spec(library).Display} is not loaded)";
        try { return read() ?? "(the library gave no description)"; }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { return $"(no vendor description: {e.Message})"; }
    }

    private static unsafe string? DriverText(CUresult status)
    {
        byte* text = null;
        return CuDriver.cuGetErrorString(status, &text) == CUresult.CUDA_SUCCESS && text != null ? Marshal.PtrToStringUTF8((nint)text) : null;
    }

    private static unsafe string? NvrtcText(nvrtcResult status) => Marshal.PtrToStringUTF8((nint)Nvrtc.nvrtcGetErrorString(status));

    private static unsafe string? CublasText(cublasStatus_t status) => Marshal.PtrToStringUTF8((nint)CublasLt.cublasLtGetStatusString(status));

    private static unsafe string? CudnnText(cudnnStatus_t status) => Marshal.PtrToStringUTF8((nint)Cudnn.cudnnGetErrorString(status));
    private static unsafe string? NcclText(ncclResult_t status) => Marshal.PtrToStringUTF8((nint)Nccl.ncclGetErrorString(status));
}
