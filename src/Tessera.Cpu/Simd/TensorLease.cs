namespace Tessera.Cpu.Simd;

/// <summary>A tensor as a kernel needs it — contiguous, or broadcast to a shape — made only when the argument is not
/// already so (then disposed with the lease). Avoids creating view objects on the common fast paths.</summary>
internal readonly struct TensorLease : IDisposable
{
    private readonly Tensor? _owned;

    private TensorLease(Tensor t, Tensor? owned) { Tensor = t; _owned = owned; }

    /// <summary>The tensor to use.</summary>
    public Tensor Tensor { get; }

    /// <summary><paramref name="t"/> itself when contiguous, else a pooled contiguous copy.</summary>
    public static TensorLease Dense(Tensor t) => t.IsContiguous ? new(t, null) : Owned(t.Contiguous());

    /// <summary><paramref name="t"/> itself when it has <paramref name="shape"/>, else a broadcast (stride-0) view.</summary>
    public static TensorLease Broadcast(Tensor t, Shape shape) => t.Shape == shape ? new(t, null) : Owned(t.Expand(shape.ToArray()));

    private static TensorLease Owned(Tensor t) => new(t, t);

    public void Dispose() => _owned?.Dispose();
}
