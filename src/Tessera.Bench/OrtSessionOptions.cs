using Microsoft.ML.OnnxRuntime;

namespace Tessera.Bench;

/// <summary>The session options every comparison with ONNX Runtime uses: the CPU provider, sequential execution with
/// one inter-op thread, <c>threads</c> intra-op threads, all graph optimisations.</summary>
internal static class OrtSessionOptions
{
    /// <summary>Options for <paramref name="threads"/> intra-op threads. With more than one, the pool's threads stop
    /// spinning when a run returns (<c>session.force_spinning_stop</c>): ONNX Runtime and Tessera take turns in one
    /// process, and a pool left spinning after its run would hold a core through the other engine's run (Tessera's
    /// workers likewise rest when its run returns).</summary>
    public static SessionOptions Create(int threads)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        if (threads > 1) options.AddSessionConfigEntry("session.force_spinning_stop", "1");
        return options;
    }
}
