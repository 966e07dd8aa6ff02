using System.Runtime.CompilerServices;

namespace Tessera.OpenCL.Interop;

/// <summary>Turns OpenCL status codes into <see cref="TesseraBackendException"/>s naming the status and the call.
/// Cleanup calls (a release, the finish before a release in Dispose, a release on the way to reporting another error)
/// discard their status explicitly (<c>_ = Cl.clRelease...</c>): nothing can act on such a failure, Dispose must not
/// throw, and the error being reported must not be replaced by a secondary one.</summary>
internal static class ClCheck
{
    public static void Check(this int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != Cl.CL_SUCCESS) throw Error(status, call);
    }

    public static TesseraException Error(int status, string call)
    {
        string text = $"{call} failed with {Name(status)} ({status})";
        return status is Cl.CL_MEM_OBJECT_ALLOCATION_FAILURE or Cl.CL_OUT_OF_RESOURCES or Cl.CL_OUT_OF_HOST_MEMORY
            ? new TesseraOutOfMemoryException("OpenCL", text)
            : new TesseraBackendException("OpenCL", text);
    }

    /// <summary>The CL/cl.h name of a status code.</summary>
    public static string Name(int status) => status switch
    {
        0 => "CL_SUCCESS", -1 => "CL_DEVICE_NOT_FOUND", -2 => "CL_DEVICE_NOT_AVAILABLE", -3 => "CL_COMPILER_NOT_AVAILABLE",
        -4 => "CL_MEM_OBJECT_ALLOCATION_FAILURE", -5 => "CL_OUT_OF_RESOURCES", -6 => "CL_OUT_OF_HOST_MEMORY",
        -7 => "CL_PROFILING_INFO_NOT_AVAILABLE", -8 => "CL_MEM_COPY_OVERLAP", -11 => "CL_BUILD_PROGRAM_FAILURE",
        -13 => "CL_MISALIGNED_SUB_BUFFER_OFFSET", -30 => "CL_INVALID_VALUE", -32 => "CL_INVALID_PLATFORM",
        -33 => "CL_INVALID_DEVICE", -34 => "CL_INVALID_CONTEXT", -36 => "CL_INVALID_COMMAND_QUEUE", -38 => "CL_INVALID_MEM_OBJECT",
        -42 => "CL_INVALID_BINARY", -43 => "CL_INVALID_BUILD_OPTIONS", -44 => "CL_INVALID_PROGRAM", -45 => "CL_INVALID_PROGRAM_EXECUTABLE",
        -46 => "CL_INVALID_KERNEL_NAME", -48 => "CL_INVALID_KERNEL", -49 => "CL_INVALID_ARG_INDEX", -50 => "CL_INVALID_ARG_VALUE",
        -51 => "CL_INVALID_ARG_SIZE", -52 => "CL_INVALID_KERNEL_ARGS", -53 => "CL_INVALID_WORK_DIMENSION",
        -54 => "CL_INVALID_WORK_GROUP_SIZE", -55 => "CL_INVALID_WORK_ITEM_SIZE", -56 => "CL_INVALID_GLOBAL_OFFSET",
        -57 => "CL_INVALID_EVENT_WAIT_LIST", -58 => "CL_INVALID_EVENT", -61 => "CL_INVALID_BUFFER_SIZE",
        -63 => "CL_INVALID_GLOBAL_WORK_SIZE", -1001 => "CL_PLATFORM_NOT_FOUND_KHR",
        _ => "CL_ERROR",
    };
}
