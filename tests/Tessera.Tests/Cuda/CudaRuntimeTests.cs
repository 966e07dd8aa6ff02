using System.Runtime.InteropServices;
using Tessera.Cuda;
using Tessera.Devices;
using Tessera.Gpu;
using Tessera.Kernels;
using Tessera.Memory;

namespace Tessera.Tests.Cuda;

/// <summary>Launch marshalling: runs without a GPU (pure byte layout).</summary>
public sealed unsafe class CudaLaunchLayoutTests
{
    [Fact]
    public void Strided_Is144Bytes()
    {
        Assert.Equal(144, sizeof(Strided));
        Assert.Equal(144, Marshal.SizeOf<Strided>());
    }

    [Fact]
    public void Parameters_ExpandTensorsAndViews_IntoAlignedSlots()
    {
        var view = new Strided { Rank = 2, Offset = 5 };
        view.Shape[0] = 3; view.Shape[1] = 4; view.Stride[0] = 1; view.Stride[1] = 3;
        var args = new[]
        {
            new GpuArg { Kind = GpuArgKind.Tensor, Buffer = unchecked((nint)0x7000_0000_1000), Int = 17 },
            new GpuArg { Kind = GpuArgKind.View, Buffer = 0x2000, View = view },
            new GpuArg { Kind = GpuArgKind.Buffer, Buffer = 0x3000 },
            GpuArg.I32(-7), GpuArg.I64(1L << 40), GpuArg.F32(2.5f),
        };
        Assert.Equal(16 + 152 + 8 + 8 + 8 + 8, CudaRuntime.ParameterBytes(args));
        Assert.Equal(8, CudaRuntime.ParameterCount(args));
        byte* slots = stackalloc byte[CudaRuntime.ParameterBytes(args)];
        void** p = stackalloc void*[8];
        CudaRuntime.WriteParameters(args, slots, p);
        for (int i = 0; i < 8; i++) Assert.Equal(0, ((nint)p[i] - (nint)slots) % 8);
        Assert.Equal(0x7000_0000_1000UL, *(ulong*)p[0]);
        Assert.Equal(17L, *(long*)p[1]);
        Assert.Equal(0x2000UL, *(ulong*)p[2]);
        var v = *(Strided*)p[3];
        Assert.Equal(2, v.Rank);
        Assert.Equal(5, v.Offset);
        Assert.Equal(4, v.Shape[1]);
        Assert.Equal(3, v.Stride[1]);
        Assert.Equal(0x3000UL, *(ulong*)p[4]);
        Assert.Equal(-7, *(int*)p[5]);
        Assert.Equal(1L << 40, *(long*)p[6]);
        Assert.Equal(2.5f, *(float*)p[7]);
        Assert.Equal(144 + 8, (nint)p[4] - (nint)p[2]);
    }
}

/// <summary>Need a GPU: skipped here and in CI (UNTESTED ON A GPU until a GPU session runs them).</summary>
public sealed class CudaRuntimeDeviceTests
{
    private static CudaDevice Device()
    {
        GpuRequirement.RequireCudaDevice();
        return CudaBackend.Instance.GetCudaDevice(0);
    }

    [Fact]
    public void GetDevice_IsSharedPerOrdinal()
    {
        var d = Device();
        Assert.Same(d, BackendRegistry.GetDevice("cuda"));
        Assert.Same(d, BackendRegistry.GetDevice("cuda:0"));
        Assert.Equal("cuda:0", d.Id);
        Assert.Equal(DeviceKind.Cuda, d.Kind);
        Assert.True(d.Supports(OpKind.Copy, DType.BFloat16));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(3_000_001)]   // > two 4 MiB staging chunks: exercises the double buffering
    public void HostRoundTrip_ThroughPinnedStaging(int n)
    {
        var d = Device();
        var data = Enumerable.Range(0, n).Select(i => (float)(i * 0.5 - 3)).ToArray();
        using var t = Tensor.FromArray(d, data, n);
        Assert.Equal(data, t.ToArray<float>());
    }

