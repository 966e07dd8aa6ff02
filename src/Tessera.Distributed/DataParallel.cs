using Tessera.Graph.Operators;
using Tessera.Graph.Training;

namespace Tessera.Distributed;

/// <summary>Data-parallel training over a communicator (as PyTorch's DistributedDataParallel does): every rank holds
/// the whole model and trains on its shard of each global batch. <see cref="BroadcastParameters"/> makes the ranks
/// start from rank 0's weights; after each backward pass <see cref="Reduce"/> averages the gradients over the ranks in
/// buckets — the parameters in reverse order (the order the backward pass produces their gradients), packed into flat
/// buckets of at most <see cref="BucketBytes"/> (the first at most <see cref="FirstBucketBytes"/>, so communication
/// starts early); each bucket's all-reduce starts as soon as it is packed, and all are waited for before the gradients
/// are unpacked. Driven by the <see cref="Trainer"/> (<see cref="BeginStep"/>, <see cref="GradientReady"/>), a bucket
/// is packed and its all-reduce started as soon as the backward pass has issued the last node producing one of its
/// gradients, so communication overlaps the rest of the backward pass (on CUDA, NCCL runs on its own stream after an
/// event on the plan's); <see cref="Reduce"/> then starts whatever is left and waits. The model's buffers (batch-norm
/// running statistics) are then broadcast from rank 0, so every rank evaluates the same model. With equal shards the
/// averaged gradient is the gradient of the global batch's mean loss, so training matches one process on the global
/// batch up to the order of floating-point summation. As the plan's <see cref="IReplicaGroup"/>
/// (<see cref="ExecContext.Replicas"/>) it makes batch norm use the global batch's statistics (SyncBatchNorm), without
/// which a model with batch norm would normalise each shard on its own.</summary>
public sealed class DataParallel : IGradientReducer, IReplicaGroup, IDisposable
{
    /// <summary>PyTorch DDP's default bucket capacity, 25 MiB.</summary>
    public const long DefaultBucketBytes = 25L << 20;

    /// <summary>PyTorch DDP's first bucket, 1 MiB.</summary>
    public const long DefaultFirstBucketBytes = 1L << 20;

    private readonly (string Name, Tensor Tensor)[] _buffers;
    private FlatTensors[]? _buckets;
    private string[][] _bucketNames = [];
    private int[] _bucketOf = [];                 // gradient index → its bucket
    private int[] _waiting = [];                  // per bucket, gradients not yet produced in this step
    private CollectiveHandle?[] _handles = [];    // per bucket, its all-reduce once started in this step
    private Tensor[] _grads = [];
    private bool _inStep;

