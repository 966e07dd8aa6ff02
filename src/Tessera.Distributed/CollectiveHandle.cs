namespace Tessera.Distributed;

/// <summary>A collective in flight. <see cref="Wait"/> blocks until it has completed and its results are in the
/// output tensors (or throws when it does not complete within the communicator's timeout); waiting again returns at
/// once.</summary>
public abstract class CollectiveHandle
{
    /// <summary>What the collective is, for errors ("AllReduce of 1024 floats").</summary>
    public abstract string Description { get; }

    /// <summary>True once <see cref="Wait"/> has returned.</summary>
    public abstract bool IsCompleted { get; }

    /// <summary>Blocks until the collective has completed and its results are written.</summary>
    public abstract void Wait();

    /// <summary>Lets the collective advance without blocking and says whether it has finished; its results are written
    /// by <see cref="Wait"/>. MPI advances nonblocking collectives only inside MPI calls, so a caller that computes while
    /// collectives are in flight (gradient buckets during the backward pass) tests them now and then.</summary>
    public virtual bool Test() => IsCompleted;

    /// <summary>A handle of a collective that finished when it was issued.</summary>
    public static CollectiveHandle Completed(string description) => new CompletedHandle(description);

    private sealed class CompletedHandle(string description) : CollectiveHandle
    {
        public override string Description => description;
        public override bool IsCompleted => true;
        public override void Wait() { }
    }
}
