using System.Runtime.InteropServices;

namespace Tessera.Cuda.Interop;

/// <summary>NVRTC (nvrtc.h): runtime compilation of CUDA C++ to PTX.</summary>
internal static unsafe partial class Nvrtc
{
    private const string Lib = CudaLibraries.NvrtcName;

    [LibraryImport(Lib)] public static partial byte* nvrtcGetErrorString(nvrtcResult result);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcVersion(int* major, int* minor);
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcCreateProgram(NvrtcProgram* prog, byte* src, byte* name, int numHeaders, byte** headers, byte** includeNames);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcDestroyProgram(NvrtcProgram* prog);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcCompileProgram(NvrtcProgram prog, int numOptions, byte** options);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetPTXSize(NvrtcProgram prog, nuint* ptxSizeRet);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetPTX(NvrtcProgram prog, byte* ptx);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetProgramLogSize(NvrtcProgram prog, nuint* logSizeRet);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetProgramLog(NvrtcProgram prog, byte* log);
    /// <summary>NVRTC 11.2+: how many virtual architectures (compute_XY) this NVRTC can target.</summary>
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetNumSupportedArchs(int* numArchs);
    /// <summary>NVRTC 11.2+: the supported architectures as integers (90 for compute_90), ascending.</summary>
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetSupportedArchs(int* supportedArchs);
}
