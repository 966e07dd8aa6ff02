using System.Runtime.InteropServices;
using Tessera.Cuda;
using Tessera.Cuda.Interop;
using Tessera.Devices;
using Native = Tessera.Cuda.Interop.Nccl;

namespace Tessera.Distributed.Nccl;

/// <summary>A communicator over NCCL (libnccl.so.2) on CUDA device memory: one rank per GPU. Rank 0 creates the unique
/// id, the bootstrap communicator (MPI across processes, or <see cref="LocalCommunicator"/> for a group of one) carries it
/// to every rank, and each rank joins with ncclCommInitRank. Collectives run in place on the tensors' device memory on
/// the communicator's own stream, after the work already queued on the device's default stream (an event orders them),
/// so they overlap with compute queued later on other streams. The handle's Wait polls the collective's completion event
/// and NCCL's asynchronous error state; past <see cref="Timeout"/> it aborts the NCCL communicator and throws naming the
/// rank and the collective. Average is NCCL's ncclAvg (NCCL 2.10 or later is required). UNTESTED ON A GPU: written and compile-checked on a
/// machine without one.</summary>
public sealed unsafe class NcclCommunicator : ICommunicator
{
    private static readonly Lazy<(BackendStatus Status, string Version)> Probed = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly CudaDevice _device;
    private readonly CudaStream _stream;
    private readonly CudaEvent _queued;
    private NcclComm _comm;
    private Tensor? _barrier;
    private TimeSpan _timeout = TimeSpan.FromMinutes(5);
    private bool _failed, _disposed;

    private NcclCommunicator(CudaDevice device, NcclComm comm, int rank, int size)
    {
        _device = device;
        _comm = comm;
        Rank = rank;
        Size = size;
        _stream = device.CreateStream();
        _queued = device.CreateEvent();
        Name = $"NCCL {Probed.Value.Version} on {device.Id}";
    }

    /// <summary>Whether libnccl.so.2 (2.10 or later) was found, or why not, with every location tried.</summary>
    public static BackendStatus Status => Probed.Value.Status;

    /// <summary>Joins the NCCL group whose ranks and size are those of <paramref name="bootstrap"/>, which carries rank
    /// 0's unique id to the others (a collective on <paramref name="bootstrap"/>: every rank must call this together).
    /// Throws <see cref="TesseraBackendException"/> when NCCL is unavailable (with the reason) or refuses to start.</summary>
    public static NcclCommunicator Create(CudaDevice device, ICommunicator bootstrap)
    {
        const string op = "NcclCommunicator.Create";
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(bootstrap);
        if (!Status.Available) throw new TesseraBackendException(op, $"NCCL is unavailable: {Status.Reason}");
        device.Context.MakeCurrent();
        NcclUniqueId id = default;
        if (bootstrap.Rank == 0) Native.ncclGetUniqueId(&id).Check();
        // The 128 id bytes travel as 32 floats, bit for bit (a broadcast moves bytes; it does no arithmetic).
        var bytes = MemoryMarshal.CreateSpan(ref id[0], NcclUniqueId.Size);
        using (var carrier = Tensor.FromSpan<float>(device, MemoryMarshal.Cast<byte, float>(bytes), NcclUniqueId.Size / sizeof(float)))
        {
            bootstrap.Broadcast(carrier, root: 0);
            carrier.CopyTo(MemoryMarshal.Cast<byte, float>(bytes));
        }
        device.Context.MakeCurrent();
        NcclComm comm;
        var rc = Native.ncclCommInitRank(&comm, bootstrap.Size, id, bootstrap.Rank);
        if (rc != ncclResult_t.ncclSuccess)
            throw new TesseraBackendException(op, $"rank {bootstrap.Rank} of {bootstrap.Size} could not join: {CudaCheck.Error(rc, "ncclCommInitRank").Message}");
        return new NcclCommunicator(device, comm, bootstrap.Rank, bootstrap.Size);
    }

    /// <inheritdoc/>
    public int Rank { get; }
    /// <inheritdoc/>
    public int Size { get; }
    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The device whose memory the collectives run on.</summary>
    public CudaDevice Device => _device;

    /// <inheritdoc/>
    public TimeSpan Timeout
    {
        get => _timeout;
        set
        {
            CollectiveChecks.Timeout("NcclCommunicator.Timeout", value);
            _timeout = value;
        }
    }

    /// <inheritdoc/>
    public CollectiveHandle AllReduceAsync(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        const string name = "NcclCommunicator.AllReduce";
        CollectiveChecks.Tensor(name, nameof(tensor), tensor);
        void* p = Pointer(name, nameof(tensor), tensor);
        var count = (nuint)tensor.ElementCount;
        return Launch(name, $"AllReduce of {count} floats",
            () => Native.ncclAllReduce(p, p, count, ncclDataType_t.ncclFloat32, RedOp(op), _comm, _stream.Handle));
    }

    /// <inheritdoc/>
    public CollectiveHandle ReduceScatterAsync(Tensor input, Tensor output, ReduceOp op = ReduceOp.Sum)
    {
        const string name = "NcclCommunicator.ReduceScatter";
        CollectiveChecks.ReduceScatter(name, input, output, Size);
        void* src = Pointer(name, nameof(input), input), dst = Pointer(name, nameof(output), output);
        var count = (nuint)output.ElementCount;
        return Launch(name, $"ReduceScatter of {input.ElementCount} floats",
            () => Native.ncclReduceScatter(src, dst, count, ncclDataType_t.ncclFloat32, RedOp(op), _comm, _stream.Handle));
    }

