using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tessera.Distributed.Mpi;

/// <summary>A nonblocking MPI collective and its host staging buffer. <see cref="Wait"/> drives MPI's progress with
/// MPI_Test until the request completes, then runs the completion (copy the result back into the tensor) and frees the
/// buffer; <see cref="Test"/> calls MPI_Test once, which is how MPI advances a nonblocking collective while the caller
/// computes. When the communicator's timeout passes first it throws a <see cref="TesseraCollectiveException"/> naming
/// the rank and the collective, and leaves the buffer allocated (MPI may still write into it).</summary>
internal sealed unsafe class MpiRequest : CollectiveHandle
{
    private readonly MpiCommunicator _comm;
    private readonly string _description;
    private nint _request;
    private void* _buffer;
    private Action<nint>? _complete;
    private bool _done, _finished;

    public MpiRequest(MpiCommunicator comm, string description, nint request, void* buffer, Action<nint>? complete)
    {
        _comm = comm;
        _description = description;
        _request = request;
        _buffer = buffer;
        _complete = complete;
    }

    public override string Description => _description;
    public override bool IsCompleted => _done;

    public override bool Test()
    {
        if (_done || _finished) return true;
        int flag = 0;
        nint request = _request;
        int rc = MpiNative.MPI_Test(&request, &flag, 0);
        _request = request;
        if (rc != 0) Fail(rc);
        _finished = flag != 0;
        return _finished;
    }

    public override void Wait()
    {
        if (_done) return;
        var timeout = _comm.Timeout;
        long start = Stopwatch.GetTimestamp();
        _comm.Waiting = _description;
        try
        {
            if (!_finished) Poll(timeout, start);
        }
        finally
        {
            _comm.Waiting = null;
        }
        _done = true;
        try
        {
            _complete?.Invoke((nint)_buffer);
        }
        finally
        {
            NativeMemory.Free(_buffer);
            _buffer = null;
            _complete = null;
        }
    }

    private void Poll(TimeSpan timeout, long start)
    {
        for (int spins = 0; ; spins++)
        {
            int flag = 0;
            nint request = _request;
            int rc = MpiNative.MPI_Test(&request, &flag, 0);
            _request = request;
            if (rc != 0) Fail(rc);
            if (flag != 0) break;
            if (Stopwatch.GetElapsedTime(start) > timeout)
            {
                _comm.MarkFailed();
                throw new TesseraCollectiveException("MPI." + _description.Split(' ')[0], _comm.Rank,
                    $"{_description} did not complete within {timeout.TotalSeconds:0.###} s (another rank died, hangs, or called a different collective)");
            }
            // Poll, yielding the core to other runnable threads (ranks may share cores); after 50 ms of waiting,
            // sleep between polls (a long wait is another rank's computation, not the network).
            if (spins > 64 && Stopwatch.GetElapsedTime(start).TotalMilliseconds > 50) Thread.Sleep(1);
            else Thread.Yield();
        }
    }

    private void Fail(int rc)
    {
        _comm.MarkFailed();
        throw new TesseraCollectiveException("MPI." + _description.Split(' ')[0], _comm.Rank, $"{_description} failed: {MpiLibrary.ErrorText(rc)}");
    }
}
