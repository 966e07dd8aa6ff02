using Tessera.Graph;
using Tessera.Graph.Operators;

namespace Tessera.Onnx.Import;

/// <summary>An element-wise function on integer (or mixed integer/float) tensors, which Tessera's float32 element-wise
/// kernels do not take: the inputs are read to the host, combined with NumPy broadcasting and C semantics (integer
/// division truncates, results wrap to the output type), and written back. Exact for every integer value; slow and
/// synchronising on accelerators, so it is meant for the small integer arithmetic of ONNX models. A float64 output
/// (<paramref name="outType"/> Double) is computed in double and kept as Float64. No gradient.</summary>
internal sealed class HostElementwiseOp(string kind, OnnxDataType outType, Func<IReadOnlyList<HostTensor>, HostTensor> f) : GraphOp
{
    public override string Kind => kind + "[host]";

    public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs)
    {
        if (inputs.Count == 0) throw new TesseraArgumentException(node, "inputs", "needs at least one input");
        var shape = inputs.Select(v => v.Shape).Aggregate((a, b) => Shape.Broadcast(a, b, node));
        var dtype = HostTensor.ComputeDType(outType, keepFloat64: outType == OnnxDataType.Double) ?? throw new TesseraDTypeException(node, "output", $"no Tessera dtype for {outType}");
        return new[] { new TensorSpec(shape, dtype) };
    }

    public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
    {
        ctx.Device.DefaultStream.Synchronize();
        var r = f(inputs.Select(t => HostTensor.FromTensor(t!)).ToArray());
        using var src = r.ToTensor(ctx.Device, Kind, "output", keepFloat64: outType == OnnxDataType.Double);
        ctx.Kernels.Copy(src, outputs[0]);
    }
}
