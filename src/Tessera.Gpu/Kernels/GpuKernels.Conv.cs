using Tessera.Kernels;

namespace Tessera.Gpu;

public partial class GpuKernels : IConvKernels
{
    public virtual void Conv2d(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dParams p) => throw Unsupported("Conv2d", "pending");
    public virtual void Conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dParams p) => throw Unsupported("Conv2dBackwardData", "pending");
    public virtual void Conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Conv2dParams p) => throw Unsupported("Conv2dBackwardWeight", "pending");
    public void Conv2dBackwardBias(Tensor dy, Tensor db) => throw Unsupported("Conv2dBackwardBias", "pending");
    public void MaxPool2d(Tensor x, Tensor y, Tensor? indices, Pool2dParams p) => throw Unsupported("MaxPool2d", "pending");
    public void MaxPool2dBackward(Tensor dy, Tensor indices, Tensor dx, Pool2dParams p) => throw Unsupported("MaxPool2dBackward", "pending");
    public void AvgPool2d(Tensor x, Tensor y, Pool2dParams p) => throw Unsupported("AvgPool2d", "pending");
    public void AvgPool2dBackward(Tensor dy, Tensor dx, Pool2dParams p) => throw Unsupported("AvgPool2dBackward", "pending");
}
