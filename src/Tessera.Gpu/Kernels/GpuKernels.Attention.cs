using Tessera.Kernels;

namespace Tessera.Gpu;

public partial class GpuKernels : IAttentionKernels
{
    public void Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, Tensor o, Tensor? lse, AttentionParams p) => throw Unsupported("Attention", "pending");
    public void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask, Tensor o, Tensor lse, Tensor dO,
        Tensor dq, Tensor dk, Tensor dv, AttentionParams p) => throw Unsupported("AttentionBackward", "pending");
}
