namespace Tessera.Graph.Training;

/// <summary>Combines the gradients of a training step with those of other processes before the optimizer sees them
/// (data-parallel training). The <see cref="Trainer"/> calls <see cref="BeginStep"/> before a step's plan runs,
/// <see cref="GradientReady"/> as the backward pass produces each gradient, and <see cref="Reduce"/> after it, before
/// clipping.</summary>
public interface IGradientReducer
{
    /// <summary>Replaces every gradient by its combination across processes (for data parallelism, their average).
    /// After <see cref="BeginStep"/>, finishes what <see cref="GradientReady"/> started.</summary>
    void Reduce(IReadOnlyList<(string Name, Tensor Param, Tensor Grad)> gradients);

    /// <summary>A training step's forward and backward pass is about to run; <see cref="GradientReady"/> will name
    /// gradients by their index in <paramref name="gradients"/> (the list <see cref="Reduce"/> then receives). A reducer
    /// that overlaps communication with the backward pass prepares its buckets here; the default does nothing.</summary>
    void BeginStep(IReadOnlyList<(string Name, Tensor Param, Tensor Grad)> gradients) { }

    /// <summary>The node that produces gradient <paramref name="index"/> has been issued on the plan's stream, and no
    /// later node writes it: a reducer may start communicating it while the rest of the backward pass runs (work it
    /// queues on the device is ordered after that node). The default does nothing.</summary>
    void GradientReady(int index) { }
}
