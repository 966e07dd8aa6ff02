using Tessera.Kernels;

namespace Tessera.Cpu;

// PLACEHOLDER: replaced by the Conv family implementation.
public sealed partial class CpuKernels : IConvKernels
{
    public void Conv2d(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dParams p) => throw new NotSupportedException("Conv kernels: not yet implemented");

    public void Conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dParams p) => throw new NotSupportedException("Conv kernels: not yet implemented");

    public void Conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Conv2dParams p) => throw new NotSupportedException("Conv kernels: not yet implemented");

    public void Conv2dBackwardBias(Tensor dy, Tensor db) => throw new NotSupportedException("Conv kernels: not yet implemented");

    public void MaxPool2d(Tensor x, Tensor y, Tensor? indices, Pool2dParams p) => throw new NotSupportedException("Conv kernels: not yet implemented");

    public void MaxPool2dBackward(Tensor dy, Tensor indices, Tensor dx, Pool2dParams p) => throw new NotSupportedException("Conv kernels: not yet implemented");

    public void AvgPool2d(Tensor x, Tensor y, Pool2dParams p) => throw new NotSupportedException("Conv kernels: not yet implemented");

    public void AvgPool2dBackward(Tensor dy, Tensor dx, Pool2dParams p) => throw new NotSupportedException("Conv kernels: not yet implemented");
}
