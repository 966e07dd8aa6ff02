using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Kernels;
using Tessera.Cpu.Kernels.Conv;
using Tessera.Cpu.Simd;
using Tessera.Cpu.Kernels.Linalg;
using Tessera.Kernels;
using Tessera.Tests.Conformance;
using Tessera.Tests.Support;

namespace Tessera.Tests.Cpu;

/// <summary>The conformance cases named "rows" do run the padded-row convolution (<see cref="RowConv"/>; "rows
/// depthwise": its depthwise loop), those named "tgemm" the transposed product (<see cref="TransposedGemmConv"/>) and
/// those named "dwc" the depthwise channel blocks (<see cref="DepthwiseChannels"/>), those named "dwp" the depthwise
/// planes (<see cref="DepthwisePlanes"/>), those named "wino" Winograd's F(4×4, 3×3) (<see cref="WinogradConv"/>) and
/// those named "stem" the stem tiles (<see cref="StemConv"/>),
/// so that the conformance suite covers them; and the shapes they leave to other paths stay there.</summary>
public class ConvPathTests
{
    /// <summary>The conformance cases whose name starts with <paramref name="prefix"/>.</summary>
    private static List<ConvTests.ConvCase> Named(string prefix) =>
        ConvTests.ConvCases().Select(r => r.Data).Where(t => t.Name.StartsWith(prefix)).ToList();

    /// <summary>Every other conformance case.</summary>
    private static IEnumerable<ConvTests.ConvCase> Others(string prefix) =>
        ConvTests.ConvCases().Select(r => r.Data).Where(t => !t.Name.StartsWith(prefix));

    private static ConvGeometry Geometry(ConvTests.ConvCase t)
    {
        var p = t.P;
        int oh = (t.H + p.PadTop + p.PadBottom - p.DilationH * (t.KH - 1) - 1) / p.StrideH + 1;
        int ow = (t.W + p.PadLeft + p.PadRight - p.DilationW * (t.KW - 1) - 1) / p.StrideW + 1;
        return new ConvGeometry(t.H, t.W, t.KH, t.KW, oh, ow, p.StrideH, p.StrideW, p.PadTop, p.PadLeft, p.DilationH, p.DilationW);
    }

    [Fact]
    public void RowsCasesTakeThePaddedRowPath()
    {
        Requirement.Require(Sgemm.Isa == GemmIsa.Vector512, "the padded-row convolution needs the AVX-512 GEMM kernel");
        var rows = Named("rows ");
        Assert.Equal(13, rows.Count);
        foreach (var t in rows)
        {
            var g = Geometry(t);
            if (t.Name.StartsWith("rows depthwise "))
            {
                Assert.True(t.C == t.P.Groups && t.O == t.P.Groups, t.Name);
                Assert.Equal(DepthwiseForwardPath.Rows, CpuKernels.DepthwisePath(g, residual: false));
                continue;
            }
            Assert.True(RowConv.Applies(g, t.C, t.O, t.P.Groups), t.Name);
            Assert.False(DirectConv.Applies(g, t.C, t.O, t.P.Groups), t.Name);
        }
    }

