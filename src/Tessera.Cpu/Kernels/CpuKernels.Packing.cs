using Tessera.Cpu.Kernels.Conv;
using Tessera.Cpu.Kernels.Linalg;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Which loop a forward convolution runs.</summary>
internal enum ConvForwardPath
{
    /// <summary>Register tiles straight over the input (<see cref="DirectConv"/>; it arranges its weights itself).</summary>
    Direct,
    /// <summary>Stride-2 stems of a few input channels: 2 rows × 16 positions × 8 channels a register tile over
    /// zero-padded planes (<see cref="StemConv"/>).</summary>
    Stem,
    /// <summary>One filter per channel (the loop <see cref="CpuKernels.DepthwisePath"/> picks; the weights are read as they are).</summary>
    Depthwise,
    /// <summary>One SGEMM per sample and group, the weight its A operand.</summary>
    Gemm,
    /// <summary>The GEMM's packed A against the input read in place from padded phase planes (<see cref="RowConv"/>).</summary>
    Rows,
    /// <summary>Small output maps: the transposed product, positions as rows and the weight as B (<see cref="TransposedGemmConv"/>).</summary>
    TransposedGemm,
    /// <summary>3×3 stride 1 by Winograd's F(4×4, 3×3), or F(2×2, 3×3) on small maps: 36 (16) products of transformed
    /// tiles and weights (<see cref="WinogradConv"/>).</summary>
    Winograd,
}

/// <summary>Which loop a depthwise forward convolution (<see cref="ConvForwardPath.Depthwise"/>) runs.</summary>
internal enum DepthwiseForwardPath
{
    /// <summary>Small maps, 16 channels a vector (<see cref="DepthwiseChannels"/>): other windows, and stride 2.</summary>
    Channels,
    /// <summary>1×1, and 3×3 and 5×5 at stride 1 or 2, plane by plane in 512-bit rows (<see cref="DepthwisePlanes"/>).</summary>
    Planes,
    /// <summary>Unit stride on narrow maps, padded-row tiles (<see cref="RowConv.ForwardDepthwise"/>): other windows.</summary>
    Rows,
    /// <summary>Any other window: 256-bit rows over a padded plane, the output prefilled with the bias.</summary>
    Padded,
}

/// <summary>Pre-packing of constant operands (<see cref="IOperandPacking"/>): a convolution's weight is SGEMM's A
/// operand, packed into MR-row panels on every call otherwise — for a 512×512×3×3 layer on a 7×7 output that is
/// 9.4 MB of strided copying per call, against 115 M multiply-adds — and a layer's weight is its B operand, which a
/// transposed weight (x·wᵀ) packs element by element. Packed once, each call reads the panels in place.</summary>
internal sealed unsafe partial class CpuKernels : IOperandPacking
{
    internal static ConvForwardPath ConvPath(in ConvGeometry g, int c, int o, int groups) =>
        // 3×3 stride-1 layers with enough channels take Winograd (single layers 2.4-3.2× the padded rows on 14×14 to
        // 56×56 maps, 1.8-3.5× the transposed product on 7×7 to 10×10). Other maps of at most 100 outputs (pointwise
        // ones up to 256 where it pads less) take the transposed product; stride-2 stems of at most 4 channels their
        // own tiles (0.70-0.88 → 0.94-1.09 of ONNX Runtime); then the padded-row path (1×k windows padded along W
        // turned a quarter first, see RowWindow): where both apply it beats the small-channel direct tiles (a 3 → 32
        // 3×3 layer 2×), which keep the layers whose rows it would fill too sparsely (LeNet's 10×10 maps).
        WinogradConv.Applies(g, c, o, groups) ? ConvForwardPath.Winograd
        : TransposedGemmConv.Applies(g, c, o, groups) ? ConvForwardPath.TransposedGemm
        : StemConv.Applies(g, c, o, groups) ? ConvForwardPath.Stem
        : RowConv.Applies(g, c, o, groups) ? ConvForwardPath.Rows
        : DirectConv.Applies(g, c, o, groups) ? ConvForwardPath.Direct
        : c == groups && o == groups ? ConvForwardPath.Depthwise
        : ConvForwardPath.Gemm;

    /// <summary>The depthwise loop for a shape. Measured on single layers, ratio to ONNX Runtime in one run (two runs
    /// where a range is given): <see cref="DepthwisePlanes"/> against the padded-row tiles 3×3 28×28 0.84 → 1.41-1.50,
    /// 14×14 0.70 → 1.32-1.38, 5×5 28×28 0.64-0.69 → 1.10-1.14, 14×14 0.60 → 1.17-1.29; against the bias-prefilled
    /// rows 112×112 0.78 → 1.49-1.73, 56×56 0.86 → 1.65-1.72, stride 2 0.54-0.65 → 0.68-0.79. Maps of at most 256
    /// outputs take the channel blocks (<see cref="DepthwiseChannels"/>, with their weights in registers): against the
    /// planes 5×5 on 7×7 0.38 → 1.10, 3×3 on 7×7 0.64 → 1.24, 3×3 / 2 from 14×14 0.42 → 1.17, 3×3 on 14×14 1.44 →
    /// 1.55-1.70, 5×5 on 14×14 1.23 → 1.40-1.43; 1×1 windows stay on the planes (a scale and shift). A 3×3 window at
    /// stride 2 from a map of 24 × 24 or more goes back to the planes, which now read it in place
    /// (<see cref="DepthwisePlanes.TakesStrided"/>).</summary>
    internal static DepthwiseForwardPath DepthwisePath(in ConvGeometry g, bool residual) =>
        DepthwiseChannels.Applies(g, residual) && (g.KK > 1 || !DepthwisePlanes.Applies(g)) && !DepthwisePlanes.TakesStrided(g)
            ? DepthwiseForwardPath.Channels
        : DepthwisePlanes.Applies(g) ? DepthwiseForwardPath.Planes
        : RowConv.AppliesDepthwise(g) ? DepthwiseForwardPath.Rows
        : DepthwiseForwardPath.Padded;

