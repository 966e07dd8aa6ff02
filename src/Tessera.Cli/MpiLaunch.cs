using System.Runtime.InteropServices;
using Tessera.Cuda;
using Tessera.Devices;
using Tessera.Distributed;
using Tessera.Distributed.Mpi;
using Tessera.Distributed.Nccl;

namespace Tessera.Cli;

/// <summary>The commands' view of an <c>mpirun</c> launch: rank and size from Open MPI's environment
/// (OMPI_COMM_WORLD_RANK/_SIZE/_LOCAL_SIZE), the world communicator, and the CPU threads a rank gets. When a rank
/// dies, mpirun ends the others with SIGTERM: each then prints which collective it was waiting in.</summary>
internal static class MpiLaunch
{
    private static PosixSignalRegistration? _terminate;

    /// <summary>The ranks of this machine (1 outside mpirun).</summary>
    public static int LocalSize => Variable("OMPI_COMM_WORLD_LOCAL_SIZE") ?? 1;

    /// <summary>This rank's index among the ranks of its machine (0 outside mpirun).</summary>
    public static int LocalRank => Variable("OMPI_COMM_WORLD_LOCAL_RANK") ?? 0;

    /// <summary>Whether this process was started by Open MPI's mpirun.</summary>
    public static bool IsLaunched => Variable("OMPI_COMM_WORLD_SIZE") is not null && Variable("OMPI_COMM_WORLD_RANK") is not null;

    /// <summary>The world communicator of the <c>mpirun</c> job this process belongs to; <paramref name="option"/>
    /// names the option that asked for it in errors.</summary>
    public static ICommunicator Open(string command, string option, double timeoutSeconds)
    {
        var timeout = Timeout(command, timeoutSeconds);
        int? size = Variable("OMPI_COMM_WORLD_SIZE"), rank = Variable("OMPI_COMM_WORLD_RANK");
        if (size is null || rank is null)
            throw new TesseraArgumentException(command, option, "needs an Open MPI launch (mpirun -np N tessera ...); OMPI_COMM_WORLD_SIZE/_RANK are not set");
        var comm = MpiCommunicator.Create();
        if (comm.Size != size || comm.Rank != rank)
        {
            comm.Dispose();
            throw new TesseraBackendException(command, $"MPI reports rank {comm.Rank} of {comm.Size}, the environment rank {rank} of {size}");
        }
        comm.Timeout = timeout;
        _terminate?.Dispose();
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Console.Error.WriteLine(
            $"error: {command}: rank {comm.Rank}: ended by the launcher (SIGTERM)" +
            (comm.Waiting is { } w ? $" while waiting in {w}" : "") + ": another rank failed or the job was aborted"));
        return comm;
    }

    /// <summary>The device a rank opens: under mpirun, a plain "cuda" is the GPU of the rank's local index.</summary>
    public static string RankDevice(string id) =>
        IsLaunched && id.Equals("cuda", StringComparison.OrdinalIgnoreCase) ? $"cuda:{LocalRank}" : id;

    /// <summary>Which library carries a rank's collectives: <paramref name="backend"/> ("mpi" or "nccl") when given,
    /// else NCCL on a CUDA device and MPI elsewhere.</summary>
    public static bool UsesNccl(string command, IDevice device, string? backend)
    {
        string choice = (backend ?? (device is CudaDevice ? "nccl" : "mpi")).ToLowerInvariant();
        if (choice is not ("mpi" or "nccl"))
            throw new TesseraArgumentException(command, "--backend", $"expected mpi or nccl, got '{backend}'");
        if (choice == "nccl" && device is not CudaDevice)
            throw new TesseraArgumentException(command, "--backend", $"NCCL runs on CUDA devices, not {device.Id}");
        return choice == "nccl";
    }

    /// <summary>NCCL on <paramref name="device"/> over <paramref name="host"/> (which carries NCCL's id) when
    /// <see cref="UsesNccl"/> says so, else null (the collectives stay on <paramref name="host"/>). Every rank must
    /// call this together.</summary>
    public static NcclCommunicator? Nccl(string command, IDevice device, ICommunicator host, string? backend, TimeSpan timeout)
    {
        if (!UsesNccl(command, device, backend)) return null;
        var nccl = NcclCommunicator.Create((CudaDevice)device, host);
        nccl.Timeout = timeout;
        return nccl;
    }

    /// <summary>The --timeout of a collective: a positive, finite number of seconds.</summary>
    public static TimeSpan Timeout(string command, double seconds)
    {
        if (!(seconds > 0) || !double.IsFinite(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds)
            throw new TesseraArgumentException(command, "--timeout", $"must be a positive number of seconds, got {seconds}");
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>The CPU threads of one rank: <paramref name="requested"/> when the user gave it, else the machine's
    /// cores split between the ranks on it.</summary>
    public static int Threads(int requested) =>
        requested != Cli.DefaultThreads ? requested : Math.Max(1, Cli.DefaultThreads / LocalSize);

    private static int? Variable(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v >= 0 ? v : null;
}
