using Tessera.Kernels;

namespace Tessera.Cuda;

public sealed partial class CudaKernels
{
    [ThreadStatic] private static string? _lastGemmPath;

    /// <summary>What the last GEMM called on the calling thread ran on ("cublaslt" or "portable: why"), whatever device
    /// or stream it used: a per-thread diagnostic for tests and tools (a GEMM on another thread does not change it).</summary>
    public static string LastGemmPathOnThisThread => _lastGemmPath ?? "";

    /// <summary>
    /// fp32 GEMM on cuBLASLt (<see cref="CudaBlas"/>: TF32 when <see cref="CudaBlas.AllowTf32"/>) on <see cref="CudaStream"/>;
    /// layouts cuBLASLt cannot describe (strides without a unit dimension, non-uniform batch strides, a bias other than
    /// [N]), K = 0, a missing libcublasLt or no algorithm fall back to the portable kernel. The epilogue's activation
    /// follows cuBLASLt as one element-wise pass (the portable kernel fuses it). UNTESTED ON A GPU.
    /// </summary>
    public override void Gemm(Tensor a, Tensor b, Tensor? bias, Tensor c, GemmParams p)
    {
        if (CudaBlas.IsAvailable)
        {
            string? why = CudaDevice.Blas.TryMatmul(a, b, bias, c, p with { Epilogue = Epilogue.None }, CudaStream);
            if (why == null)
            {
                ApplyEpilogue(c, null, p.Epilogue);
                _lastGemmPath = "cublaslt";
                return;
            }
            _lastGemmPath = "portable: " + why;
        }
        else _lastGemmPath = "portable: libcublasLt is not loadable";
        base.Gemm(a, b, bias, c, p);
    }
}
