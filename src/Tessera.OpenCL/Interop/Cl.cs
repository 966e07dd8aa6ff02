using System.Runtime.InteropServices;

namespace Tessera.OpenCL.Interop;

/// <summary>The OpenCL 1.2 API subset Tessera uses, bound under the exact C names of CL/cl.h. Handles (cl_platform_id,
/// cl_device_id, cl_context, cl_command_queue, cl_mem, cl_program, cl_kernel, cl_event) are pointer-sized values.</summary>
internal static unsafe partial class Cl
{
    public const string Library = "OpenCL";

    [LibraryImport(Library)] public static partial int clGetPlatformIDs(uint numEntries, nint* platforms, uint* numPlatforms);
    [LibraryImport(Library)] public static partial int clGetPlatformInfo(nint platform, uint name, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Library)] public static partial int clGetDeviceIDs(nint platform, ulong type, uint numEntries, nint* devices, uint* numDevices);
    [LibraryImport(Library)] public static partial int clGetDeviceInfo(nint device, uint name, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Library)] public static partial nint clCreateContext(nint* properties, uint numDevices, nint* devices, nint notify, nint userData, int* err);
    [LibraryImport(Library)] public static partial int clReleaseContext(nint context);
    [LibraryImport(Library)] public static partial nint clCreateCommandQueue(nint context, nint device, ulong properties, int* err);
    [LibraryImport(Library)] public static partial int clReleaseCommandQueue(nint queue);
    [LibraryImport(Library)] public static partial int clFinish(nint queue);
    [LibraryImport(Library)] public static partial int clFlush(nint queue);
    [LibraryImport(Library)] public static partial nint clCreateBuffer(nint context, ulong flags, nuint size, void* hostPtr, int* err);
    [LibraryImport(Library)] public static partial int clReleaseMemObject(nint mem);
    [LibraryImport(Library)] public static partial int clEnqueueWriteBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* ptr, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Library)] public static partial int clEnqueueReadBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* ptr, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Library)] public static partial int clEnqueueCopyBuffer(nint queue, nint src, nint dst, nuint srcOffset, nuint dstOffset, nuint size, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Library)] public static partial nint clCreateProgramWithSource(nint context, uint count, byte** strings, nuint* lengths, int* err);
    [LibraryImport(Library)] public static partial nint clCreateProgramWithBinary(nint context, uint numDevices, nint* devices, nuint* lengths, byte** binaries, int* binaryStatus, int* err);
    [LibraryImport(Library)] public static partial int clBuildProgram(nint program, uint numDevices, nint* devices, byte* options, nint notify, nint userData);
    [LibraryImport(Library)] public static partial int clGetProgramBuildInfo(nint program, nint device, uint name, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Library)] public static partial int clGetProgramInfo(nint program, uint name, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Library)] public static partial int clReleaseProgram(nint program);
    [LibraryImport(Library)] public static partial nint clCreateKernel(nint program, byte* name, int* err);
    [LibraryImport(Library)] public static partial int clReleaseKernel(nint kernel);
    [LibraryImport(Library)] public static partial int clSetKernelArg(nint kernel, uint index, nuint size, void* value);
    [LibraryImport(Library)] public static partial int clEnqueueNDRangeKernel(nint queue, nint kernel, uint workDim, nuint* globalOffset, nuint* globalSize, nuint* localSize, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Library)] public static partial int clEnqueueMarkerWithWaitList(nint queue, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Library)] public static partial int clEnqueueBarrierWithWaitList(nint queue, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Library)] public static partial int clWaitForEvents(uint numEvents, nint* events);
    [LibraryImport(Library)] public static partial int clGetEventInfo(nint evt, uint name, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Library)] public static partial int clGetEventProfilingInfo(nint evt, uint name, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Library)] public static partial int clReleaseEvent(nint evt);

    // cl_platform_info / cl_device_info / cl_program_info / cl_program_build_info / cl_event_info / cl_profiling_info
    public const uint CL_PLATFORM_VERSION = 0x0901, CL_PLATFORM_NAME = 0x0902, CL_PLATFORM_VENDOR = 0x0903;
    public const uint CL_DEVICE_TYPE = 0x1000, CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002, CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
    public const uint CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010, CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F, CL_DEVICE_LOCAL_MEM_SIZE = 0x1023;
    public const uint CL_DEVICE_NAME = 0x102B, CL_DEVICE_VENDOR = 0x102C, CL_DRIVER_VERSION = 0x102D, CL_DEVICE_VERSION = 0x102F;
    public const uint CL_DEVICE_EXTENSIONS = 0x1030;
    public const uint CL_PROGRAM_BINARY_SIZES = 0x1165, CL_PROGRAM_BINARIES = 0x1166;
    public const uint CL_PROGRAM_BUILD_LOG = 0x1183;
    public const uint CL_EVENT_COMMAND_EXECUTION_STATUS = 0x11D3;
    public const uint CL_PROFILING_COMMAND_START = 0x1282, CL_PROFILING_COMMAND_END = 0x1283;

    public const ulong CL_DEVICE_TYPE_CPU = 1 << 1, CL_DEVICE_TYPE_GPU = 1 << 2, CL_DEVICE_TYPE_ACCELERATOR = 1 << 3, CL_DEVICE_TYPE_ALL = 0xFFFFFFFF;
    public const ulong CL_QUEUE_PROFILING_ENABLE = 1 << 1;
    public const ulong CL_MEM_READ_WRITE = 1 << 0;
    public const int CL_COMPLETE = 0;

    public const int CL_SUCCESS = 0, CL_DEVICE_NOT_FOUND = -1, CL_MEM_OBJECT_ALLOCATION_FAILURE = -4, CL_OUT_OF_RESOURCES = -5,
        CL_OUT_OF_HOST_MEMORY = -6, CL_BUILD_PROGRAM_FAILURE = -11, CL_INVALID_VALUE = -30, CL_INVALID_BUFFER_SIZE = -61,
        CL_PLATFORM_NOT_FOUND_KHR = -1001;
}
