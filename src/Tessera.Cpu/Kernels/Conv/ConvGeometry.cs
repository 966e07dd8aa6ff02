using Tessera.Kernels;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Sizes of one 2-D window operation (convolution or pooling) on a single input plane.</summary>
internal readonly record struct ConvGeometry(int H, int W, int KH, int KW, int OH, int OW,
    int SH, int SW, int PT, int PL, int DH, int DW)
{
    public int KK => KH * KW;
    public int P => OH * OW;
    public int HW => H * W;

    /// <summary>1×1 window, unit stride, no padding: the input planes are the convolution's column matrix as they are.</summary>
    public bool IsPointwise => KH == 1 && KW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && OH == H && OW == W;

    public static ConvGeometry Of(Tensor x, Tensor y, int kh, int kw, Conv2dParams p) =>
        new(x.Shape[2], x.Shape[3], kh, kw, y.Shape[2], y.Shape[3], p.StrideH, p.StrideW, p.PadTop, p.PadLeft, p.DilationH, p.DilationW);

    public static ConvGeometry Of(Tensor x, Tensor y, Pool2dParams p) =>
        new(x.Shape[2], x.Shape[3], p.KernelH, p.KernelW, y.Shape[2], y.Shape[3], p.StrideH, p.StrideW, p.PadTop, p.PadLeft, p.DilationH, p.DilationW);

    /// <summary>Outputs o in [lo, hi) whose input position o·stride + offset lies in [0, size).</summary>
    public static void ValidRange(int outSize, int stride, int offset, int size, out int lo, out int hi)
    {
        // o·stride + offset ≥ 0  ⇔  o ≥ ceil(−offset / stride);  o·stride + offset ≤ size − 1  ⇔  o ≤ floor((size − 1 − offset) / stride).
        lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int top = size - 1 - offset;
        hi = top < 0 ? 0 : Math.Min(outSize, top / stride + 1);
        if (lo > hi) lo = hi;
    }
}
