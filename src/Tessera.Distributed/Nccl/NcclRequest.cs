using System.Diagnostics;
using Tessera.Cuda;

namespace Tessera.Distributed.Nccl;

/// <summary>An NCCL collective in flight: <see cref="Wait"/> polls its completion event and NCCL's asynchronous
/// error state until it completes, and aborts the communicator when an error appears or the timeout passes.</summary>
internal sealed class NcclRequest(NcclCommunicator comm, string description, CudaEvent done) : CollectiveHandle
{
    private bool _done;

    public override string Description => description;
    public override bool IsCompleted => _done;

    public override bool Test() => _done || done.IsCompleted;

    public override void Wait()
    {
        if (_done) return;
        var timeout = comm.Timeout;
        string op = "NCCL." + description.Split(' ')[0];
        long start = Stopwatch.GetTimestamp();
        try
        {
            for (int spins = 0; !done.IsCompleted; spins++)
            {
                if (comm.AsyncError() is { } error)
                {
                    comm.Fail();
                    throw new TesseraCollectiveException(op, comm.Rank, $"{description} failed: {error}");
                }
                if (Stopwatch.GetElapsedTime(start) > timeout)
                {
                    comm.Fail();
                    throw new TesseraCollectiveException(op, comm.Rank,
                        $"{description} did not complete within {timeout.TotalSeconds:0.###} s (another rank died, hangs, or called a different collective)");
                }
                if (spins > 64 && Stopwatch.GetElapsedTime(start).TotalMilliseconds > 50) Thread.Sleep(1);
                else Thread.Yield();
            }
        }
        catch (TesseraBackendException e)
        {
            comm.Fail();
            throw new TesseraCollectiveException(op, comm.Rank, $"{description} failed: {e.Message}", e);
        }
        _done = true;
        done.Dispose();
    }
}
