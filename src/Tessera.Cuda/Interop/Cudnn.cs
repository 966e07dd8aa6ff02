using System.Runtime.InteropServices;

namespace Tessera.Cuda.Interop;

// cuDNN headers are not installed on the machine this was written on: the signatures, enum values and struct layouts
// below were taken from NVIDIA's cuDNN 9 API reference (cudnn_graph / cudnn_ops / cudnn_cnn libraries; the legacy
// convolution API is deprecated in 9 but still exported by libcudnn.so.9, which forwards to libcudnn_cnn.so.9).

/// <summary>cudnnDataType_t (cudnn_graph.h, cuDNN 9).</summary>
internal enum cudnnDataType_t
{
    CUDNN_DATA_FLOAT = 0,
    CUDNN_DATA_DOUBLE = 1,
    CUDNN_DATA_HALF = 2,
    CUDNN_DATA_INT8 = 3,
    CUDNN_DATA_INT32 = 4,
    CUDNN_DATA_INT8x4 = 5,
    CUDNN_DATA_UINT8 = 6,
    CUDNN_DATA_UINT8x4 = 7,
    CUDNN_DATA_INT8x32 = 8,
    CUDNN_DATA_BFLOAT16 = 9,
    CUDNN_DATA_INT64 = 10,
}

/// <summary>cudnnTensorFormat_t (cudnn_graph.h, cuDNN 9).</summary>
internal enum cudnnTensorFormat_t { CUDNN_TENSOR_NCHW = 0, CUDNN_TENSOR_NHWC = 1, CUDNN_TENSOR_NCHW_VECT_C = 2 }

/// <summary>cudnnConvolutionMode_t (cudnn_cnn.h, cuDNN 9).</summary>
internal enum cudnnConvolutionMode_t { CUDNN_CONVOLUTION = 0, CUDNN_CROSS_CORRELATION = 1 }

/// <summary>cudnnMathType_t (cudnn_graph.h, cuDNN 9). FMA_MATH keeps fp32 convolutions off TF32 tensor cores.</summary>
internal enum cudnnMathType_t
{
    CUDNN_DEFAULT_MATH = 0,
    CUDNN_TENSOR_OP_MATH = 1,
    CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2,
    CUDNN_FMA_MATH = 3,
}

/// <summary>cudnnDeterminism_t (cudnn_graph.h, cuDNN 9).</summary>
internal enum cudnnDeterminism_t { CUDNN_NON_DETERMINISTIC = 0, CUDNN_DETERMINISTIC = 1 }

/// <summary>cudnnConvolutionFwdAlgoPerf_t, cudnnConvolutionBwdDataAlgoPerf_t and cudnnConvolutionBwdFilterAlgoPerf_t share
/// this layout (cudnn_cnn.h, cuDNN 9): { int algo; cudnnStatus_t status; float time; size_t memory;
/// cudnnDeterminism_t determinism; cudnnMathType_t mathType; int reserved[3]; } = 48 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct cudnnConvolutionAlgoPerf_t
{
    public int algo;
    public cudnnStatus_t status;
    public float time;
    public nuint memory;
    public cudnnDeterminism_t determinism;
    public cudnnMathType_t mathType;
    public fixed int reserved[3];
}

/// <summary>cuDNN 9: handle, version, errors, stream, and the legacy (descriptor-based) convolution API.</summary>
internal static unsafe partial class Cudnn
{
    private const string Lib = CudaLibraries.CudnnName;

    [LibraryImport(Lib)] public static partial nuint cudnnGetVersion();
    [LibraryImport(Lib)] public static partial byte* cudnnGetErrorString(cudnnStatus_t status);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnCreate(CudnnHandle* handle);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnDestroy(CudnnHandle handle);
    /// <summary>cudnnSetStream(cudnnHandle_t, cudaStream_t): a CUstream is the same object as a cudaStream_t.</summary>
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnSetStream(CudnnHandle handle, CuStream streamId);

    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnCreateTensorDescriptor(nint* tensorDesc);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnSetTensor4dDescriptorEx(nint tensorDesc, cudnnDataType_t dataType, int n, int c, int h, int w,
        int nStride, int cStride, int hStride, int wStride);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnDestroyTensorDescriptor(nint tensorDesc);

    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnCreateFilterDescriptor(nint* filterDesc);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnSetFilter4dDescriptor(nint filterDesc, cudnnDataType_t dataType, cudnnTensorFormat_t format, int k, int c, int h, int w);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnDestroyFilterDescriptor(nint filterDesc);

    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnCreateConvolutionDescriptor(nint* convDesc);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnSetConvolution2dDescriptor(nint convDesc, int pad_h, int pad_w, int u, int v, int dilation_h, int dilation_w,
        cudnnConvolutionMode_t mode, cudnnDataType_t computeType);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnSetConvolutionGroupCount(nint convDesc, int groupCount);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnSetConvolutionMathType(nint convDesc, cudnnMathType_t mathType);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnDestroyConvolutionDescriptor(nint convDesc);

    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(CudnnHandle handle, nint srcDesc, nint filterDesc, nint convDesc, nint destDesc,
        int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionAlgoPerf_t* perfResults);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnConvolutionForward(CudnnHandle handle, void* alpha, nint xDesc, CuDevicePtr x, nint wDesc, CuDevicePtr w,
        nint convDesc, int algo, CuDevicePtr workSpace, nuint workSpaceSizeInBytes, void* beta, nint yDesc, CuDevicePtr y);

    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(CudnnHandle handle, nint filterDesc, nint diffDesc, nint convDesc,
        nint gradDesc, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionAlgoPerf_t* perfResults);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnConvolutionBackwardData(CudnnHandle handle, void* alpha, nint wDesc, CuDevicePtr w, nint dyDesc, CuDevicePtr dy,
        nint convDesc, int algo, CuDevicePtr workSpace, nuint workSpaceSizeInBytes, void* beta, nint dxDesc, CuDevicePtr dx);

    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(CudnnHandle handle, nint srcDesc, nint diffDesc, nint convDesc,
        nint gradDesc, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionAlgoPerf_t* perfResults);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnConvolutionBackwardFilter(CudnnHandle handle, void* alpha, nint xDesc, CuDevicePtr x, nint dyDesc, CuDevicePtr dy,
        nint convDesc, int algo, CuDevicePtr workSpace, nuint workSpaceSizeInBytes, void* beta, nint dwDesc, CuDevicePtr dw);

    /// <summary>C = alpha·A + beta·C with A broadcast (cudnn_ops.h): adds a [1, O, 1, 1] bias to [N, O, H, W].</summary>
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnAddTensor(CudnnHandle handle, void* alpha, nint aDesc, CuDevicePtr A, void* beta, nint cDesc, CuDevicePtr C);
}