    public IPackedOperand? PackConv2dWeight(Tensor x, Tensor w, Tensor y, Conv2dParams p)
    {
        int c = x.Shape[1], o = w.Shape[0], groups = p.Groups, og = o / groups;
        var g = ConvGeometry.Of(x, y, w.Shape[2], w.Shape[3], p);
        // A one-row product (og = 1) may run as a GEMV, which reads the weight as it is.
        var path = ConvPath(g, c, o, groups);
        if (y.ElementCount == 0 || og == 1 || path is not (ConvForwardPath.Gemm or ConvForwardPath.Rows or ConvForwardPath.TransposedGemm or ConvForwardPath.Winograd)) return null;
        using var wc = w.Contiguous();
        if (path == ConvForwardPath.Winograd) return PackWinogradWeight(wc.F32(), c, o, WinogradConv.TileOf(g));
        if (path == ConvForwardPath.TransposedGemm) return PackConvWeightB(wc.F32(), o, c * g.KK);
        return PackConvWeight(wc.F32(), groups, og, c / groups * g.KK);
    }

    /// <summary>The o × kdim weight packed whole as SGEMM's B operand read transposed (B(p, oc) = w[oc·kdim + p]).</summary>
    private PackedMatrices PackConvWeightB(float* w, int o, int kdim)
    {
        var packed = new PackedMatrices(Device.Memory, GemmOperand.B, 1, o, kdim);
        Sgemm.PackWholeB(o, kdim, new StridedPanels(w, 1, kdim), packed[0]);
        return packed;
    }

    /// <summary>The weight's Winograd transform (<see cref="WinogradConv.PackWeight"/>).</summary>
    private PackedMatrices PackWinogradWeight(float* w, int c, int o, int tile)
    {
        var packed = WinogradConv.NewPack(Device.Memory, c, o, tile);
        WinogradConv.PackWeight(w, c, o, tile, packed);
        return packed;
    }

    /// <summary>Each group's og × kdim weight matrix packed whole as SGEMM's A operand.</summary>
    private PackedMatrices PackConvWeight(float* w, int groups, int og, int kdim)
    {
        var packed = new PackedMatrices(Device.Memory, GemmOperand.A, groups, og, kdim);
        for (int gi = 0; gi < groups; gi++)
            Sgemm.PackWholeA(og, kdim, w + (long)gi * og * kdim, kdim, 1, packed[gi]);
        return packed;
    }

    public void Conv2dPacked(Tensor x, Tensor w, IPackedOperand packedW, Tensor? bias, Tensor? residual, Tensor y, Conv2dParams p)
    {
        ArgumentNullException.ThrowIfNull(packedW);
        int groups = p.Groups;
        int kdim = w.Shape[1] * w.Shape[2] * w.Shape[3];
        var g = ConvGeometry.Of(x, y, w.Shape[2], w.Shape[3], p);
        var path = ConvPath(g, x.Shape[1], w.Shape[0], groups);
        if (path == ConvForwardPath.Winograd)
        {
            Conv2d(x, w, WinogradConv.Check(packedW, x.Shape[1], w.Shape[0], WinogradConv.TileOf(g)), bias, residual, y, p);
            return;
        }
        var operand = path == ConvForwardPath.TransposedGemm ? GemmOperand.B : GemmOperand.A;
        Conv2d(x, w, PackedMatrices.Check("Conv2d", packedW, operand, groups, w.Shape[0] / groups, kdim), bias, residual, y, p);
    }

    public IPackedOperand? PackGemmB(Tensor a, Tensor b, Tensor c, GemmParams p)
    {
        int rb = b.Rank, rc = c.Rank;
        int m = c.Shape[rc - 2], n = c.Shape[rc - 1], k = p.TransB ? b.Shape[rb - 1] : b.Shape[rb - 2];
        // One matrix for every batch (a weight broadcast over them); a one-row product may run as a GEMV, which reads B
        // as it is.
        for (int d = 0; d < rb - 2; d++)
            if (b.Shape[d] != 1) return null;
        if (c.ElementCount == 0 || m == 1 || k == 0) return null;
        var packed = new PackedMatrices(Device.Memory, GemmOperand.B, 1, n, k);
        long brs = p.TransB ? b.Strides[rb - 1] : b.Strides[rb - 2], bcs = p.TransB ? b.Strides[rb - 2] : b.Strides[rb - 1];
        Sgemm.PackWholeB(n, k, new StridedPanels(b.F32(), brs, bcs), packed[0]);
        return packed;
    }

    public void GemmPacked(Tensor a, Tensor b, IPackedOperand packedB, Tensor? bias, Tensor c, GemmParams p)
    {
        ArgumentNullException.ThrowIfNull(packedB);
        int rb = b.Rank, rc = c.Rank;
        int n = c.Shape[rc - 1], k = p.TransB ? b.Shape[rb - 1] : b.Shape[rb - 2];
        Gemm(a, b, PackedMatrices.Check("Gemm", packedB, GemmOperand.B, 1, n, k), bias, c, p);
    }
}
