namespace Tessera.Distributed;

/// <summary>How a collective combines the ranks' tensors.</summary>
public enum ReduceOp
{
    /// <summary>Element-wise sum over the ranks.</summary>
    Sum,

    /// <summary>Element-wise sum divided by the number of ranks.</summary>
    Average,
}

/// <summary>A group of <see cref="Size"/> processes (ranks) that run collectives together on tensors of any device.
/// Every rank must call the same collectives in the same order with tensors of the same shape. Each collective starts
/// asynchronously and returns a <see cref="CollectiveHandle"/>; the tensors may not be touched until the handle's
/// <see cref="CollectiveHandle.Wait"/> returns. A collective that does not complete within <see cref="Timeout"/> throws
/// a <see cref="TesseraCollectiveException"/> naming the rank and the collective. Only Float32 tensors are
/// supported.</summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's index in the group, 0 ≤ Rank &lt; Size.</summary>
    int Rank { get; }

    /// <summary>The number of ranks in the group.</summary>
    int Size { get; }

    /// <summary>What carries the collectives ("MPI (Open MPI 4.1.4)", "single process").</summary>
    string Name { get; }

    /// <summary>How long <see cref="CollectiveHandle.Wait"/> waits for a collective before it throws.</summary>
    TimeSpan Timeout { get; set; }

    /// <summary>Replaces <paramref name="tensor"/> on every rank by the reduction of all ranks' tensors.</summary>
    CollectiveHandle AllReduceAsync(Tensor tensor, ReduceOp op = ReduceOp.Sum);

    /// <summary>Reduces the ranks' <paramref name="input"/> tensors (Size × k elements) and leaves block
    /// <see cref="Rank"/> (k elements, the size of <paramref name="output"/>) of the result in <paramref name="output"/>.</summary>
    CollectiveHandle ReduceScatterAsync(Tensor input, Tensor output, ReduceOp op = ReduceOp.Sum);

    /// <summary>Concatenates every rank's <paramref name="input"/> (k elements), in rank order, into
    /// <paramref name="output"/> (Size × k elements) on every rank.</summary>
    CollectiveHandle AllGatherAsync(Tensor input, Tensor output);

    /// <summary>Copies <paramref name="tensor"/> of rank <paramref name="root"/> into the tensor of every other rank.</summary>
    CollectiveHandle BroadcastAsync(Tensor tensor, int root = 0);

    /// <summary>Completes when every rank has reached it.</summary>
    CollectiveHandle BarrierAsync();

    /// <summary><see cref="AllReduceAsync"/>, waited for.</summary>
    void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum) => AllReduceAsync(tensor, op).Wait();

    /// <summary><see cref="ReduceScatterAsync"/>, waited for.</summary>
    void ReduceScatter(Tensor input, Tensor output, ReduceOp op = ReduceOp.Sum) => ReduceScatterAsync(input, output, op).Wait();

    /// <summary><see cref="AllGatherAsync"/>, waited for.</summary>
    void AllGather(Tensor input, Tensor output) => AllGatherAsync(input, output).Wait();

    /// <summary><see cref="BroadcastAsync"/>, waited for.</summary>
    void Broadcast(Tensor tensor, int root = 0) => BroadcastAsync(tensor, root).Wait();

    /// <summary><see cref="BarrierAsync"/>, waited for.</summary>
    void Barrier() => BarrierAsync().Wait();
}
