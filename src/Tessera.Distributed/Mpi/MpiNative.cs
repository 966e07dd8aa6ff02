using System.Runtime.InteropServices;

namespace Tessera.Distributed.Mpi;

/// <summary>The C API of Open MPI (libmpi.so.40) that the communicator uses. Handles (communicators, datatypes,
/// operations, requests) are pointers in Open MPI's ABI, so they are <c>nint</c> here; the predefined ones are the
/// addresses of exported globals (<see cref="MpiLibrary"/>). Every function returns an MPI error code (0 = success).
/// Calls resolve through <see cref="MpiLibrary"/>'s loader.</summary>
internal static unsafe partial class MpiNative
{
    public const string Library = "libmpi.so.40";

    /// <summary>Open MPI's <c>MPI_IN_PLACE</c>: <c>(void *) 1</c>.</summary>
    public static readonly void* InPlace = (void*)1;

    [LibraryImport(Library)] public static partial int MPI_Initialized(int* flag);
    [LibraryImport(Library)] public static partial int MPI_Finalized(int* flag);
    [LibraryImport(Library)] public static partial int MPI_Init(nint argc, nint argv);
    [LibraryImport(Library)] public static partial int MPI_Finalize();
    [LibraryImport(Library)] public static partial int MPI_Comm_rank(nint comm, int* rank);
    [LibraryImport(Library)] public static partial int MPI_Comm_size(nint comm, int* size);
    [LibraryImport(Library)] public static partial int MPI_Comm_set_errhandler(nint comm, nint handler);
    [LibraryImport(Library)] public static partial int MPI_Get_library_version(byte* version, int* length);
    [LibraryImport(Library)] public static partial int MPI_Error_string(int code, byte* text, int* length);

    [LibraryImport(Library)]
    public static partial int MPI_Iallreduce(void* send, void* recv, int count, nint type, nint op, nint comm, nint* request);

    [LibraryImport(Library)]
    public static partial int MPI_Ireduce_scatter_block(void* send, void* recv, int recvCount, nint type, nint op, nint comm, nint* request);

    [LibraryImport(Library)]
    public static partial int MPI_Iallgather(void* send, int sendCount, nint sendType, void* recv, int recvCount, nint recvType, nint comm, nint* request);

    [LibraryImport(Library)] public static partial int MPI_Ibcast(void* buffer, int count, nint type, int root, nint comm, nint* request);
    [LibraryImport(Library)] public static partial int MPI_Ibarrier(nint comm, nint* request);

    /// <summary>Tests a request; <paramref name="status"/> 0 is <c>MPI_STATUS_IGNORE</c>.</summary>
    [LibraryImport(Library)] public static partial int MPI_Test(nint* request, int* flag, nint status);

    /// <summary>dlopen from the C library: Open MPI's plugins resolve libmpi's symbols, so it is loaded RTLD_GLOBAL.</summary>
    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint DlOpen(string file, int mode);

    public const int RtldNow = 2, RtldGlobal = 0x100;
}