    [Fact]
    public void Fill_Copy_Cast_RunPortableKernels()
    {
        var d = Device();
        using var z = Tensor.Zeros(d, DType.Float32, 3, 5);
        Assert.All(z.ToArray<float>(), v => Assert.Equal(0f, v));
        var src = Enumerable.Range(0, 15).Select(i => (float)i).ToArray();
        using var a = Tensor.FromArray(d, src, 3, 5);
        using var at = a.Transpose();
        using var dense = at.Contiguous();
        var got = dense.ToArray<float>();
        for (int i = 0; i < 5; i++) for (int j = 0; j < 3; j++) Assert.Equal(src[j * 5 + i], got[i * 3 + j]);
        using var h = Tensor.Empty(d, DType.BFloat16, new Shape(3, 5));
        d.Kernels.Cast(a, h);
        using var back = Tensor.Empty(d, DType.Float32, new Shape(3, 5));
        d.Kernels.Cast(h, back);
        Assert.Equal(src, back.ToArray<float>());
        Assert.Contains("core", d.Runtime.Images.Keys);
    }

    [Fact]
    public void UnknownKernel_IsNamedInTheError()
    {
        var d = Device();
        var ex = Assert.Throws<TesseraBackendException>(() => d.Runtime.Function("core", "no_such_kernel_f32"));
        Assert.Contains("no_such_kernel_f32", ex.Message);
    }

    [Fact]
    public void Events_TimeWork_AndOrderStreams()
    {
        var d = Device();
        using var start = d.CreateEvent(timing: true);
        using var stop = d.CreateEvent(timing: true);
        using var x = Tensor.Empty(d, DType.Float32, new Shape(1 << 22));
        start.Record(d.DefaultStream);
        d.Kernels.Fill(x, 3f);
        stop.Record(d.DefaultStream);
        double ms = stop.ElapsedMillisecondsSince(start);
        Assert.True(ms >= 0 && ms < 10_000, $"{ms} ms");
        Assert.True(stop.IsCompleted);

        // A second stream waits for the fill, then copies device to device.
        using var other = d.CreateStream();
        using var y = Tensor.Empty(d, DType.Float32, new Shape(1 << 22));
        using var filled = d.CreateEvent();
        d.Kernels.Fill(x, 7f);
        filled.Record(d.DefaultStream);
        other.Wait(filled);
        d.Memory.RecordUse(x.Storage.Buffer, other);
        d.Memory.RecordUse(y.Storage.Buffer, other);
        d.CopyDeviceToDevice(x.Storage.Buffer, 0, y.Storage.Buffer, 0, x.ElementCount * 4, other);
        other.Synchronize();
        var got = y.ToArray<float>();
        Assert.Equal(7f, got[0]);
        Assert.Equal(7f, got[^1]);
    }

    [Fact]
    public void Buffer_UsedOnADisposedStream_FreesWithoutTouchingIt()
    {
        // The order `using` gives when the stream is declared after the buffer: the stream goes first.
        var d = Device();
        var x = Tensor.Empty(d, DType.Float32, new Shape(1 << 20));
        var other = d.CreateStream();
        d.KernelsOn(other).Fill(x, 5f);
        d.Memory.RecordUse(x.Storage.Buffer, other);
        other.Dispose();
        ulong address = (ulong)x.Storage.Buffer.Handle;
        x.Dispose();                                                // recorded no event on the destroyed stream
        var block = d.Memory.Allocator.Snapshot().SelectMany(s => s.Blocks)
            .Single(b => b.Address <= address && address < b.Address + (ulong)b.Size);
        Assert.Equal(BlockState.Free, block.State);                 // reusable at once, not pending
    }

    [Fact]
    public void Pool_Stats_TrackRentsAndCacheHits()
    {
        var d = Device();
        var before = d.Memory.Stats;
        var b1 = d.Memory.Rent(1000);
        b1.Dispose();
        var b2 = d.Memory.Rent(1000);
        Assert.Equal(b1.Handle, b2.Handle);
        b2.Dispose();
        var after = d.Memory.Stats;
        Assert.True(after.Rents >= before.Rents + 2);
        Assert.True(after.CacheHits >= before.CacheHits + 1);
    }

    [Fact]
    public void Streams_FromAnotherDevice_AreRejected()
    {
        var d = Device();
        var ex = Assert.Throws<TesseraDeviceException>(() => d.Memory.Rent(16, Tessera.Cpu.CpuBackend.Device.DefaultStream));
        Assert.Contains("not a CUDA stream", ex.Message);
    }
}
