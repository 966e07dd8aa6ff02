using System.Runtime.InteropServices;

namespace Tessera.Cuda.Interop;

#pragma warning disable CA1707, IDE1006

/// <summary>cuDNN 9 (cudnn_graph.h): handle, version, errors, stream. Convolution bindings come with the cuDNN kernels.</summary>
public static unsafe partial class Cudnn
{
    private const string Lib = CudaLibraries.CudnnName;

    [LibraryImport(Lib)] public static partial nuint cudnnGetVersion();
    [LibraryImport(Lib)] public static partial byte* cudnnGetErrorString(cudnnStatus_t status);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnCreate(CudnnHandle* handle);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnDestroy(CudnnHandle handle);
    /// <summary>cudnnSetStream(cudnnHandle_t, cudaStream_t): a CUstream is the same object as a cudaStream_t.</summary>
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnSetStream(CudnnHandle handle, CuStream streamId);
}
