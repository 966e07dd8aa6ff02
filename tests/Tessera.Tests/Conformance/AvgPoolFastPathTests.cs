using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Kernels;
using Tessera.Cpu.Kernels.Conv;
using Tessera.Cpu.Simd;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>The vectorised columns of CPU average pooling (stride 1 or 2 along W, blocks of 16 and 8 outputs, the last
/// block overlapping, windows of even and odd width, rows clipped by the padding with either divisor), and the
/// depthwise planes that square 3×3 and 5×5 windows with one divisor take, give the window loop's values bit for bit:
/// the float sum of each window in row-major order from 0, times 1/count. Also against the reference.</summary>
public class AvgPoolFastPathTests
{
    public static TheoryData<int, int, int, int, int, int, int, bool> Cases => new()
    {
        // h, w, kernel h, kernel w, stride h, stride w, pad, count padding
        { 12, 56, 2, 2, 2, 2, 0, false },   // 28 outputs: blocks of 16 and 16 (overlapping)
        { 9, 47, 2, 2, 2, 2, 0, false },    // 23 outputs
        { 8, 30, 2, 2, 2, 2, 0, false },    // 15 outputs: 8 and 8, overlapping
        { 7, 21, 3, 3, 2, 2, 1, true },     // odd window, stride 2, padded
        { 7, 40, 3, 3, 2, 2, 1, false },
        { 6, 33, 3, 3, 1, 1, 1, true },     // stride 1, padded
        { 6, 33, 3, 3, 1, 1, 1, false },
        { 5, 70, 5, 5, 1, 1, 2, false },
        { 9, 26, 2, 3, 1, 2, 0, false },    // rectangular window, stride (1, 2)
        { 6, 12, 3, 3, 1, 1, 0, false },    // 10 outputs: one block of 8 and an overlapping one
        { 4, 9, 2, 2, 1, 1, 0, false },     // 8 outputs
        { 4, 7, 2, 2, 1, 1, 0, false },     // 6 outputs: one at a time
    };

    [Fact]
    public void WindowsWithOneDivisorTakeTheDepthwisePlanes()
    {
        Requirement.Require(Avx512F.IsSupported && VectorWidth.Use512, "the depthwise planes need 512-bit vectors");
        Pool2dParams P(int k, int s, int pad, bool count) => new(k, k, s, s, pad, pad, pad, pad, CountIncludePad: count);
        ConvGeometry G(int h, int w, Pool2dParams p) => new(h, w, p.KernelH, p.KernelW, (h + 2 * p.PadTop - p.KernelH) / p.StrideH + 1,
            (w + 2 * p.PadLeft - p.KernelW) / p.StrideW + 1, p.StrideH, p.StrideW, p.PadTop, p.PadLeft, 1, 1);
        // Three of the cases above: padding that counts at stride 2 and 1, and no padding.
        Assert.True(CpuKernels.AvgPoolIsDepthwise(G(7, 21, P(3, 2, 1, true)), P(3, 2, 1, true)));
        Assert.True(CpuKernels.AvgPoolIsDepthwise(G(6, 33, P(3, 1, 1, true)), P(3, 1, 1, true)));
        Assert.True(CpuKernels.AvgPoolIsDepthwise(G(6, 12, P(3, 1, 0, false)), P(3, 1, 0, false)));
        // Padding outside the divisor, 2×2 windows, and ceil mode's clipped last window stay with the rows.
        Assert.False(CpuKernels.AvgPoolIsDepthwise(G(6, 33, P(3, 1, 1, false)), P(3, 1, 1, false)));
        Assert.False(CpuKernels.AvgPoolIsDepthwise(G(12, 56, P(2, 2, 0, false)), P(2, 2, 0, false)));
        var ceil = P(3, 2, 0, true) with { CeilMode = true };
        Assert.False(CpuKernels.AvgPoolIsDepthwise(new ConvGeometry(8, 8, 3, 3, 4, 4, 2, 2, 0, 0, 1, 1), ceil));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    [Covers(OpKind.AvgPool2d)]
    public void InteriorEqualsTheWindowLoop(int h, int w, int kh, int kw, int sh, int sw, int pad, bool countPad)
    {
        var p = new Pool2dParams(kh, kw, sh, sw, pad, pad, pad, pad, CountIncludePad: countPad);
        var rx = Rand.Uniform(h * 100 + w, new[] { 2, 3, h, w });
        using var x = rx.ToDevice(TestDevices.Cpu);
        using var y = Ops.AvgPool2d(x, p);
        var got = y.ToArray<float>();
        var expected = WindowLoop(rx.Data.Select(v => (float)v).ToArray(), 6, h, w, y.Shape[2], y.Shape[3], p);
        for (int i = 0; i < got.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(got[i]),
                $"output {i}: {got[i]:R}, the window loop gives {expected[i]:R}");
        Approx.Equal(RefConv.AvgPool2d(rx, p), y, 1e-6, 1e-5, "avgpool");
    }

    /// <summary>Average pooling one window at a time, in float, as the general CPU loop does it.</summary>
    private static float[] WindowLoop(float[] x, int planes, int h, int w, int oh, int ow, Pool2dParams p)
    {
        var y = new float[planes * oh * ow];
        for (int pl = 0; pl < planes; pl++)
            for (int r = 0; r < oh; r++)
                for (int c = 0; c < ow; c++)
                {
                    int hs = r * p.StrideH - p.PadTop, ws = c * p.StrideW - p.PadLeft;
                    int he = Math.Min(hs + p.KernelH, h + p.PadBottom), we = Math.Min(ws + p.KernelW, w + p.PadRight);
                    int h0 = Math.Max(hs, 0), w0 = Math.Max(ws, 0), h1 = Math.Min(he, h), w1 = Math.Min(we, w);
                    int count = p.CountIncludePad ? (he - hs) * (we - ws) : Math.Max(0, h1 - h0) * Math.Max(0, w1 - w0);
                    float sum = 0f;
                    for (int i = h0; i < h1; i++)
                        for (int j = w0; j < w1; j++) sum += x[(pl * h + i) * w + j];
                    y[(pl * oh + r) * ow + c] = sum * (count > 0 ? 1f / count : 0f);
                }
        return y;
    }
}
