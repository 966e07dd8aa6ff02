using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>The vectorised max poolings against the reference: 2×2 / stride 2 (rows of ≥ 16 outputs, last block
/// overlapping) and any undilated window and stride along W (8 outputs a vector, border columns scalar):
/// values and argmax indices, with ties (first wins), NaNs (a NaN takes the place) and −∞ next to the padding.</summary>
public class MaxPoolFastPathTests
{
    public static TheoryData<int, int, bool> Shapes => new()
    {
        { 32, 32, false }, { 33, 34, false }, { 40, 56, false }, { 7, 62, true }, { 9, 96, true }, { 4, 31, false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    [Covers(OpKind.MaxPool2d)]
    public void MatchesTheReferenceWithTiesAndNaNs(int h, int w, bool ceil)
    {
        var p = new Pool2dParams(2, 2, 2, 2, CeilMode: ceil);
        AssertMatches(h, w, p);
    }

    public static TheoryData<int, int, int, int, int, int, int, bool> Windows => new()
    {
        // h, w, kh, kw, sh, sw, pad, ceil: ResNet's stem pooling, SqueezeNet's ceil-mode ones, stride 1, odd windows.
        { 112, 112, 3, 3, 2, 2, 1, false }, { 111, 111, 3, 3, 2, 2, 0, true }, { 27, 27, 3, 3, 2, 2, 0, true },
        { 13, 13, 3, 3, 2, 2, 0, true }, { 20, 33, 3, 3, 1, 1, 1, false }, { 12, 40, 5, 5, 1, 1, 2, false },
        { 9, 45, 2, 3, 1, 2, 0, false }, { 10, 24, 3, 3, 2, 2, 1, true }, { 6, 17, 3, 2, 2, 1, 1, false },
        // Strides above 2 (gathered taps): 1-D audio networks' 1×4 / 4 pooling, 3×3 / 3, ceil mode, a padded 2×5 / 5.
        { 1, 996, 1, 4, 1, 4, 0, false }, { 1, 62, 1, 4, 1, 4, 0, false }, { 9, 50, 3, 3, 3, 3, 0, true },
        { 5, 64, 1, 3, 1, 3, 0, true }, { 7, 90, 2, 5, 2, 5, 1, false },
        // Small planes pooled in registers (MaxPoolSmall): GoogLeNet's 3×3 / 1 on 14×14 and 7×7 and its ceil-mode
        // 2×2 / 2, a two-register row (31 columns) with stride 3.
        { 14, 14, 3, 3, 1, 1, 1, false }, { 7, 7, 3, 3, 1, 1, 1, true }, { 14, 14, 2, 2, 2, 2, 0, true },
        { 30, 31, 5, 4, 2, 3, 2, true },
        // 3×3 / 2 in one pass (MaxPool3x3S2): one vector and a ceil-mode window past the edge, padding 2 with three
        // overlapping vectors and windows at both edges.
        { 37, 35, 3, 3, 2, 2, 0, true }, { 40, 77, 3, 3, 2, 2, 2, false },
    };

    /// <summary>The small shapes above do take the register path (so the value tests cover it).</summary>
    [Fact]
    public void SmallPlanesTakeTheRegisterPath()
    {
        Requirement.Require(System.Runtime.Intrinsics.X86.Avx512F.IsSupported && Tessera.Cpu.Simd.VectorWidth.Use512, "the register path needs 512-bit vectors");
        foreach (var (h, w, k, s, pad, ceil) in new[] { (14, 14, 3, 1, 1, false), (7, 7, 3, 1, 1, true), (14, 14, 2, 2, 0, true), (27, 27, 3, 2, 0, true) })
        {
            var p = new Pool2dParams(k, k, s, s, pad, pad, pad, pad, CeilMode: ceil);
            var ys = ShapeRules.Pool2d(new Shape(1, 1, h, w), p);
            var g = new Tessera.Cpu.Kernels.Conv.ConvGeometry(h, w, k, k, ys[2], ys[3], s, s, pad, pad, 1, 1);
            Assert.True(Tessera.Cpu.Kernels.Conv.MaxPoolSmall.Applies(g), $"{h}x{w} {p}");
        }
        Assert.False(Tessera.Cpu.Kernels.Conv.MaxPoolSmall.Applies(new Tessera.Cpu.Kernels.Conv.ConvGeometry(55, 55, 3, 3, 27, 27, 2, 2, 0, 0, 1, 1)));
    }

    /// <summary>3×3 / 2 windows with 16 outputs a row take the one-pass path (values without indices above cover it).</summary>
    [Fact]
    public void ThreeByTwoWindowsTakeTheOnePassPath()
    {
        Requirement.Require(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, "the one-pass 3x3 / 2 path needs AVX-512");
        foreach (var (h, w, pad, ceil) in new[] { (112, 112, 1, false), (111, 111, 0, true), (37, 35, 0, true), (40, 77, 2, false) })
            Assert.True(Tessera.Cpu.Kernels.Conv.MaxPool3x3S2.Applies(Geometry(h, w, 3, 2, pad, ceil)), $"{h}x{w} pad {pad}");
        // Fewer than 16 outputs a row, or stride 1, stay on the other paths.
        Assert.False(Tessera.Cpu.Kernels.Conv.MaxPool3x3S2.Applies(Geometry(27, 27, 3, 2, 0, true)));
        Assert.False(Tessera.Cpu.Kernels.Conv.MaxPool3x3S2.Applies(Geometry(40, 77, 3, 1, 1, false)));
    }

    private static Tessera.Cpu.Kernels.Conv.ConvGeometry Geometry(int h, int w, int k, int s, int pad, bool ceil)
    {
        var ys = ShapeRules.Pool2d(new Shape(1, 1, h, w), new Pool2dParams(k, k, s, s, pad, pad, pad, pad, CeilMode: ceil));
        return new Tessera.Cpu.Kernels.Conv.ConvGeometry(h, w, k, k, ys[2], ys[3], s, s, pad, pad, 1, 1);
    }

    [Theory]
    [MemberData(nameof(Windows))]
    [Covers(OpKind.MaxPool2d)]
    public void VectorRowsMatchTheReference(int h, int w, int kh, int kw, int sh, int sw, int pad, bool ceil) =>
        AssertMatches(h, w, new Pool2dParams(kh, kw, sh, sw, pad, pad, pad, pad, CeilMode: ceil));

    /// <summary>Without indices (inference) stride 1 and 2 reduce rows then columns (<c>MaxPoolSeparable</c>; 3×3 / 2 in
    /// one pass, <c>MaxPool3x3S2</c>): planes without NaNs take those paths, planes with one the exact loop; both must
    /// give the reference's values.</summary>
    [Theory]
    [MemberData(nameof(Windows))]
    [Covers(OpKind.MaxPool2d)]
    public void ValuesWithoutIndicesMatchTheReference(int h, int w, int kh, int kw, int sh, int sw, int pad, bool ceil)
    {
        var p = new Pool2dParams(kh, kw, sh, sw, pad, pad, pad, pad, CeilMode: ceil);
        foreach (bool nans in new[] { false, true })
        {
            var rx = Input(h, w, nans);
            var (ey, _) = RefConv.MaxPool2d(rx, p);
            using var x = rx.ToDevice(TestDevices.Cpu);
            using var y = Tensor.Empty(TestDevices.Cpu, DType.Float32, new Shape(ey.Shape));
            TestDevices.Cpu.Kernels.MaxPool2d(x, y, null, p);
            Approx.Equal(ey, y, 0, 0, $"maxpool {p} values without indices, NaNs {nans}");
        }
    }

    /// <summary>Uniform values with ties (0.5), −∞ and, optionally, NaNs.</summary>
    private static RefTensor Input(int h, int w, bool nans)
    {
        var rx = Rand.Uniform(h * 31 + w, new[] { 2, 3, h, w });
        var rng = new Random(h + w);
        for (int i = 0; i < rx.Length; i++)
        {
            int r = rng.Next(20);
            if (r == 0) rx.Data[i] = nans ? double.NaN : 0.5;
            else if (r == 1) rx.Data[i] = double.NegativeInfinity;
            else if (r < 7) rx.Data[i] = 0.5; // ties
        }
        return rx;
    }

    private static void AssertMatches(int h, int w, Pool2dParams p)
    {
        var rx = Input(h, w, nans: true);
        var (ey, ei) = RefConv.MaxPool2d(rx, p);
        using var x = rx.ToDevice(TestDevices.Cpu);
        var (y, idx) = Ops.MaxPool2d(x, p);
        using (y)
        using (idx)
        {
            Approx.Equal(ey, y, 0, 0, $"maxpool {p} values");
            Assert.Equal(ei.Data.Select(v => (long)v).ToArray(), idx.ToArray<long>());
        }
    }
}
