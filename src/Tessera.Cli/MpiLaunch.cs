using System.Runtime.InteropServices;
using Tessera.Distributed;
using Tessera.Distributed.Mpi;

namespace Tessera.Cli;

/// <summary>The commands' view of an <c>mpirun</c> launch: rank and size from Open MPI's environment
/// (OMPI_COMM_WORLD_RANK/_SIZE/_LOCAL_SIZE), the world communicator, and the CPU threads a rank gets. When a rank
/// dies, mpirun ends the others with SIGTERM: each then prints which collective it was waiting in.</summary>
internal static class MpiLaunch
{
    private static PosixSignalRegistration? _terminate;

    /// <summary>The ranks of this machine (1 outside mpirun).</summary>
    public static int LocalSize => Variable("OMPI_COMM_WORLD_LOCAL_SIZE") ?? 1;

    /// <summary>The world communicator of the <c>mpirun</c> job this process belongs to; <paramref name="option"/>
    /// names the option that asked for it in errors.</summary>
    public static ICommunicator Open(string command, string option, double timeoutSeconds)
    {
        if (!(timeoutSeconds > 0) || !double.IsFinite(timeoutSeconds))
            throw new TesseraArgumentException(command, "--timeout", $"must be a positive number of seconds, got {timeoutSeconds}");
        int? size = Variable("OMPI_COMM_WORLD_SIZE"), rank = Variable("OMPI_COMM_WORLD_RANK");
        if (size is null || rank is null)
            throw new TesseraArgumentException(command, option, "needs an Open MPI launch (mpirun -np N tessera ...); OMPI_COMM_WORLD_SIZE/_RANK are not set");
        var comm = MpiCommunicator.Create();
        if (comm.Size != size || comm.Rank != rank)
        {
            comm.Dispose();
            throw new TesseraBackendException(command, $"MPI reports rank {comm.Rank} of {comm.Size}, the environment rank {rank} of {size}");
        }
        comm.Timeout = TimeSpan.FromSeconds(timeoutSeconds);
        _terminate?.Dispose();
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Console.Error.WriteLine(
            $"error: {command}: rank {comm.Rank}: ended by the launcher (SIGTERM)" +
            (comm.Waiting is { } w ? $" while waiting in {w}" : "") + ": another rank failed or the job was aborted"));
        return comm;
    }

    /// <summary>The CPU threads of one rank: <paramref name="requested"/> when the user gave it, else the machine's
    /// cores split between the ranks on it.</summary>
    public static int Threads(int requested) =>
        requested != Cli.DefaultThreads ? requested : Math.Max(1, Cli.DefaultThreads / LocalSize);

    private static int? Variable(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v >= 0 ? v : null;
}
