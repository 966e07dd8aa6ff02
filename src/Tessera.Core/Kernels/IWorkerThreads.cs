namespace Tessera.Kernels;

/// <summary>Kernels that run on worker threads of their own which, between kernels, wait actively (spin) for the next
/// one, because a blocked thread takes longer to wake than many kernels take to run. Executors call
/// <see cref="Rest"/> when a run returns, so the workers block instead of holding cores while the application does
/// other work (as ONNX Runtime's <c>session.force_spinning_stop</c> does).</summary>
public interface IWorkerThreads
{
    /// <summary>Stops the workers' spinning until the next kernel.</summary>
    void Rest();
}
