using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tessera.Cuda.Interop;

// NCCL 2.x C API (nccl.h). Signatures and enum values from NVIDIA's NCCL API reference; the ABI has been stable since
// 2.0 (ncclAvg since 2.10, ncclCommGetAsyncError since 2.4, ncclCommAbort since 2.4).

/// <summary>ncclResult_t.</summary>
internal enum ncclResult_t
{
    ncclSuccess = 0,
    ncclUnhandledCudaError = 1,
    ncclSystemError = 2,
    ncclInternalError = 3,
    ncclInvalidArgument = 4,
    ncclInvalidUsage = 5,
    ncclRemoteError = 6,
    ncclInProgress = 7,
}

/// <summary>ncclDataType_t (the members this binding uses).</summary>
internal enum ncclDataType_t { ncclFloat32 = 7 }

/// <summary>ncclRedOp_t (the built-in operations this binding uses).</summary>
internal enum ncclRedOp_t { ncclSum = 0, ncclAvg = 4 }

/// <summary>ncclUniqueId: 128 opaque bytes that rank 0 creates and every rank passes, by value, to ncclCommInitRank.</summary>
[InlineArray(Size)]
internal struct NcclUniqueId
{
    public const int Size = 128;
    private byte _element0;
}

/// <summary>ncclComm_t (struct ncclComm*).</summary>
internal readonly record struct NcclComm(nint Value) { public bool IsNull => Value == 0; }

/// <summary>The NCCL entry points (libnccl.so.2), resolved through <see cref="CudaLibraries"/>.</summary>
internal static unsafe partial class Nccl
{
    private const string Lib = CudaLibraries.NcclName;

    [LibraryImport(Lib)] public static partial ncclResult_t ncclGetVersion(int* version);
    [LibraryImport(Lib)] public static partial ncclResult_t ncclGetUniqueId(NcclUniqueId* uniqueId);
    [LibraryImport(Lib)] public static partial ncclResult_t ncclCommInitRank(NcclComm* comm, int nranks, NcclUniqueId commId, int rank);
    [LibraryImport(Lib)] public static partial ncclResult_t ncclCommDestroy(NcclComm comm);
    [LibraryImport(Lib)] public static partial ncclResult_t ncclCommAbort(NcclComm comm);
    [LibraryImport(Lib)] public static partial ncclResult_t ncclCommGetAsyncError(NcclComm comm, ncclResult_t* asyncError);
    [LibraryImport(Lib)] public static partial byte* ncclGetErrorString(ncclResult_t result);

    [LibraryImport(Lib)]
    public static partial ncclResult_t ncclAllReduce(void* send, void* recv, nuint count, ncclDataType_t type, ncclRedOp_t op, NcclComm comm, CuStream stream);

    [LibraryImport(Lib)]
    public static partial ncclResult_t ncclReduceScatter(void* send, void* recv, nuint recvCount, ncclDataType_t type, ncclRedOp_t op, NcclComm comm, CuStream stream);

    [LibraryImport(Lib)]
    public static partial ncclResult_t ncclAllGather(void* send, void* recv, nuint sendCount, ncclDataType_t type, NcclComm comm, CuStream stream);

    [LibraryImport(Lib)]
    public static partial ncclResult_t ncclBroadcast(void* send, void* recv, nuint count, ncclDataType_t type, int root, NcclComm comm, CuStream stream);

    [LibraryImport(Lib)] public static partial ncclResult_t ncclGroupStart();
    [LibraryImport(Lib)] public static partial ncclResult_t ncclGroupEnd();

    /// <summary>NCCL's version code (major·10000 + minor·100 + patch for 2.9 and later), e.g. 22703 for 2.27.3.</summary>
    public static string VersionText(int code) =>
        code >= 10000 ? $"{code / 10000}.{code / 100 % 100}.{code % 100}" : $"{code / 1000}.{code / 100 % 10}.{code % 100}";
}
