using Tessera.Devices;
using Tessera.OpenCL;
using Tessera.Tests.Support;

namespace Tessera.Tests.OpenCL;

/// <summary>The OpenCL backend itself (POCL's CPU device in CI): discovery, memory, copies, the program cache, events.
/// The kernels are tested by the conformance suites run with TESSERA_TEST_DEVICE=opencl.</summary>
public class ClDeviceTests
{
    private static ClDevice Device() => ClTestDevice.Shared();

    [Fact]
    public void RegistryResolvesOpenClIds()
    {
        var d = Device();
        Assert.Same(d, BackendRegistry.GetDevice("opencl"));
        Assert.Same(d, BackendRegistry.GetDevice("opencl:0"));
        var e = Assert.Throws<TesseraDeviceException>(() => BackendRegistry.GetDevice($"opencl:{ClBackend.Instance.DeviceCount}"));
        Assert.Contains("does not exist", e.Message);
        Assert.Contains(ClBackend.Instance.Describe(), kv => kv.Key == "opencl:0" && kv.Value.Contains(d.Name));
    }

    [Fact]
    public void BytesRoundTripAtOffsetsAndViewsCopyBack()
    {
        var d = Device();
        var data = Enumerable.Range(0, 1000).Select(i => (float)i - 500.5f).ToArray();
        using var t = Tensor.FromArray(d, data, 10, 100);
        Assert.Equal(data, t.ToArray<float>());
        using var tt = t.Transpose(0, 1);
        var expected = new float[1000];
        for (int i = 0; i < 100; i++) for (int j = 0; j < 10; j++) expected[i * 10 + j] = data[j * 100 + i];
        Assert.Equal(expected, tt.ToArray<float>());
        using var row = t.Slice(0, 3, 4);
        Assert.Equal(data[300..400], row.ToArray<float>());
    }

    [Theory]
    [InlineData(DType.Float32, 2.5)]
    [InlineData(DType.Float64, -1.25)]
    [InlineData(DType.Int32, -7)]
    [InlineData(DType.Int64, 1L << 40)]
    [InlineData(DType.UInt8, 200)]
    [InlineData(DType.Bool, 3)]
    [InlineData(DType.Float16, 0.1)]
    [InlineData(DType.BFloat16, 0.1)]
    public void FillAndCastAgreeWithTheCpu(DType dtype, double value)
    {
        var d = Device();
        var cpu = TestDevices.Cpu;
        using var g = Tensor.Empty(d, dtype, new Shape(3, 333));
        using var c = Tensor.Empty(cpu, dtype, new Shape(3, 333));
        d.Kernels.Fill(g, value);
        cpu.Kernels.Fill(c, value);
        using var gf = Tensor.Empty(d, DType.Float64, new Shape(3, 333));
        using var cf = Tensor.Empty(cpu, DType.Float64, new Shape(3, 333));
        d.Kernels.Cast(g, gf);
        cpu.Kernels.Cast(c, cf);
        Assert.Equal(cf.ToArray<double>(), gf.ToArray<double>());
    }

    [Fact]
    public void AKernelCallWithAnotherDevicesTensorIsRefusedNotCrashed()
    {
        var d = Device();
        using var host = Tensor.Full(TestDevices.Cpu, 1f, 100);
        using var onCl = Tensor.Empty(d, DType.Float32, new Shape(100));
        // The Ops facade refuses mixed devices; a direct kernel call must not hand a host pointer to the driver either.
        var e = Assert.Throws<TesseraDeviceException>(() => d.Kernels.Copy(host, onCl));
        Assert.Contains("core/copy_strided_b32", e.Message);
        Assert.Contains("is not memory of opencl:0", e.Message);
    }

    [Fact]
    public void PoolReusesBuffersAndReleasesThem()
    {
        var d = Device();
        var before = d.Memory.Stats;
        using (var a = Tensor.Empty(d, DType.Float32, new Shape(1000))) { }
        using (var b = Tensor.Empty(d, DType.Float32, new Shape(1000))) { }
        var after = d.Memory.Stats;
        Assert.True(after.CacheHits > before.CacheHits, "the second lease of the same size should come from the cache");
        Assert.Throws<TesseraOutOfMemoryException>(() => d.Memory.Rent(d.Info.MaxAllocation + 1));
    }

    [Fact]
    public void EventsOrderAndTimeWork()
    {
        var d = Device();
        using var start = d.CreateEvent(timing: true);
        using var end = d.CreateEvent(timing: true);
        using var t = Tensor.Empty(d, DType.Float32, new Shape(1 << 16));
        start.Record(d.DefaultStream);
        d.Kernels.Fill(t, 1);
        end.Record(d.DefaultStream);
        end.Synchronize();
        Assert.True(end.IsCompleted);
        Assert.True(end.ElapsedMillisecondsSince(start) >= 0);
    }
}

/// <summary>Guarded mode names the kernel that writes past a buffer's end (a debugging aid for kernel authors).</summary>
[Collection(nameof(ClGuardCollection))]
public class ClGuardTests
{
    private static unsafe Tessera.Gpu.GpuArg OneElementView(Tensor t, long offset)
    {
        var view = new Tessera.Gpu.Strided { Rank = 1, Offset = offset };
        view.Shape[0] = 1;
        view.Stride[0] = 1;
        return new Tessera.Gpu.GpuArg { Kind = Tessera.Gpu.GpuArgKind.View, Buffer = t.Storage.Buffer.Handle, View = view };
    }

    [Fact]
    public void AWritePastTheEndIsReportedWithTheKernelName()
    {
        using var dev = ClTestDevice.Private();   // an empty pool: the buffer below is fresh whatever ran before
        bool was = ClMemoryPool.Guarded;
        ClMemoryPool.Guarded = true;
        try
        {
            using var t = Tensor.Empty(dev, DType.Float32, new Shape(64 * 1024 + 7)); // a fresh, guarded buffer
            long reserved = ClMemoryPool.SizeClass(t.ElementCount * 4);
            // fill_strided_b32 through a view that starts at the first element past the size class: one 4-byte write out of bounds.
            var view = OneElementView(t, reserved / 4);
            var rt = dev.Runtime;
            var e = Assert.Throws<TesseraBackendException>(() => rt.Launch(rt.Function("core", "fill_strided_b32"), dev.DefaultStream, new Tessera.Gpu.GpuDim(1), 256,
                [view, Tessera.Gpu.GpuArg.I64(-1), Tessera.Gpu.GpuArg.I64(1)]));
            Assert.Contains("core/fill_strided_b32", e.Message);
            Assert.Contains("out of bounds", e.Message);
            // An in-bounds launch on the same buffer is clean (the band is rewritten when the buffer is leased again).
            dev.Kernels.Fill(t, 1);
        }
        finally { ClMemoryPool.Guarded = was; }
    }
}

[CollectionDefinition(nameof(ClGuardCollection), DisableParallelization = true)]
public sealed class ClGuardCollection;
