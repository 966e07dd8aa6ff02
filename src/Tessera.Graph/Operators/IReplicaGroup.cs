namespace Tessera.Graph.Operators;

/// <summary>The processes (replicas) that run the same training plan together, each on an equal shard of a global
/// batch (data-parallel training). Ops whose result depends on the whole batch — batch norm's statistics — combine
/// their partial sums over the group, as PyTorch's SyncBatchNorm does, so that the replicas compute what one process
/// computes on the global batch. Set on the plan's <see cref="ExecContext.Replicas"/>.</summary>
public interface IReplicaGroup
{
    /// <summary>The number of replicas (1: this process alone).</summary>
    int Count { get; }

    /// <summary>Replaces <paramref name="tensor"/> (contiguous Float32) on every replica by the element-wise sum of all
    /// replicas' tensors; every replica calls it at the same point with a tensor of the same size.</summary>
    void SumAcross(Tensor tensor);
}
