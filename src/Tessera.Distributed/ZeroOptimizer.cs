using Tessera.Graph.Training;
using Tessera.Kernels;

namespace Tessera.Distributed;

/// <summary>ZeRO stage 1 (DeepSpeed's optimizer-state partitioning): the optimizer state is split over the ranks. The
/// parameters and gradients are laid end to end in one flat vector, padded to a multiple of the ranks, and rank r owns
/// block r. Each step reduce-scatters the gradients (averaged: rank r receives block r of the mean gradient), steps
/// the <see cref="Inner"/> optimizer — its fused kernel, Adam or any other — on this rank's block of the parameters
/// alone, so it keeps state for 1/N of them, and all-gathers the updated blocks into every rank's parameters; then it
/// broadcasts the model's buffers like <see cref="DataParallel.Reduce"/>. The update is element-wise, so the result
/// is the unsharded optimizer's on the averaged gradient. Used in place of the <see cref="DataParallel"/> reducer (the
/// trainer gets no reducer, this optimizer). <see cref="ExportState"/> gathers the state into the unsharded form
/// ("optim.{state}/{parameter}", the checkpoint of a plain optimizer) and <see cref="ImportState"/> takes this rank's
/// block of such state, so a checkpoint reloads on any number of ranks, or in one process without ZeRO. Both are
/// collectives where the ranks take part together.</summary>
public sealed class ZeroOptimizer : Optimizer
{
    private const string ShardName = "zero1.shard";
    private readonly DataParallel _group;
    private string[] _names = [];
    private int[][] _shapes = [];
    private FlatTensors? _params, _grads;
    private Tensor? _paramShard, _gradShard;
    private int _shard;

    /// <param name="group">The ranks (their communicator, and the buffers to keep in agreement).</param>
    /// <param name="inner">The optimizer applied to this rank's block; this one owns and disposes it.</param>
    public ZeroOptimizer(DataParallel group, Optimizer inner) : base(inner?.Schedule ?? throw new ArgumentNullException(nameof(inner)))
    {
        ArgumentNullException.ThrowIfNull(group);
        if (inner is ZeroOptimizer) throw new TesseraArgumentException("ZeroOptimizer", nameof(inner), "is already sharded");
        _group = group;
        Inner = inner;
        StepCount = inner.StepCount;
    }

    /// <summary>The optimizer that updates this rank's block.</summary>
    public Optimizer Inner { get; }

    /// <summary>The ranks the state is sharded over.</summary>
    public ICommunicator Communicator => _group.Communicator;

    /// <summary>Elements of this rank's block of the flat parameters (0 before the first step or import).</summary>
    public int ShardElements => _shard;

    /// <summary>Elements of every parameter together (0 before the first step or import).</summary>
    public long ParameterElements => _params?.Used ?? 0;

    /// <inheritdoc/>
    protected override string[] StateNames => [.. Inner.StateKinds];

    /// <summary>This rank's share: the inner optimizer's state for its block.</summary>
    public override long StateBytes => Inner.StateBytes;

    /// <summary>Not called: <see cref="Step"/> updates the whole block through <see cref="Inner"/>.</summary>
    protected override void Update(IKernels kernels, Tensor param, Tensor grad, Tensor[] state, float lr, long step) =>
        throw new InvalidOperationException("ZeroOptimizer updates its block through the inner optimizer, not parameter by parameter");

    /// <summary>One step: reduce-scatter the gradients, step this rank's block, all-gather the parameters (a collective).</summary>
    public override void Step(IEnumerable<(string Name, Tensor Param, Tensor Grad)> parameters)
    {
        const string op = "ZeroOptimizer.Step";
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToArray();
        Layout(op, list.Select(p => (p.Name, p.Param)).ToArray());
        foreach (var (name, p, g) in list)
        {
            if (p.Shape != g.Shape) throw new TesseraShapeException(op, name, $"gradient {g.Shape} does not match parameter {p.Shape}");
            CollectiveChecks.Tensor(op, name, g);
        }
        var ps = list.Select(p => p.Param).ToArray();
        _grads!.Pack(list.Select(p => p.Grad).ToArray());
        Communicator.ReduceScatter(_grads.Flat, _gradShard!, ReduceOp.Average);
        _params!.Pack(ps);
        int start = Communicator.Rank * _shard;
        using (var mine = _params.Flat.Slice(0, start, start + _shard))
            _params.Flat.Device.Kernels.Copy(mine, _paramShard!);
        Inner.Step([(ShardName, _paramShard!, _gradShard!)]);
        Communicator.AllGather(_paramShard!, _params.Flat);
        _params.Unpack(ps);
        StepCount = Inner.StepCount;
        _group.SyncBuffers();
    }

