using System.Runtime.InteropServices;

namespace Tessera.Cuda.Interop;

/// <summary>CUdevice_attribute values (cuda.h) that Tessera reads.</summary>
internal enum CUdevice_attribute
{
    CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,
    CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10,
    CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38,
    CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR = 39,
    CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING = 41,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
}

/// <summary>CUjit_option values (cuda.h) used to get the JIT's error log from cuModuleLoadDataEx.</summary>
internal enum CUjit_option
{
    CU_JIT_MAX_REGISTERS = 0,
    CU_JIT_THREADS_PER_BLOCK = 1,
    CU_JIT_WALL_TIME = 2,
    CU_JIT_INFO_LOG_BUFFER = 3,
    CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
    CU_JIT_ERROR_LOG_BUFFER = 5,
    CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
}

/// <summary>CUstreamCaptureMode (cuda.h).</summary>
internal enum CUstreamCaptureMode
{
    CU_STREAM_CAPTURE_MODE_GLOBAL = 0,
    CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,
    CU_STREAM_CAPTURE_MODE_RELAXED = 2,
}

/// <summary>Flag values from cuda.h.</summary>
internal static class CuFlags
{
    public const uint CU_STREAM_DEFAULT = 0x0;
    public const uint CU_STREAM_NON_BLOCKING = 0x1;
    public const uint CU_EVENT_DEFAULT = 0x0;
    public const uint CU_EVENT_BLOCKING_SYNC = 0x1;
    public const uint CU_EVENT_DISABLE_TIMING = 0x2;
    public const uint CU_MEMHOSTALLOC_PORTABLE = 0x01;
    public const uint CU_MEMHOSTALLOC_DEVICEMAP = 0x02;
    public const uint CU_MEMHOSTALLOC_WRITECOMBINED = 0x04;
    public const uint CU_MEMHOSTREGISTER_PORTABLE = 0x01;
    public const uint CU_MEMHOSTREGISTER_DEVICEMAP = 0x02;
}

/// <summary>
/// The CUDA driver API subset a runtime needs, bound by the exact exported symbol names (the `_v2` names that cuda.h's
/// macros map the plain names to). size_t is nuint; CUdevice is int; every pointer is a raw pointer.
/// </summary>
internal static unsafe partial class CuDriver
{
    private const string Lib = CudaLibraries.DriverName;

    [LibraryImport(Lib)] public static partial CUresult cuInit(uint Flags);
    [LibraryImport(Lib)] public static partial CUresult cuDriverGetVersion(int* driverVersion);
    [LibraryImport(Lib)] public static partial CUresult cuGetErrorName(CUresult error, byte** pStr);
    [LibraryImport(Lib)] public static partial CUresult cuGetErrorString(CUresult error, byte** pStr);

