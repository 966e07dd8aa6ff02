namespace Tessera.Kernels;

/// <summary>Scaled dot-product attention on [B, H, T, D] float32, fused with an online softmax.</summary>
public interface IAttentionKernels
{
    /// <summary>o [B, H, Tq, Dv] = softmax(q·kᵀ·scale + mask (+ causal)) · v; lse [B, H, Tq] (may be null) receives the
    /// log-sum-exp of each row for the backward pass. mask (additive) is null or broadcastable to [B, H, Tq, Tk].
    /// q, k and v may be strided views, and o a strided view that does not overlap itself (a permutation of a dense
    /// [B, Tq, H, Dv] tensor: the heads' merge written in place).</summary>
    void Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, Tensor o, Tensor? lse, AttentionParams p);

    /// <summary>dq, dk, dv from dO using the forward output o and lse.</summary>
    void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask, Tensor o, Tensor lse, Tensor dO,
        Tensor dq, Tensor dk, Tensor dv, AttentionParams p);
}
