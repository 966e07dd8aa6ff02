using Tessera.Devices;
using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>The shape and dtype of one output of a node.</summary>
public readonly record struct OutputSpec(Shape Shape, DType DType);

/// <summary>What a running node sees: the device's kernels (bound to the stream the run goes to), whether the run
/// trains, and the step counter (seeds).</summary>
public sealed class ExecContext
{
    /// <param name="device">The device the nodes run on.</param>
    /// <param name="kernels">Its kernels bound to the run's stream (null: <see cref="IDevice.Kernels"/>, the default stream).</param>
    public ExecContext(IDevice device, IKernels? kernels = null)
    {
        Device = device;
        Kernels = kernels ?? device.Kernels;
    }

    public IDevice Device { get; }
    public IKernels Kernels { get; }

    /// <summary>Training mode (dropout active, batch norm on batch statistics).</summary>
    public bool Training { get; set; } = true;

    /// <summary>Runs so far (0-based); ops derive per-step randomness from it.</summary>
    public long Step { get; set; }
}

/// <summary>An operation of the graph: shape inference at build time, the kernel call at run time, and the gradient
/// rule that appends its backward pass. One subclass per op; parameters are typed records held by the op.</summary>
public abstract class GraphOp
{
    /// <summary>The op's name as shown in dumps, profiles and traces ("Gemm", "Relu", ...).</summary>
    public abstract string Kind { get; }

    /// <summary>Kind plus parameters, for the text dump.</summary>
    public virtual string Describe() => Kind;

    /// <summary>Output shapes and dtypes from the inputs; throws a Tessera exception naming <paramref name="node"/>.</summary>
    public abstract OutputSpec[] Infer(string node, IReadOnlyList<Value> inputs);

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
}
