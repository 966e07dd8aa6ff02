using Tessera.Kernels;

namespace Tessera.Cpu;

// PLACEHOLDER: replaced by the Shape family implementation.
public sealed partial class CpuKernels : IShapeKernels
{
    public void Concat(IReadOnlyList<Tensor> inputs, Tensor output, int axis) => throw new NotSupportedException("Shape kernels: not yet implemented");

    public void Gather(Tensor data, Tensor indices, Tensor output, int axis) => throw new NotSupportedException("Shape kernels: not yet implemented");

    public void GatherBackward(Tensor indices, Tensor dOutput, Tensor dData, int axis) => throw new NotSupportedException("Shape kernels: not yet implemented");

    public void Pad(Tensor x, Tensor y, PadParams p) => throw new NotSupportedException("Shape kernels: not yet implemented");

    public void PadBackward(Tensor dy, Tensor dx, PadParams p) => throw new NotSupportedException("Shape kernels: not yet implemented");
}
