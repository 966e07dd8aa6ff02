using Tessera.Kernels;

namespace Tessera.Cuda;

public sealed partial class CudaKernels
{
    [ThreadStatic] private static string? _lastGemmPath;

    /// <summary>What the calling thread's last GEMM ran on ("cublaslt" or "portable: why"), for tests and diagnostics.</summary>
    public string LastGemmPath
    {
        get => _lastGemmPath ?? "";
        private set => _lastGemmPath = value;
    }

    /// <summary>
    /// fp32 GEMM on cuBLASLt (<see cref="CudaBlas"/>: TF32 when <see cref="CudaBlas.AllowTf32"/>) on <see cref="CudaStream"/>;
    /// layouts cuBLASLt cannot describe (strides without a unit dimension, non-uniform batch strides, a bias other than
    /// [N]), K = 0, a missing libcublasLt or no algorithm fall back to the portable kernel. UNTESTED ON A GPU.
    /// </summary>
    public override void Gemm(Tensor a, Tensor b, Tensor? bias, Tensor c, GemmParams p)
    {
        if (CudaBlas.IsAvailable)
        {
            string? why = CudaDevice.Blas.TryMatmul(a, b, bias, c, p, CudaStream);
            if (why == null) { LastGemmPath = "cublaslt"; return; }
            LastGemmPath = "portable: " + why;
        }
        else LastGemmPath = "portable: libcublasLt is not loadable";
        base.Gemm(a, b, bias, c, p);
    }
}
