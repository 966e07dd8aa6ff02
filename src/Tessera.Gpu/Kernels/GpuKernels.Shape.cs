using Tessera.Kernels;

namespace Tessera.Gpu;

public partial class GpuKernels : IShapeKernels
{
    public void Concat(IReadOnlyList<Tensor> inputs, Tensor output, int axis) => throw Unsupported("Concat", "pending");
    public void Gather(Tensor data, Tensor indices, Tensor output, int axis) => throw Unsupported("Gather", "pending");
    public void GatherBackward(Tensor indices, Tensor dOutput, Tensor dData, int axis) => throw Unsupported("GatherBackward", "pending");
    public void Pad(Tensor x, Tensor y, PadParams p) => throw Unsupported("Pad", "pending");
    public void PadBackward(Tensor dy, Tensor dx, PadParams p) => throw Unsupported("PadBackward", "pending");
}
