namespace Tessera.Kernels;

/// <summary>Matrix products (float32).</summary>
public interface ILinalgKernels
{
    /// <summary>c = Alpha·op(a)·op(b) + Beta·c + bias. a: [..., M, K] ([..., K, M] when TransA); b: [..., K, N]
    /// ([..., N, K] when TransB); c: [..., M, N] with the broadcast batch dimensions; bias: null or broadcastable to c
    /// (usually [N]). a and b may be strided views.</summary>
    void Gemm(Tensor a, Tensor b, Tensor? bias, Tensor c, GemmParams p);
}
