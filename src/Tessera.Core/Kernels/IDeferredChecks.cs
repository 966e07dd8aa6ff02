namespace Tessera.Kernels;

/// <summary>Kernels that can validate data-dependent arguments (gather indices, class targets) without stopping the
/// device. With <see cref="DeferChecks"/> on, an invalid index is recorded on the device (the kernels stay in bounds)
/// and reported by an exception at the device's next read to the host, or by <see cref="RaiseDeferredErrors"/>.
/// Executors turn it on while they run a plan, so a GPU training step synchronises only where the caller reads.</summary>
public interface IDeferredChecks
{
    /// <summary>Off (the default): checks read their verdict back at once and throw at the call, as on the CPU.</summary>
    bool DeferChecks { get; set; }

    /// <summary>Throws the first error recorded by deferred checks since the last call (waits for the device).</summary>
    void RaiseDeferredErrors();
}
