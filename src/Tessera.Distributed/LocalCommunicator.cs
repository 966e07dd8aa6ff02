namespace Tessera.Distributed;

/// <summary>A group of one: rank 0 of size 1. Every collective validates its arguments like the others and completes
/// at once with the result a group of one has (the reduction of one tensor is the tensor). For tests of the layers
/// above the communicator, and for single-process runs of data-parallel code.</summary>
public sealed class LocalCommunicator : ICommunicator
{
    private TimeSpan _timeout = TimeSpan.FromMinutes(5);

    /// <inheritdoc/>
    public int Rank => 0;
    /// <inheritdoc/>
    public int Size => 1;
    /// <inheritdoc/>
    public string Name => "single process";

    /// <inheritdoc/>
    public TimeSpan Timeout
    {
        get => _timeout;
        set
        {
            CollectiveChecks.Timeout("LocalCommunicator.Timeout", value);
            _timeout = value;
        }
    }

    /// <inheritdoc/>
    public CollectiveHandle AllReduceAsync(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        CollectiveChecks.Tensor("LocalCommunicator.AllReduce", nameof(tensor), tensor);
        return CollectiveHandle.Completed($"AllReduce of {tensor.ElementCount} floats");
    }

    /// <inheritdoc/>
    public CollectiveHandle ReduceScatterAsync(Tensor input, Tensor output, ReduceOp op = ReduceOp.Sum)
    {
        CollectiveChecks.ReduceScatter("LocalCommunicator.ReduceScatter", input, output, Size);
        output.CopyFrom<float>(input.ToArray<float>());
        return CollectiveHandle.Completed($"ReduceScatter of {input.ElementCount} floats");
    }

    /// <inheritdoc/>
    public CollectiveHandle AllGatherAsync(Tensor input, Tensor output)
    {
        CollectiveChecks.AllGather("LocalCommunicator.AllGather", input, output, Size);
        output.CopyFrom<float>(input.ToArray<float>());
        return CollectiveHandle.Completed($"AllGather of {input.ElementCount} floats");
    }

    /// <inheritdoc/>
    public CollectiveHandle BroadcastAsync(Tensor tensor, int root = 0)
    {
        CollectiveChecks.Tensor("LocalCommunicator.Broadcast", nameof(tensor), tensor);
        CollectiveChecks.Root("LocalCommunicator.Broadcast", root, Size);
        return CollectiveHandle.Completed($"Broadcast of {tensor.ElementCount} floats from rank {root}");
    }

    /// <inheritdoc/>
    public CollectiveHandle BarrierAsync() => CollectiveHandle.Completed("Barrier");

    /// <inheritdoc/>
    public void Dispose() { }
}
