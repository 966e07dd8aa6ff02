using Tessera.Cuda;
using Tessera.Devices;

namespace Tessera.Tests.Cuda;

public sealed class NvtxTests
{
    [Fact]
    public void Ranges_AreNoOps_OrCallNvtx_WithoutThrowing()
    {
        using (Nvtx.Range("tessera test range"))
        using (Nvtx.Range(new string('x', 600)))
        {
        }
        if (!Nvtx.IsAvailable) Assert.Equal(-1, Nvtx.Push("x"));
        else Assert.NotNull(Nvtx.LibraryName);
    }
}

/// <summary>Need a GPU (UNTESTED ON A GPU until a GPU session runs them).</summary>
public sealed class CudaGraphDeviceTests
{
    [Fact]
    public void CapturedWork_ReplaysOnLaunch()
    {
        GpuRequirement.RequireCudaDevice();
        var d = CudaBackend.Instance.GetCudaDevice(0);
        using var x = Tensor.Empty(d, DType.Float32, new Shape(1000));
        using var y = Tensor.Empty(d, DType.Float32, new Shape(1000));
        void Body()
        {
            d.Kernels.Fill(x, 2.5f);
            d.Kernels.Copy(x, y);
        }
        Body();   // warm-up: module loaded, nothing allocated during capture
        d.Kernels.Fill(y, 0f);
        using var graph = d.Capture(Body);
        Assert.Equal(0f, y.ToArray<float>()[999]);   // capture does not run the work
        graph.Replay();
        d.DefaultStream.Synchronize();
        Assert.All(y.ToArray<float>(), v => Assert.Equal(2.5f, v));
        Assert.True(graph.NodeCount >= 2);
    }

    [Fact]
    public void BuffersReleasedInsideTheCapture_AreHeldUntilDispose()
    {
        GpuRequirement.RequireCudaDevice();
        var d = CudaBackend.Instance.GetCudaDevice(0);
        using var y = Tensor.Empty(d, DType.Float32, new Shape(256));
        void Body()
        {
            using var scratch = Tensor.Empty(d, DType.Float32, new Shape(256));
            d.Kernels.Fill(scratch, 4f);
            d.Kernels.Copy(scratch, y);
        }
        Body();
        IReplayableWork work = ((IGraphCapture)d).Capture(d.DefaultStream, Body);
        var graph = Assert.IsType<CudaGraph>(work);
        Assert.Equal(1, graph.HeldBuffers);
        using (var other = Tensor.Empty(d, DType.Float32, new Shape(256)))
        {
            // The held scratch block is not handed out again while the graph lives.
            d.Kernels.Fill(other, -1f);
            work.Replay();
            d.DefaultStream.Synchronize();
            Assert.All(y.ToArray<float>(), v => Assert.Equal(4f, v));
        }
        work.Dispose();
        Assert.Equal(0, graph.HeldBuffers);
    }

    [Fact]
    public void SynchronisingInsideCapture_FailsWithAClearError()
    {
        GpuRequirement.RequireCudaDevice();
        var d = CudaBackend.Instance.GetCudaDevice(0);
        using var s = d.CreateStream();
        var ex = Assert.ThrowsAny<TesseraException>(() => d.Capture(() => s.Synchronize(), s));
        Assert.Contains("cuStream", ex.Message);
    }
}
