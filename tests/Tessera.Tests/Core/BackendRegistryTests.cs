using Tessera.Cpu;
using Tessera.Cuda;
using Tessera.Devices;

namespace Tessera.Tests.Core;

/// <summary>Devices found by name: the backend's assembly loaded on demand, the fallback with its reason, and malformed
/// ids refused. (A fresh process that never touched a backend type is covered by tests/Tessera.Consumer.)</summary>
public class BackendRegistryTests
{
    [Fact]
    public void GetDevice_Cpu_ReturnsTheSharedCpuDevice()
    {
        Assert.Same(CpuBackend.Device, BackendRegistry.GetDevice("cpu"));
        Assert.Same(CpuBackend.Device, BackendRegistry.GetDevice(" CPU:0 "));
        Assert.NotNull(BackendRegistry.Find(DeviceKind.Cpu));
    }

    [Fact]
    public void Load_RegistersEveryDeployedBackend()
    {
        foreach (var kind in Enum.GetValues<DeviceKind>())
        {
            var backend = BackendRegistry.Load(kind, out var reason);
            Assert.True(backend is not null, $"{kind}: {reason}");
            Assert.Null(reason);
            Assert.Equal(kind, backend.Kind);
            Assert.Same(backend, BackendRegistry.Find(kind));
        }
    }

    [Fact]
    public void GetDevice_WithFallback_ReturnsTheFallbackWithTheReason_WhenTheDeviceIsAbsent()
    {
        var cpu = CpuBackend.Device;
        // An ordinal no machine has: the backend loads, the device does not exist.
        var d = BackendRegistry.GetDevice("opencl:4096", cpu, out var reason);
        Assert.Same(cpu, d);
        Assert.NotNull(reason);
        Assert.Contains("OpenCL", reason);
        Assert.Same(cpu, BackendRegistry.GetDevice("cuda:4096", fallback: cpu));
    }

    [Fact]
    public void GetDevice_Cuda_WithFallback_FallsBackExactlyWhenCudaIsUnavailable()
    {
        var cpu = CpuBackend.Device;
        var d = BackendRegistry.GetDevice("cuda", cpu, out var reason);
        if (CudaBackend.Instance.Status.Available)
        {
            Assert.Null(reason);
            Assert.Equal(DeviceKind.Cuda, d.Kind);
        }
        else
        {
            Assert.Same(cpu, d);
            Assert.Contains(CudaBackend.Instance.Status.Reason, reason);
        }
    }

    [Fact]
    public void TryGetDevice_ReportsTheReasonWithoutThrowing()
    {
        Assert.True(BackendRegistry.TryGetDevice("cpu", out var cpu, out var none));
        Assert.Same(CpuBackend.Device, cpu);
        Assert.Null(none);
        Assert.False(BackendRegistry.TryGetDevice("cpu:1", out var absent, out var reason));
        Assert.Null(absent);
        Assert.Contains("Cpu device 1 does not exist", reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tpu")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    [InlineData("opencl:0:1")]
    public void MalformedIds_Throw_EvenWithAFallback(string id)
    {
        var e = Assert.ThrowsAny<TesseraArgumentException>(() => BackendRegistry.GetDevice(id, CpuBackend.Device));
        Assert.Contains("BackendRegistry.GetDevice", e.Message);
        Assert.IsNotType<TesseraDeviceException>(e);
    }
}