    /// <inheritdoc/>
    public CollectiveHandle AllGatherAsync(Tensor input, Tensor output)
    {
        const string name = "NcclCommunicator.AllGather";
        CollectiveChecks.AllGather(name, input, output, Size);
        void* src = Pointer(name, nameof(input), input), dst = Pointer(name, nameof(output), output);
        var count = (nuint)input.ElementCount;
        return Launch(name, $"AllGather of {count} floats",
            () => Native.ncclAllGather(src, dst, count, ncclDataType_t.ncclFloat32, _comm, _stream.Handle));
    }

    /// <inheritdoc/>
    public CollectiveHandle BroadcastAsync(Tensor tensor, int root = 0)
    {
        const string name = "NcclCommunicator.Broadcast";
        CollectiveChecks.Tensor(name, nameof(tensor), tensor);
        CollectiveChecks.Root(name, root, Size);
        void* p = Pointer(name, nameof(tensor), tensor);
        var count = (nuint)tensor.ElementCount;
        return Launch(name, $"Broadcast of {count} floats from rank {root}",
            () => Native.ncclBroadcast(p, p, count, ncclDataType_t.ncclFloat32, root, _comm, _stream.Handle));
    }

    /// <summary>An all-reduce of one float: complete on a rank once every rank has reached it.</summary>
    public CollectiveHandle BarrierAsync()
    {
        const string name = "NcclCommunicator.Barrier";
        ThrowIfUnusable(name);
        _barrier ??= Tensor.Zeros(_device, DType.Float32, 1);
        void* p = (void*)_barrier.Address;
        return Launch(name, "Barrier", () => Native.ncclAllReduce(p, p, 1, ncclDataType_t.ncclFloat32, ncclRedOp_t.ncclSum, _comm, _stream.Handle));
    }

    private static ncclRedOp_t RedOp(ReduceOp op) => op == ReduceOp.Average ? ncclRedOp_t.ncclAvg : ncclRedOp_t.ncclSum;

    private void* Pointer(string op, string name, Tensor t)
    {
        ThrowIfUnusable(op);
        if (!ReferenceEquals(t.Device, _device))
            throw new TesseraDeviceException(op, name, $"the tensor is on {t.Device.Id}; this NCCL communicator runs on {_device.Id}");
        return (void*)t.Address;
    }

    /// <summary>Orders the collective after the default stream's queued work, enqueues it on the communication stream
    /// and records its completion event.</summary>
    private NcclRequest Launch(string op, string description, Func<ncclResult_t> enqueue)
    {
        _device.Context.MakeCurrent();
        _queued.Record(_device.DefaultStream);
        _stream.Wait(_queued);
        var rc = enqueue();
        if (rc != ncclResult_t.ncclSuccess)
        {
            _failed = true;
            throw new TesseraCollectiveException(op, Rank, $"could not start {description}: {CudaCheck.Error(rc, op).Message}");
        }
        var done = _device.CreateEvent();
        done.Record(_stream);
        return new NcclRequest(this, description, done);
    }

    /// <summary>NCCL's asynchronous error for the communicator (a failed or aborted peer), or null.</summary>
    internal string? AsyncError()
    {
        ncclResult_t error;
        if (Native.ncclCommGetAsyncError(_comm, &error) != ncclResult_t.ncclSuccess || error is ncclResult_t.ncclSuccess or ncclResult_t.ncclInProgress)
            return null;
        return CudaCheck.Error(error, "NCCL").Message;
    }

    /// <summary>A collective failed or timed out: the NCCL communicator is aborted (its kernels end) and this one
    /// refuses further collectives.</summary>
    internal void Fail()
    {
        if (_failed && _comm.IsNull) return;
        _failed = true;
        if (!_comm.IsNull) _ = Native.ncclCommAbort(_comm); // the caller reports the failure that led here
        _comm = default;
    }

    private void ThrowIfUnusable(string op)
    {
        if (_disposed) throw new TesseraDisposedException(op, "the NCCL communicator");
        if (_failed) throw new TesseraCollectiveException(op, Rank, "an earlier collective failed and the NCCL communicator was aborted");
    }

    /// <summary>Destroys the NCCL communicator (aborts it when a collective failed) and its stream.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _device.Context.MakeCurrent();
        if (!_comm.IsNull)
        {
            if (_failed) _ = Native.ncclCommAbort(_comm);
            else _ = Native.ncclCommDestroy(_comm); // nothing to do about a failure at exit
            _comm = default;
        }
        _barrier?.Dispose();
        _queued.Dispose();
        _stream.Dispose();
    }

    private static (BackendStatus, string) Probe()
    {
        var load = CudaLibraries.Get(CudaLibrary.Nccl);
        if (!load.Loaded)
            return (BackendStatus.Unavailable(
                $"NCCL's libnccl.so.2 was not found (it ships with PyTorch's CUDA wheels as nvidia/nccl/lib; set {CudaLibraries.Spec(CudaLibrary.Nccl).OverrideVariable})",
                load.Attempts), "");
        int code = 0;
        try
        {
            Native.ncclGetVersion(&code).Check();
        }
        catch (Exception e) when (e is TesseraBackendException or EntryPointNotFoundException)
        {
            return (BackendStatus.Unavailable($"{load.Path} loaded but ncclGetVersion failed: {e.Message}", load.Attempts), "");
        }
        string version = Native.VersionText(code);
        if (code < 21000)
            return (BackendStatus.Unavailable($"{load.Path} is NCCL {version}; 2.10 or later is needed (ncclAvg)", load.Attempts), version);
        return (new BackendStatus(true, "", load.Attempts), version);
    }
}