    /// <param name="communicator">The ranks that train together.</param>
    /// <param name="buffers">Tensors that are not trained but must agree across ranks (the model's state).</param>
    public DataParallel(ICommunicator communicator, IEnumerable<(string Name, Tensor Tensor)>? buffers = null,
        long bucketBytes = DefaultBucketBytes, long firstBucketBytes = DefaultFirstBucketBytes)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        if (bucketBytes < sizeof(float)) throw new TesseraArgumentException("DataParallel", nameof(bucketBytes), $"must be at least 4 bytes, got {bucketBytes}");
        if (firstBucketBytes < sizeof(float)) throw new TesseraArgumentException("DataParallel", nameof(firstBucketBytes), $"must be at least 4 bytes, got {firstBucketBytes}");
        Communicator = communicator;
        BucketBytes = bucketBytes;
        FirstBucketBytes = firstBucketBytes;
        _buffers = buffers?.ToArray() ?? [];
    }

    /// <summary>The group of ranks gradients are averaged over.</summary>
    public ICommunicator Communicator { get; }
    /// <summary>The size of a gradient bucket, in bytes (25 MiB by default).</summary>
    public long BucketBytes { get; }
    /// <summary>The size of the first bucket, smaller so that its all-reduce starts early (1 MiB by default).</summary>
    public long FirstBucketBytes { get; }

    /// <summary>The number of ranks (<see cref="IReplicaGroup"/>).</summary>
    public int Count => Communicator.Size;

    /// <summary>Sums <paramref name="tensor"/> over the ranks (<see cref="IReplicaGroup"/>: batch-norm statistics).</summary>
    public void SumAcross(Tensor tensor) => Communicator.AllReduce(tensor, ReduceOp.Sum);

    /// <summary>The gradients' names in each bucket, in all-reduce order (empty before the first <see cref="Reduce"/>).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Buckets => _bucketNames;

    /// <summary>Copies rank <paramref name="root"/>'s tensors into every rank's (all broadcasts in flight together).</summary>
    public void BroadcastParameters(IEnumerable<(string Name, Tensor Tensor)> tensors, int root = 0)
    {
        var handles = tensors.Select(t => Communicator.BroadcastAsync(t.Tensor, root)).ToList();
        foreach (var h in handles) h.Wait();
    }

    /// <summary>Splits tensors of the given byte sizes, taken last to first, into buckets: a tensor joins the current
    /// bucket while the bucket stays within its capacity (the first <paramref name="firstCap"/>, the others
    /// <paramref name="cap"/>); a tensor larger than a capacity gets a bucket of its own. Returns the indices per bucket.</summary>
    public static IReadOnlyList<int[]> PlanBuckets(IReadOnlyList<long> bytes, long cap, long firstCap)
    {
        var buckets = new List<int[]>();
        var current = new List<int>();
        long size = 0;
        for (int i = bytes.Count - 1; i >= 0; i--)
        {
            long limit = buckets.Count == 0 ? firstCap : cap;
            if (current.Count > 0 && size + bytes[i] > limit)
            {
                buckets.Add(current.ToArray());
                current.Clear();
                size = 0;
            }
            current.Add(i);
            size += bytes[i];
        }
        if (current.Count > 0) buckets.Add(current.ToArray());
        return buckets;
    }

    /// <summary>Averages every gradient over the ranks, bucket by bucket, then broadcasts the buffers from rank 0. After
    /// <see cref="BeginStep"/>, starts the buckets <see cref="GradientReady"/> has not, waits for all and unpacks.</summary>
    public void Reduce(IReadOnlyList<(string Name, Tensor Param, Tensor Grad)> gradients)
    {
        if (!_inStep) BeginStep(gradients);
        else if (gradients.Count != _grads.Length)
            throw new TesseraArgumentException("DataParallel.Reduce", nameof(gradients), "the gradients differ from the step's");
        try
        {
            for (int b = 0; b < _buckets!.Length; b++)
                if (_handles[b] is null) Start(b);
            for (int b = 0; b < _buckets.Length; b++)
            {
                _handles[b]!.Wait();
                _buckets[b].Unpack(_grads);
            }
        }
        finally
        {
            _inStep = false;
            Array.Clear(_handles);
        }
        SyncBuffers();
    }

    /// <summary>A training step begins (<see cref="IGradientReducer.BeginStep"/>): buckets are made on the first step, and
    /// every bucket waits for all of its gradients again.</summary>
    public void BeginStep(IReadOnlyList<(string Name, Tensor Param, Tensor Grad)> gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        _buckets ??= CreateBuckets(gradients);
        if (_bucketOf.Length != gradients.Count)
            throw new TesseraArgumentException("DataParallel.BeginStep", nameof(gradients), "the gradients differ from the first step's");
        for (int i = 0; i < gradients.Count; i++) _grads[i] = gradients[i].Grad;
        for (int b = 0; b < _buckets.Length; b++) _waiting[b] = _buckets[b].Indices.Length;
        Array.Clear(_handles);
        _inStep = true;
    }

    /// <summary>Gradient <paramref name="index"/> is produced (<see cref="IGradientReducer.GradientReady"/>): when it was
    /// the last of its bucket, the bucket is packed and its all-reduce started; the others in flight are given a chance
    /// to progress (MPI advances non-blocking collectives inside its calls).</summary>
    public void GradientReady(int index)
    {
        if (!_inStep || (uint)index >= (uint)_bucketOf.Length) return;
        int b = _bucketOf[index];
        if (--_waiting[b] == 0 && _handles[b] is null) Start(b);
        else
            foreach (var h in _handles)
                if (h is not null && !h.Test()) break;
    }

    private void Start(int b)
    {
        _buckets![b].Pack(_grads);
        _handles[b] = Communicator.AllReduceAsync(_buckets[b].Flat, ReduceOp.Average);
    }

    /// <summary>Broadcasts the buffers (the model's state) from rank 0, so that every rank evaluates the same model.</summary>
    public void SyncBuffers()
    {
        if (_buffers.Length > 0) BroadcastParameters(_buffers);
    }

    private FlatTensors[] CreateBuckets(IReadOnlyList<(string Name, Tensor Param, Tensor Grad)> gradients)
    {
        foreach (var (name, _, grad) in gradients)
            CollectiveChecks.Tensor("DataParallel.Reduce", name, grad);
        var plan = PlanBuckets(gradients.Select(g => g.Grad.ElementCount * sizeof(float)).ToArray(), BucketBytes, FirstBucketBytes);
        var grads = gradients.Select(g => g.Grad).ToArray();
        _bucketNames = plan.Select(ix => ix.Select(i => gradients[i].Name).ToArray()).ToArray();
        _bucketOf = new int[gradients.Count];
        for (int b = 0; b < plan.Count; b++)
            foreach (int i in plan[b]) _bucketOf[i] = b;
        _grads = new Tensor[gradients.Count];
        _waiting = new int[plan.Count];
        _handles = new CollectiveHandle?[plan.Count];
        return plan.Select(ix => new FlatTensors(ix, grads)).ToArray();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_buckets is null) return;
        foreach (var b in _buckets) b.Dispose();
        _buckets = null;
    }
}
