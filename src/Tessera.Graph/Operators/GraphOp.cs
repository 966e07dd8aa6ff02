using Tessera.Devices;
using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>What a running node sees: the device's kernels (bound to the stream the run goes to), whether the run
/// trains, the step counter (seeds), the node being run (errors raised at run time name it), the cache of views its
/// ops reuse from run to run (<see cref="Views"/>) and the constant operands packed once (<see cref="Packs"/>), both
/// disposed with the context.</summary>
public sealed class ExecContext : IDisposable
{
    /// <param name="device">The device the nodes run on.</param>
    /// <param name="kernels">Its kernels bound to the run's stream (null: <see cref="IDevice.Kernels"/>, the default stream).</param>
    public ExecContext(IDevice device, IKernels? kernels = null)
    {
        Device = device;
        Kernels = kernels ?? device.Kernels;
    }

    /// <summary>The device the plan runs on.</summary>
    public IDevice Device { get; }
    /// <summary>The kernels operators launch (the device's, on the plan's stream).</summary>
    public IKernels Kernels { get; }

    /// <summary>Training mode (dropout active, batch norm on batch statistics).</summary>
    public bool Training { get; set; } = true;

    /// <summary>Runs so far (0-based); ops derive per-step randomness from it.</summary>
    public long Step { get; set; }

    /// <summary>The index of this run's first sample within the global batch (0 unless the batch is one rank's shard of
    /// a data-parallel global batch). Per-element randomness (dropout) is drawn as if for the global batch, so that the
    /// ranks together draw what one process on the whole batch would.</summary>
    public long SampleOffset { get; set; }

    /// <summary>The replicas this run is one shard of (null: none). When set with more than one replica, batch norm in
    /// training mode uses the statistics of the global batch (<see cref="IReplicaGroup"/>).</summary>
    public IReplicaGroup? Replicas { get; set; }

    /// <summary>The node whose op is running (null outside a plan's run).</summary>
    public Node? Node { get; internal set; }

    /// <summary>The running node's name, for errors raised at run time (<paramref name="fallback"/> outside a plan).</summary>
    public string NodeName(string fallback) => Node?.Name ?? fallback;

    /// <summary>Views of the run's tensors that ops keep between runs.</summary>
    public ViewCache Views { get; } = new();

    /// <summary>Constant operands the kernels packed once for this context's plan (<see cref="IOperandPacking"/>).</summary>
    public OperandPacks Packs { get; } = new();

    /// <summary>Disposes the cached views and the packed operands (the owner of the run's tensors calls it when it lets them go).</summary>
    public void Dispose()
    {
        Views.Dispose();
        Packs.Dispose();
    }
}

/// <summary>An operation of the graph: shape inference at build time, the kernel call at run time, and the gradient
/// rule that appends its backward pass. One subclass per op; parameters are typed records held by the op. An op does not
/// change once built: inference validates with the op's rule in <see cref="ShapeRules"/> (the rule the eager
/// <see cref="Ops"/> use) and sets nothing.</summary>
public abstract class GraphOp
{
    /// <summary>The op's name as shown in dumps, profiles and traces ("Gemm", "Relu", ...).</summary>
    public abstract string Kind { get; }

    /// <summary>Kind plus parameters, for the text dump.</summary>
    public virtual string Describe() => Kind;

    /// <summary>The op for inputs like <paramref name="inputs"/>, with parameters that depend on their ranks (negative
    /// axes, "every axis") resolved: this op when nothing needs resolving, else a new one. Pure; throws, naming
    /// <paramref name="node"/>, where the arguments are invalid. The builder calls it once per node and keeps the result
    /// as the node's op, so <see cref="Run"/> and <see cref="Backward"/> see resolved parameters.</summary>
    public virtual GraphOp Resolve(string node, IReadOnlyList<Value> inputs) => this;

    /// <summary>Output shapes and dtypes from the inputs; throws a Tessera exception naming <paramref name="node"/>. Pure.</summary>
    public abstract TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs);

    /// <summary>Runs the kernel(s). Optional inputs arrive as null. Outputs are contiguous tensors of the inferred specs.</summary>
    public abstract void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs);

    /// <summary>Appends the backward pass: gradients of the inputs (null where none) from the gradients of the outputs
    /// (null where an output does not reach the loss).</summary>
    public virtual Value?[] Backward(GraphBuilder g, Node node, IReadOnlyList<Value?> outputGrads) =>
        throw new TesseraException($"Autodiff ({node.Name})", $"op {Kind} has no gradient rule");

    /// <summary>Index of an input whose buffer output 0 may overwrite when that input dies at this node, or −1.</summary>
    public virtual int InPlaceInput => -1;

    /// <summary>Index of an input that output 0 is a view of (same bytes, new shape: reshape, stop-gradient), or −1.
    /// Such an op runs no kernel; the planner keeps the input's buffer alive as long as the output.</summary>
    public virtual int AliasInput => -1;

    /// <summary>Floating-point operations of one run of <paramref name="node"/> (for profiles).</summary>
    public virtual double Flops(Node node) => 0;

    /// <summary>The op's kind and every parameter, equal for two ops that compute the same function of their inputs, or
    /// null for an op whose result depends on more than its inputs (randomness, the run's mode, state it keeps) or that
    /// does not say. The graph optimizer merges nodes of equal signature on equal inputs and runs a node of all-constant
    /// inputs once, at optimization time, only when its op has a signature.</summary>
    public virtual string? Signature => null;

    /// <summary>True when a run changes something besides the op's outputs (batch norm in training mode updates its
    /// running statistics in place): such a node is kept when nothing reads its outputs.</summary>
    public virtual bool HasSideEffects => false;

    /// <summary>True for an optimizer step (its outputs are updated parameters): a graph holding one trains.</summary>
    public virtual bool IsOptimizerStep => false;
}