    [Fact]
    public void StemCasesTakeTheStemTiles()
    {
        Requirement.Require(Avx512F.IsSupported, "the stem tiles need AVX-512");
        var cases = Named("stem ");
        Assert.Equal(5, cases.Count);
        foreach (var t in cases)
        {
            var g = Geometry(t);
            Assert.True(StemConv.Applies(g, t.C, t.O, t.P.Groups), t.Name);
            Assert.False(WinogradConv.Applies(g, t.C, t.O, t.P.Groups) || TransposedGemmConv.Applies(g, t.C, t.O, t.P.Groups), t.Name);
        }
        // Every other case keeps the path it covers.
        foreach (var t in Others("stem "))
            Assert.False(StemConv.Applies(Geometry(t), t.C, t.O, t.P.Groups), t.Name);
        // The model set's stems: SqueezeNet's 3 -> 64 3x3 / 2 and ResNet's 7x7 / 2; not 5 channels, 12 outputs or stride 1.
        Assert.True(StemConv.Applies(new ConvGeometry(224, 224, 3, 3, 111, 111, 2, 2, 0, 0, 1, 1), 3, 64, 1));
        Assert.True(StemConv.Applies(new ConvGeometry(224, 224, 7, 7, 112, 112, 2, 2, 3, 3, 1, 1), 3, 64, 1));
        Assert.False(StemConv.Applies(new ConvGeometry(224, 224, 3, 3, 111, 111, 2, 2, 0, 0, 1, 1), 5, 64, 1));
        Assert.False(StemConv.Applies(new ConvGeometry(224, 224, 3, 3, 111, 111, 2, 2, 0, 0, 1, 1), 3, 12, 1));
        Assert.False(StemConv.Applies(new ConvGeometry(224, 224, 3, 3, 222, 222, 1, 1, 0, 0, 1, 1), 3, 64, 1));
    }

    [Fact]
    public void TurnedCasesRunAsKByOneWindows()
    {
        Requirement.Require(Sgemm.Isa == GemmIsa.Vector512, "the padded-row convolution needs the AVX-512 GEMM kernel");
        var cases = Named("turned ");
        Assert.Equal(2, cases.Count);
        foreach (var t in cases)
        {
            var g = Geometry(t);
            Assert.Equal(ConvForwardPath.Rows, CpuKernels.ConvPath(g, t.C, t.O, t.P.Groups));
            var turned = CpuKernels.RowWindow(g, t.P);
            Assert.True(turned is { KW: 1 } && turned.Value.KH == t.KW && turned.Value.OH == g.OW && turned.Value.OW == g.OH, t.Name);
            Assert.Equal(ConvForwardPath.Rows, CpuKernels.ConvPath(turned!.Value, t.C, t.O, t.P.Groups));
        }
        // Every other case keeps its path: no other 1xk window padded only along W.
        foreach (var t in Others("turned "))
            Assert.Null(CpuKernels.RowWindow(Geometry(t), t.P));
        // A 1-D signal (one row) and wide maps stay as they are.
        Assert.Null(CpuKernels.RowWindow(new ConvGeometry(1, 1000, 1, 3, 1, 1000, 1, 1, 0, 1, 1, 1), new Conv2dParams(1, 1, 0, 1, 0, 1)));
        Assert.Null(CpuKernels.RowWindow(new ConvGeometry(56, 56, 1, 7, 56, 56, 1, 1, 0, 3, 1, 1), new Conv2dParams(1, 1, 0, 3, 0, 3)));
    }

    [Fact]
    public void WinoCasesTakeWinograd()
    {
        Requirement.Require(Sgemm.Isa == GemmIsa.Vector512, "the Winograd convolution needs the AVX-512 GEMM kernel");
        var cases = Named("wino ");
        Assert.Equal(8, cases.Count);
        foreach (var t in cases)
        {
            Assert.True(WinogradConv.Applies(Geometry(t), t.C, t.O, t.P.Groups), t.Name);
            Assert.Equal(t.Name.StartsWith("wino 2x2 ") ? 2 : 4, WinogradConv.TileOf(Geometry(t)));
        }
        // Every other case keeps the path it covers.
        foreach (var t in Others("wino "))
            Assert.False(WinogradConv.Applies(Geometry(t), t.C, t.O, t.P.Groups), t.Name);
        // Stride 2, 5x5 windows and grouped layers stay where they were; 7x7 maps take 2x2 tiles.
        var g7 = new ConvGeometry(7, 7, 3, 3, 7, 7, 1, 1, 1, 1, 1, 1);
        Assert.True(WinogradConv.Applies(g7, 512, 512, 1) && WinogradConv.TileOf(g7) == 2);
        Assert.False(WinogradConv.Applies(new ConvGeometry(28, 28, 3, 3, 14, 14, 2, 2, 1, 1, 1, 1), 64, 64, 1));
        Assert.False(WinogradConv.Applies(new ConvGeometry(28, 28, 5, 5, 28, 28, 1, 1, 2, 2, 1, 1), 64, 64, 1));
        Assert.False(WinogradConv.Applies(new ConvGeometry(28, 28, 3, 3, 28, 28, 1, 1, 1, 1, 1, 1), 64, 64, 2));
        Assert.True(WinogradConv.Applies(new ConvGeometry(14, 14, 3, 3, 14, 14, 1, 1, 1, 1, 1, 1), 256, 256, 1));
    }

