using Tessera.Kernels;

namespace Tessera.Cpu;

// PLACEHOLDER: replaced by the Attention family implementation.
public sealed partial class CpuKernels : IAttentionKernels
{
    public void Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, Tensor o, Tensor? lse, AttentionParams p) => throw new NotSupportedException("Attention kernels: not yet implemented");

    public void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask, Tensor o, Tensor lse, Tensor dO, Tensor dq, Tensor dk, Tensor dv, AttentionParams p) => throw new NotSupportedException("Attention kernels: not yet implemented");
}
