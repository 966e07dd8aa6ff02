using System.Runtime.InteropServices;

namespace Tessera.Distributed.Mpi;

/// <summary>The world communicator of Open MPI (every process that <c>mpirun</c> started). Collectives run on host
/// memory: each call copies the tensor into a host buffer (from any device), starts MPI's nonblocking collective
/// (MPI_Iallreduce, MPI_Ireduce_scatter_block, MPI_Iallgather, MPI_Ibcast, MPI_Ibarrier) and returns; the handle's
/// Wait polls it to completion within <see cref="Timeout"/> and copies the result back. Average is the sum scaled
/// by 1/Size on each rank. MPI is initialised on the first <see cref="Create"/> (and finalised on Dispose unless a
/// collective failed: then the process must exit, and the launcher ends the other ranks). Calls must come from one
/// thread.</summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    private readonly nint _comm;
    private readonly bool _initializedHere;
    private TimeSpan _timeout = TimeSpan.FromMinutes(5);
    private bool _failed, _disposed;
    private int _sequence;

    private MpiCommunicator(nint comm, int rank, int size, bool initializedHere)
    {
        _comm = comm;
        Rank = rank;
        Size = size;
        _initializedHere = initializedHere;
        Name = $"MPI ({MpiLibrary.Version()})";
        CheckCollectives = CollectiveFingerprint.FromEnvironment("MpiCommunicator.Create");
    }

    /// <summary>Initialises MPI (when not yet) and returns MPI_COMM_WORLD. Throws <see cref="TesseraBackendException"/>
    /// when MPI is unavailable (with the reason) or fails to initialise.</summary>
    public static MpiCommunicator Create()
    {
        const string op = "MpiCommunicator.Create";
        MpiLibrary.Require(op);
        int flag = 0;
        Check(op, MpiNative.MPI_Finalized(&flag), "MPI_Finalized");
        if (flag != 0) throw new TesseraBackendException(op, "MPI was already finalised in this process (it cannot start twice)");
        Check(op, MpiNative.MPI_Initialized(&flag), "MPI_Initialized");
        bool init = flag == 0;
        GlibcMalloc.KeepFreedMemory();
        if (init) Check(op, MpiNative.MPI_Init(0, 0), "MPI_Init");
        var world = MpiLibrary.CommWorld;
        Check(op, MpiNative.MPI_Comm_set_errhandler(world, MpiLibrary.ErrorsReturn), "MPI_Comm_set_errhandler");
        int rank = 0, size = 0;
        Check(op, MpiNative.MPI_Comm_rank(world, &rank), "MPI_Comm_rank");
        Check(op, MpiNative.MPI_Comm_size(world, &size), "MPI_Comm_size");
        return new MpiCommunicator(world, rank, size, init);
    }

    /// <inheritdoc/>
    public int Rank { get; }
    /// <inheritdoc/>
    public int Size { get; }
    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public TimeSpan Timeout
    {
        get => _timeout;
        set
        {
            CollectiveChecks.Timeout("MpiCommunicator.Timeout", value);
            _timeout = value;
        }
    }

    internal void MarkFailed() => _failed = true;

    /// <summary>Whether each collective is preceded by an exchange of the ranks' <see cref="CollectiveFingerprint"/>s,
    /// so that ranks calling different collectives fail with an error naming both sides instead of hanging (set from
    /// <see cref="CollectiveFingerprint.DebugVariable"/>=DETAIL at creation; costs a small all-gather per collective).</summary>
    public bool CheckCollectives { get; set; }

    /// <summary>The collective a <see cref="CollectiveHandle.Wait"/> is blocked in ("AllReduce of 1024 floats"), or
    /// null: what a signal handler reports when the launcher ends the process (another rank died).</summary>
    public string? Waiting { get => Volatile.Read(ref _waiting); internal set => Volatile.Write(ref _waiting, value); }
    private string? _waiting;

    /// <summary>Counts the collective and, in the debug mode, checks that every rank calls the same one.</summary>
    private void Verify(string op, CollectiveKind kind, ReduceOp reduce, int count, int root)
    {
        int sequence = _sequence++;
        if (!CheckCollectives) return;
        var mine = new CollectiveFingerprint(kind, reduce, count, root, sequence);
        const int n = CollectiveFingerprint.Length;
        int* buf = (int*)NativeMemory.Alloc((nuint)(n * Size), sizeof(int));
        mine.ToInts().CopyTo(new Span<int>(buf + n * Rank, n));
        nint request = 0;
        Start(op, buf, MpiNative.MPI_Iallgather(MpiNative.InPlace, 0, 0, buf, n, MpiLibrary.Int, _comm, &request));
        var all = new CollectiveFingerprint[Size];
        new MpiRequest(this, $"fingerprint exchange before {mine}", request, buf, p =>
        {
            var ints = new ReadOnlySpan<int>((int*)p, n * Size);
            for (int r = 0; r < Size; r++) all[r] = CollectiveFingerprint.FromInts(ints, r * n);
        }).Wait();
        if (CollectiveFingerprint.Mismatch(Rank, all) is { } error)
        {
            _failed = true;
            throw new TesseraCollectiveException(op, Rank, error);
        }
    }

    /// <inheritdoc/>
    public CollectiveHandle AllReduceAsync(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        const string name = "MpiCommunicator.AllReduce";
        CollectiveChecks.Tensor(name, nameof(tensor), tensor);
        int n = Count(name, tensor);
        Verify(name, CollectiveKind.AllReduce, op, n, 0);
        float* buf = Stage(tensor, n);
        nint request = 0;
        Start(name, buf, MpiNative.MPI_Iallreduce(MpiNative.InPlace, buf, n, MpiLibrary.Float, MpiLibrary.Sum, _comm, &request));
        float scale = op == ReduceOp.Average ? 1f / Size : 1f;
        return new MpiRequest(this, $"AllReduce of {n} floats", request, buf, p => Unstage(tensor, (float*)p, n, scale));
    }

    /// <inheritdoc/>
    public CollectiveHandle ReduceScatterAsync(Tensor input, Tensor output, ReduceOp op = ReduceOp.Sum)
    {
        const string name = "MpiCommunicator.ReduceScatter";
        CollectiveChecks.ReduceScatter(name, input, output, Size);
        int k = Count(name, output);
        Verify(name, CollectiveKind.ReduceScatter, op, Count(name, input), 0);
        float* buf = Stage(input, (int)input.ElementCount);
        nint request = 0;
        // In place: the rank's block lands at the start of the buffer.
        Start(name, buf, MpiNative.MPI_Ireduce_scatter_block(MpiNative.InPlace, buf, k, MpiLibrary.Float, MpiLibrary.Sum, _comm, &request));
        float scale = op == ReduceOp.Average ? 1f / Size : 1f;
        return new MpiRequest(this, $"ReduceScatter of {input.ElementCount} floats", request, buf, p => Unstage(output, (float*)p, k, scale));
    }

    /// <inheritdoc/>
    public CollectiveHandle AllGatherAsync(Tensor input, Tensor output)
    {
        const string name = "MpiCommunicator.AllGather";
        CollectiveChecks.AllGather(name, input, output, Size);
        int k = Count(name, input);
        int total = Count(name, output);
        Verify(name, CollectiveKind.AllGather, ReduceOp.Sum, k, 0);
        float* buf = (float*)NativeMemory.Alloc((nuint)total, sizeof(float));
        input.CopyTo(new Span<float>(buf + (long)k * Rank, k));
        nint request = 0;
        Start(name, buf, MpiNative.MPI_Iallgather(MpiNative.InPlace, 0, 0, buf, k, MpiLibrary.Float, _comm, &request));
        return new MpiRequest(this, $"AllGather of {k} floats", request, buf, p => Unstage(output, (float*)p, total, 1f));
    }

    /// <inheritdoc/>
    public CollectiveHandle BroadcastAsync(Tensor tensor, int root = 0)
    {
        const string name = "MpiCommunicator.Broadcast";
        CollectiveChecks.Tensor(name, nameof(tensor), tensor);
        CollectiveChecks.Root(name, root, Size);
        int n = Count(name, tensor);
        Verify(name, CollectiveKind.Broadcast, ReduceOp.Sum, n, root);
        float* buf = Rank == root ? Stage(tensor, n) : (float*)NativeMemory.Alloc((nuint)Math.Max(n, 1), sizeof(float));
        nint request = 0;
        Start(name, buf, MpiNative.MPI_Ibcast(buf, n, MpiLibrary.Float, root, _comm, &request));
        bool receive = Rank != root;
        return new MpiRequest(this, $"Broadcast of {n} floats from rank {root}", request, buf, p => { if (receive) Unstage(tensor, (float*)p, n, 1f); });
    }

    /// <inheritdoc/>
    public CollectiveHandle BarrierAsync()
    {
        ThrowIfDisposed("MpiCommunicator.Barrier");
        Verify("MpiCommunicator.Barrier", CollectiveKind.Barrier, ReduceOp.Sum, 0, 0);
        nint request = 0;
        void* buf = NativeMemory.Alloc(1);
        Start("MpiCommunicator.Barrier", buf, MpiNative.MPI_Ibarrier(_comm, &request));
        return new MpiRequest(this, "Barrier", request, buf, null);
    }

    private int Count(string op, Tensor t)
    {
        ThrowIfDisposed(op);
        if (t.ElementCount > int.MaxValue)
            throw new TesseraArgumentException(op, "tensor", $"{t.ElementCount} elements exceed MPI's int count ({int.MaxValue})");
        return (int)t.ElementCount;
    }

    private static float* Stage(Tensor t, int n)
    {
        var buf = (float*)NativeMemory.Alloc((nuint)Math.Max(n, 1), sizeof(float));
        t.CopyTo(new Span<float>(buf, n));
        return buf;
    }

    private static void Unstage(Tensor t, float* buf, int n, float scale)
    {
        var span = new Span<float>(buf, n);
        if (scale != 1f) foreach (ref float v in span) v *= scale;
        t.CopyFrom<float>(span);
    }

    private void Start(string op, void* buffer, int rc)
    {
        if (rc == 0) return;
        NativeMemory.Free(buffer);
        _failed = true;
        throw new TesseraCollectiveException(op, Rank, $"could not start: {MpiLibrary.ErrorText(rc)}");
    }

    private static void Check(string op, int rc, string call)
    {
        if (rc != 0) throw new TesseraBackendException(op, $"{call} failed: {MpiLibrary.ErrorText(rc)}");
    }

    private void ThrowIfDisposed(string op)
    {
        if (_disposed) throw new TesseraDisposedException(op, "the MPI communicator (MPI is finalised)");
    }

    /// <summary>Finalises MPI when this communicator initialised it and no collective failed.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_initializedHere && !_failed) _ = MpiNative.MPI_Finalize(); // nothing to do about a failure at exit
    }
}