    [Fact]
    public void TgemmCasesTakeTheTransposedProduct()
    {
        var cases = Named("tgemm ");
        Assert.Equal(5, cases.Count);
        foreach (var t in cases)
        {
            Assert.True(TransposedGemmConv.Applies(Geometry(t), t.C, t.O, t.P.Groups), t.Name);
            Assert.Equal(t.Name.Contains("signal"), TransposedGemmConv.IsSignal(Geometry(t), t.C));
        }
        // 14×14 maps measured slower there: they stay on the padded-row path.
        var g14 = new ConvGeometry(14, 14, 3, 3, 14, 14, 1, 1, 1, 1, 1, 1);
        Assert.False(TransposedGemmConv.Applies(g14, 256, 256, 1));
        Assert.True(RowConv.Applies(g14, 256, 256, 1) && WinogradConv.Applies(g14, 256, 256, 1));
    }

    [Fact]
    public void DwcCasesTakeTheChannelBlocks()
    {
        var cases = Named("dwc ");
        Assert.Equal(3, cases.Count);
        foreach (var t in cases)
        {
            Assert.True(t.C == t.P.Groups && t.O == t.P.Groups, t.Name);
            Assert.Equal(DepthwiseForwardPath.Channels, CpuKernels.DepthwisePath(Geometry(t), residual: false));
            Assert.NotEqual(DepthwiseForwardPath.Channels, CpuKernels.DepthwisePath(Geometry(t), residual: true));
        }
    }

    [Fact]
    public void DwpCasesTakeThePlanes()
    {
        Requirement.Require(Avx512F.IsSupported && VectorWidth.Use512, "the depthwise planes need 512-bit vectors");
        var cases = Named("dwp ");
        Assert.Equal(10, cases.Count);
        foreach (var t in cases)
        {
            Assert.True(t.C == t.P.Groups && t.O == t.P.Groups, t.Name);
            Assert.Equal(DepthwiseForwardPath.Planes, CpuKernels.DepthwisePath(Geometry(t), residual: false));
            Assert.Equal(DepthwiseForwardPath.Planes, CpuKernels.DepthwisePath(Geometry(t), residual: true));
        }
        // Dilated windows and 7x7 ones are not its shapes.
        Assert.False(DepthwisePlanes.Applies(new ConvGeometry(15, 17, 3, 3, 8, 9, 2, 2, 2, 2, 2, 2)));
        Assert.False(DepthwisePlanes.Applies(new ConvGeometry(20, 20, 7, 7, 20, 20, 1, 1, 3, 3, 1, 1)));
    }

    [Theory]
    [InlineData(16, 16, 8, 8, 1, 1, 1)]     // pointwise on a small map: the GEMM's panels win
    [InlineData(32, 32, 1, 1, 3, 3, 1)]     // 1×1 output map: 1 valid position of 64
    [InlineData(30, 30, 8, 8, 3, 3, 15)]    // depthwise-like groups: 2 input channels per group, 18 taps, og = 2
    public void OtherShapesStayOnTheirPaths(int c, int o, int oh, int ow, int kh, int kw, int groups)
    {
        var g = new ConvGeometry(oh + kh - 1, ow + kw - 1, kh, kw, oh, ow, 1, 1, 0, 0, 1, 1);
        Assert.False(RowConv.Applies(g, c, o, groups));
    }
}
