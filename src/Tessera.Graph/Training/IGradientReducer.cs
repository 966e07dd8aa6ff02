namespace Tessera.Graph.Training;

/// <summary>Combines the gradients of a training step with those of other processes before the optimizer sees them
/// (data-parallel training). The <see cref="Trainer"/> calls it after the backward pass, before clipping.</summary>
public interface IGradientReducer
{
    /// <summary>Replaces every gradient by its combination across processes (for data parallelism, their average).</summary>
    void Reduce(IReadOnlyList<(string Name, Tensor Param, Tensor Grad)> gradients);
}
