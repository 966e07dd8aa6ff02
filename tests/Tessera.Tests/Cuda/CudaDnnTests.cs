using System.Runtime.InteropServices;
using Tessera.Cuda;
using Tessera.Cuda.Interop;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Cuda;

/// <summary>cuDNN binding layouts (no GPU needed).</summary>
public sealed class CudnnBindingTests
{
    [Fact]
    public void AlgoPerf_Is48Bytes_WithMemoryAt16()
    {
        Assert.Equal(48, Marshal.SizeOf<cudnnConvolutionAlgoPerf_t>());
        Assert.Equal(16, Marshal.OffsetOf<cudnnConvolutionAlgoPerf_t>(nameof(cudnnConvolutionAlgoPerf_t.memory)).ToInt32());
        Assert.Equal(28, Marshal.OffsetOf<cudnnConvolutionAlgoPerf_t>(nameof(cudnnConvolutionAlgoPerf_t.mathType)).ToInt32());
    }

    [Fact]
    public void EnumValues_AreCudnn9s()
    {
        Assert.Equal(1, (int)cudnnConvolutionMode_t.CUDNN_CROSS_CORRELATION);
        Assert.Equal(3, (int)cudnnMathType_t.CUDNN_FMA_MATH);
        Assert.Equal(9, (int)cudnnDataType_t.CUDNN_DATA_BFLOAT16);
        Assert.Equal(0, (int)cudnnTensorFormat_t.CUDNN_TENSOR_NCHW);
    }
}

/// <summary>cuDNN convolution against the CPU kernels. Need a GPU and cuDNN 9 (UNTESTED ON A GPU until a GPU session runs them).</summary>
public sealed class CudaDnnDeviceTests
{
    private static CudaDevice Device()
    {
        GpuRequirement.RequireCudaDevice();
        Assert.SkipUnless(CudaDnn.IsAvailable, "libcudnn.so.9 is not loadable");
        return CudaBackend.Instance.GetCudaDevice(0);
    }

    private static float[] Random(long n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    private static void AssertClose(float[] expected, float[] actual, float tol = 2e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])), $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    public static TheoryData<int[], int[], int, int, int, int, bool> Cases() => new()
    {
        // x shape, w shape, stride, pad, dilation, groups, bias
        { [2, 16, 14, 14], [32, 16, 3, 3], 1, 1, 1, 1, true },     // ResNet-style 3×3
        { [1, 8, 15, 13], [8, 8, 3, 3], 2, 1, 1, 1, false },       // stride 2, odd sizes
        { [2, 8, 12, 12], [12, 4, 3, 3], 1, 2, 2, 2, true },       // groups 2, dilation 2
        { [1, 4, 9, 9], [6, 4, 1, 1], 1, 0, 1, 1, true },          // 1×1
        { [1, 6, 10, 10], [6, 1, 5, 5], 1, 2, 1, 6, false },       // depthwise 5×5
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackward_MatchTheCpu(int[] xs, int[] ws, int stride, int pad, int dilation, int groups, bool bias)
    {
        var d = Device();
        var cpu = TestDevices.Cpu;
        var p = Conv2dParams.Square(stride, pad, dilation, groups);
        var xData = Random(xs.Aggregate(1L, (a, b) => a * b), 1);
        var wData = Random(ws.Aggregate(1L, (a, b) => a * b), 2);
        var bData = Random(ws[0], 3);
        using var xg = Tensor.FromArray(d, xData, xs);
        using var wg = Tensor.FromArray(d, wData, ws);
        using var bg = bias ? Tensor.FromArray(d, bData, ws[0]) : null;
        using var xc = Tensor.FromArray(cpu, xData, xs);
        using var wc = Tensor.FromArray(cpu, wData, ws);
        using var bc = bias ? Tensor.FromArray(cpu, bData, ws[0]) : null;

        using var yc = Ops.Conv2d(xc, wc, bc, p);
        using var yg = Ops.Conv2d(xg, wg, bg, p);
        Assert.Equal("cudnn", CudaKernels.LastConvPathOnThisThread);
        AssertClose(yc.ToArray<float>(), yg.ToArray<float>());

        var dyData = Random(yc.ElementCount, 4);
        using var dyc = Tensor.FromArray(cpu, dyData, yc.Shape.ToArray());
        using var dyg = Tensor.FromArray(d, dyData, yc.Shape.ToArray());
        using var dxc = Ops.Conv2dBackwardData(dyc, wc, xc.Shape, p);
        using var dxg = Ops.Conv2dBackwardData(dyg, wg, xg.Shape, p);
        Assert.Equal("cudnn", CudaKernels.LastConvPathOnThisThread);
        AssertClose(dxc.ToArray<float>(), dxg.ToArray<float>());

        using var dwc = Ops.Conv2dBackwardWeight(xc, dyc, wc.Shape, p);
        using var dwg = Ops.Conv2dBackwardWeight(xg, dyg, wg.Shape, p);
        Assert.Equal("cudnn", CudaKernels.LastConvPathOnThisThread);
        AssertClose(dwc.ToArray<float>(), dwg.ToArray<float>(), 1e-3f);
    }

    [Fact]
    public void StridedInputView_IsDescribedWithItsStrides()
    {
        var d = Device();
        var cpu = TestDevices.Cpu;
        var xData = Random(2 * 8 * 10 * 12, 5);
        var wData = Random(4 * 8 * 3 * 3, 6);
        using var xg0 = Tensor.FromArray(d, xData, 2, 8, 10, 12);
        using var xc0 = Tensor.FromArray(cpu, xData, 2, 8, 10, 12);
        using var xg = xg0.Slice(3, 2, 11);   // W sliced: row stride 12, width 9
        using var xc = xc0.Slice(3, 2, 11);
        using var wg = Tensor.FromArray(d, wData, 4, 8, 3, 3);
        using var wc = Tensor.FromArray(cpu, wData, 4, 8, 3, 3);
        var p = Conv2dParams.Square(1, 1);
        using var yc = Ops.Conv2d(xc, wc, null, p);
        using var yg = Ops.Conv2d(xg, wg, null, p);
        Assert.Equal("cudnn", CudaKernels.LastConvPathOnThisThread);
        AssertClose(yc.ToArray<float>(), yg.ToArray<float>());
    }

    [Fact]
    public void AsymmetricPadding_IsRefused_ForThePortableKernel()
    {
        var d = Device();
        using var x = Tensor.Zeros(d, DType.Float32, 1, 2, 6, 6);
        using var w = Tensor.Zeros(d, DType.Float32, 2, 2, 3, 3);
        var p = new Conv2dParams(1, 1, 0, 1, 1, 0);
        using var y = Tensor.Empty(d, DType.Float32, ShapeRules.Conv2d(x.Shape, w.Shape, p));
        Assert.Contains("asymmetric padding", d.Dnn.TryConv2d(d.Kernels, x, w, null, y, p));
    }

    [Fact]
    public void AlgorithmChoice_IsCachedPerShape()
    {
        var d = Device();
        using var x = Tensor.Zeros(d, DType.Float32, 1, 4, 8, 8);
        using var w = Tensor.Zeros(d, DType.Float32, 4, 4, 3, 3);
        var p = Conv2dParams.Square(1, 1);
        using var y1 = Ops.Conv2d(x, w, null, p);
        int plans = d.Dnn.CachedPlans;
        using var y2 = Ops.Conv2d(x, w, null, p);
        Assert.Equal(plans, d.Dnn.CachedPlans);
    }
}