    [LibraryImport(Lib)] public static partial CUresult cuDeviceGet(CuDevice* device, int ordinal);
    [LibraryImport(Lib)] public static partial CUresult cuDeviceGetCount(int* count);
    [LibraryImport(Lib)] public static partial CUresult cuDeviceGetName(byte* name, int len, CuDevice dev);
    [LibraryImport(Lib)] public static partial CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, CuDevice dev);
    [LibraryImport(Lib)] public static partial CUresult cuDeviceTotalMem_v2(nuint* bytes, CuDevice dev);

    [LibraryImport(Lib)] public static partial CUresult cuDevicePrimaryCtxRetain(CuContext* pctx, CuDevice dev);
    [LibraryImport(Lib)] public static partial CUresult cuDevicePrimaryCtxRelease_v2(CuDevice dev);
    [LibraryImport(Lib)] public static partial CUresult cuCtxSetCurrent(CuContext ctx);
    [LibraryImport(Lib)] public static partial CUresult cuCtxSynchronize();

    [LibraryImport(Lib)] public static partial CUresult cuMemAlloc_v2(CuDevicePtr* dptr, nuint bytesize);
    [LibraryImport(Lib)] public static partial CUresult cuMemFree_v2(CuDevicePtr dptr);
    [LibraryImport(Lib)] public static partial CUresult cuMemGetInfo_v2(nuint* free, nuint* total);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyHtoDAsync_v2(CuDevicePtr dstDevice, void* srcHost, nuint ByteCount, CuStream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyDtoHAsync_v2(void* dstHost, CuDevicePtr srcDevice, nuint ByteCount, CuStream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyDtoDAsync_v2(CuDevicePtr dstDevice, CuDevicePtr srcDevice, nuint ByteCount, CuStream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuMemsetD8Async(CuDevicePtr dstDevice, byte uc, nuint N, CuStream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuMemHostAlloc(void** pp, nuint bytesize, uint Flags);
    [LibraryImport(Lib)] public static partial CUresult cuMemFreeHost(void* p);
    [LibraryImport(Lib)] public static partial CUresult cuMemHostRegister_v2(void* p, nuint bytesize, uint Flags);
    [LibraryImport(Lib)] public static partial CUresult cuMemHostUnregister(void* p);

    [LibraryImport(Lib)] public static partial CUresult cuStreamCreate(CuStream* phStream, uint Flags);
    [LibraryImport(Lib)] public static partial CUresult cuStreamDestroy_v2(CuStream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuStreamSynchronize(CuStream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuStreamWaitEvent(CuStream hStream, CuEvent hEvent, uint Flags);

    [LibraryImport(Lib)] public static partial CUresult cuEventCreate(CuEvent* phEvent, uint Flags);
    [LibraryImport(Lib)] public static partial CUresult cuEventRecord(CuEvent hEvent, CuStream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuEventQuery(CuEvent hEvent);
    [LibraryImport(Lib)] public static partial CUresult cuEventSynchronize(CuEvent hEvent);
    /// <summary>CUDA 12.8+ name (cuda.h 13 maps cuEventElapsedTime to it).</summary>
    [LibraryImport(Lib)] public static partial CUresult cuEventElapsedTime_v2(float* pMilliseconds, CuEvent hStart, CuEvent hEnd);
    /// <summary>The pre-12.8 symbol, for older drivers that lack the _v2 export.</summary>
    [LibraryImport(Lib)] public static partial CUresult cuEventElapsedTime(float* pMilliseconds, CuEvent hStart, CuEvent hEnd);
    [LibraryImport(Lib)] public static partial CUresult cuEventDestroy_v2(CuEvent hEvent);

    [LibraryImport(Lib)] public static partial CUresult cuModuleLoadData(CuModule* module, void* image);
    [LibraryImport(Lib)]
    public static partial CUresult cuModuleLoadDataEx(CuModule* module, void* image, uint numOptions, CUjit_option* options, void** optionValues);
    [LibraryImport(Lib)] public static partial CUresult cuModuleUnload(CuModule hmod);
    [LibraryImport(Lib)] public static partial CUresult cuModuleGetFunction(CuFunction* hfunc, CuModule hmod, byte* name);
    [LibraryImport(Lib)]
    public static partial CUresult cuLaunchKernel(CuFunction f, uint gridDimX, uint gridDimY, uint gridDimZ,
        uint blockDimX, uint blockDimY, uint blockDimZ, uint sharedMemBytes, CuStream hStream, void** kernelParams, void** extra);

    // CUDA graphs (stream capture). cuda.h maps cuStreamBeginCapture to the _v2 export.
    [LibraryImport(Lib)] public static partial CUresult cuStreamBeginCapture_v2(CuStream hStream, CUstreamCaptureMode mode);
    [LibraryImport(Lib)] public static partial CUresult cuStreamEndCapture(CuStream hStream, CuGraph* phGraph);
    [LibraryImport(Lib)] public static partial CUresult cuGraphInstantiateWithFlags(CuGraphExec* phGraphExec, CuGraph hGraph, ulong flags);
    [LibraryImport(Lib)] public static partial CUresult cuGraphLaunch(CuGraphExec hGraphExec, CuStream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuGraphExecDestroy(CuGraphExec hGraphExec);
    [LibraryImport(Lib)] public static partial CUresult cuGraphDestroy(CuGraph hGraph);
    /// <summary>With <paramref name="nodes"/> null, writes the node count to <paramref name="numNodes"/>.</summary>
    [LibraryImport(Lib)] public static partial CUresult cuGraphGetNodes(CuGraph hGraph, nint* nodes, nuint* numNodes);
}
