using Tessera.Kernels;

namespace Tessera.Cuda;

public sealed partial class CudaKernels
{
    [ThreadStatic] private static string? _lastConvPath;

    /// <summary>What the last convolution pass called on the calling thread ran on ("cudnn" or "portable: why"),
    /// whatever device or stream it used: a per-thread diagnostic for tests and tools.</summary>
    public static string LastConvPathOnThisThread => _lastConvPath ?? "";

    /// <summary>Forward convolution on cuDNN (<see cref="CudaDnn"/>) on <see cref="CudaStream"/>, its fused epilogue
    /// (residual, activation) then applied by one element-wise pass; else the portable kernel, which fuses it (no cuDNN,
    /// asymmetric padding, empty tensors, no algorithm). UNTESTED ON A GPU.</summary>
    public override void Conv2d(Tensor x, Tensor w, Tensor? bias, Tensor? residual, Tensor y, Conv2dParams p)
    {
        if (Route(dnn => dnn.TryConv2d(this, x, w, bias, y, p with { Epilogue = Epilogue.None })))
        {
            ApplyEpilogue(y, residual, p.Epilogue);
            return;
        }
        base.Conv2d(x, w, bias, residual, y, p);
    }

    /// <summary>Data gradient on cuDNN, else the portable kernel. UNTESTED ON A GPU.</summary>
    public override void Conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dParams p)
    {
        if (Route(dnn => dnn.TryBackwardData(this, dy, w, dx, p))) return;
        base.Conv2dBackwardData(dy, w, dx, p);
    }

    /// <summary>Filter gradient on cuDNN, else the portable kernel. UNTESTED ON A GPU.</summary>
    public override void Conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Conv2dParams p)
    {
        if (Route(dnn => dnn.TryBackwardWeight(this, x, dy, dw, p))) return;
        base.Conv2dBackwardWeight(x, dy, dw, p);
    }

    private bool Route(Func<CudaDnn, string?> run)
    {
        if (!CudaDnn.IsAvailable) { _lastConvPath = "portable: libcudnn.so.9 is not loadable"; return false; }
        string? why = run(CudaDevice.Dnn);
        _lastConvPath = why == null ? "cudnn" : "portable: " + why;
        return why == null;
    }
}