    /// <summary>The whole state, gathered from the ranks, as a plain optimizer exports it (a collective: every rank
    /// calls it; each gets every entry).</summary>
    public override IEnumerable<Checkpoint.Entry> ExportState()
    {
        if (_params is null) return [];
        var shards = Inner.ExportState().ToDictionary(e => e.Name);
        var entries = new List<Checkpoint.Entry>();
        using var full = Tensor.Zeros(_params.Flat.Device, DType.Float32, (int)_params.Flat.ElementCount);
        foreach (var kind in Inner.StateKinds)
        {
            if (!shards.TryGetValue($"optim.{kind}/{ShardName}", out var e)) continue; // no step yet
            using var shard = Tensor.FromArray(full.Device, e.Data, _shard);
            Communicator.AllGather(shard, full);
            var data = full.ToArray<float>();
            for (int i = 0; i < _names.Length; i++)
            {
                int offset = _params.Offsets[i], n = _shapes[i].Aggregate(1, (a, d) => a * d);
                entries.Add(new Checkpoint.Entry($"optim.{kind}/{_names[i]}", _shapes[i], data[offset..(offset + n)]));
            }
        }
        return entries;
    }

    /// <summary>Takes this rank's block of unsharded state ("optim.{state}/{parameter}" for every parameter, as
    /// <see cref="ExportState"/> and plain optimizers write it).</summary>
    public override void ImportState(IReadOnlyDictionary<string, Checkpoint.Entry> entries, long stepCount, IEnumerable<(string Name, Tensor Param)> parameters)
    {
        const string op = "ZeroOptimizer.ImportState";
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(parameters);
        Layout(op, parameters.ToArray());
        int start = Communicator.Rank * _shard;
        var block = new Dictionary<string, Checkpoint.Entry>();
        foreach (var kind in Inner.StateKinds)
        {
            var flat = new float[_params!.Flat.ElementCount];
            for (int i = 0; i < _names.Length; i++)
            {
                string key = $"optim.{kind}/{_names[i]}";
                if (!entries.TryGetValue(key, out var e)) throw new TesseraArgumentException(op, key, "missing from the checkpoint");
                if (!e.Shape.SequenceEqual(_shapes[i]))
                    throw new TesseraShapeException(op, key, $"shape [{string.Join(", ", e.Shape)}] does not match parameter [{string.Join(", ", _shapes[i])}]");
                e.Data.CopyTo(flat, _params.Offsets[i]);
            }
            string shardKey = $"optim.{kind}/{ShardName}";
            block[shardKey] = new Checkpoint.Entry(shardKey, [_shard], flat[start..(start + _shard)]);
        }
        Inner.ImportState(block, stepCount, [(ShardName, _paramShard!)]);
        StepCount = stepCount;
    }

    /// <summary>Lays the parameters out at the first call; later calls must pass the same parameters.</summary>
    private void Layout(string op, (string Name, Tensor Param)[] parameters)
    {
        if (_params is not null)
        {
            if (!parameters.Select(p => p.Name).SequenceEqual(_names) || parameters.Select(p => p.Param.Shape.ToArray()).Zip(_shapes).Any(z => !z.First.SequenceEqual(z.Second)))
                throw new TesseraArgumentException(op, "parameters", "differ from the ones the optimizer was first given (names, order and shapes must stay)");
            return;
        }
        if (parameters.Length == 0) throw new TesseraArgumentException(op, "parameters", "no parameters to train");
        foreach (var (name, p) in parameters) CollectiveChecks.Tensor(op, name, p);
        var tensors = parameters.Select(p => p.Param).ToArray();
        long total = tensors.Sum(t => t.ElementCount);
        int size = Communicator.Size;
        long shard = (total + size - 1) / size;
        if (shard * size > int.MaxValue) throw new TesseraArgumentException(op, "parameters", $"{total} elements exceed a flat vector's int range");
        var indices = Enumerable.Range(0, tensors.Length).ToArray();
        _params = new FlatTensors(indices, tensors, shard * size);
        _grads = new FlatTensors(indices, tensors, shard * size);
        _shard = (int)shard;
        _paramShard = Tensor.Zeros(tensors[0].Device, DType.Float32, _shard);
        _gradShard = Tensor.Zeros(tensors[0].Device, DType.Float32, _shard);
        _names = parameters.Select(p => p.Name).ToArray();
        _shapes = tensors.Select(t => t.Shape.ToArray()).ToArray();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _params?.Dispose();
            _grads?.Dispose();
            _paramShard?.Dispose();
            _gradShard?.Dispose();
            _params = _grads = null;
            Inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
