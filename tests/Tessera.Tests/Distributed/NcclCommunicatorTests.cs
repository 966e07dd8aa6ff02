using Tessera.Cuda;
using Tessera.Cuda.Interop;
using Tessera.Devices;
using Tessera.Distributed;
using Tessera.Distributed.Mpi;
using Tessera.Distributed.Nccl;
using Tessera.Tests.Cuda;
using Tessera.Tests.Support;

namespace Tessera.Tests.Distributed;

/// <summary>NCCL's library probe (no GPU needed): where it looks and what it says when NCCL is missing.</summary>
public sealed class NcclProbeTests
{
    [Fact]
    public void Spec_NamesTheLibraryAndItsOverride()
    {
        var spec = CudaLibraries.Spec(CudaLibrary.Nccl);
        Assert.Equal(CudaLibrary.Nccl, spec.Library);
        Assert.Equal("TESSERA_LIBNCCL", spec.OverrideVariable);
        Assert.Contains("libnccl.so.2", spec.LinuxNames);
    }

    [Fact]
    public void Override_WithBogusPath_IsUnavailableWithTheAttempt()
    {
        var env = new CudaProbeEnvironment
        {
            GetVariable = v => v == "TESSERA_LIBNCCL" ? "/nonexistent/tessera/libnccl.so.2" : null,
            UseLoaderPath = false,
            UseStandardFolders = false,
            IsWindows = false,
            Home = "",
        };
        var load = CudaLibraries.Probe(CudaLibraries.Spec(CudaLibrary.Nccl), env);
        Assert.False(load.Loaded);
        Assert.Contains(load.Attempts, a => a.Contains("/nonexistent/tessera/libnccl.so.2", StringComparison.Ordinal) && a.Contains("no such file", StringComparison.Ordinal));
    }

    [Fact]
    public void Status_IsAvailableOrSaysWhy()
    {
        var status = NcclCommunicator.Status;
        if (status.Available) Assert.NotEmpty(status.Attempts);
        else Assert.Contains("libnccl.so.2", status.Reason, StringComparison.Ordinal);
    }
}

/// <summary>NCCL on a GPU, one rank (the GPU machine has one GPU, and NCCL refuses two ranks on one device): the
/// handshake through a bootstrap communicator, every collective on device memory, ordering after the default stream,
/// and the argument checks. Skipped without a CUDA device.</summary>
public sealed class NcclCommunicatorDeviceTests
{
    private static CudaDevice Device()
    {
        GpuRequirement.RequireCudaDevice();
        Assert.SkipUnless(NcclCommunicator.Status.Available, $"NCCL is unavailable: {NcclCommunicator.Status.Reason}");
        return CudaBackend.Instance.GetCudaDevice(0);
    }

    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Theory]
    [InlineData(ReduceOp.Sum, 1)]
    [InlineData(ReduceOp.Average, 1000)]
    [InlineData(ReduceOp.Sum, 16_777_216)]   // 64 MiB: several NCCL chunks
    public void AllReduce_OfOneRank_KeepsTheTensor(ReduceOp op, int n)
    {
        var d = Device();
        using var comm = NcclCommunicator.Create(d, new LocalCommunicator());
        Assert.Equal(0, comm.Rank);
        Assert.Equal(1, comm.Size);
        Assert.StartsWith("NCCL 2.", comm.Name, StringComparison.Ordinal);
        var data = Random(n, n);
        using var t = Tensor.FromArray(d, data, n);
        var h = comm.AllReduceAsync(t, op);
        h.Wait();
        Assert.True(h.IsCompleted);
        Assert.Equal(data, t.ToArray<float>());
    }

    [Fact]
    public void Collective_RunsAfterTheDefaultStreamsWork()
    {
        var d = Device();
        using ICommunicator comm = NcclCommunicator.Create(d, new LocalCommunicator());
        const int n = 1 << 22;
        var data = Random(n, 7).Select(v => MathF.Round(v * 64)).ToArray();   // exact in bf16
        using var a = Tensor.FromArray(d, data, n);
        using var h = Tensor.Empty(d, DType.BFloat16, new Shape(n));
        using var back = Tensor.Zeros(d, DType.Float32, n);
        d.Kernels.Cast(a, h);
        d.Kernels.Cast(h, back);            // queued on the default stream, not waited for
        comm.AllReduce(back);               // must see the casts' result, not the zeros
        Assert.Equal(data, back.ToArray<float>());
    }

    [Fact]
    public void ReduceScatter_AllGather_Broadcast_Barrier_OfOneRank()
    {
        var d = Device();
        using ICommunicator comm = NcclCommunicator.Create(d, new LocalCommunicator());
        var data = Random(4096, 3);
        using var input = Tensor.FromArray(d, data, 4096);
        using var scattered = Tensor.Zeros(d, DType.Float32, 4096);
        comm.ReduceScatter(input, scattered, ReduceOp.Average);
        Assert.Equal(data, scattered.ToArray<float>());
        using var gathered = Tensor.Zeros(d, DType.Float32, 64, 64);
        comm.AllGather(input, gathered);
        Assert.Equal(data, gathered.ToArray<float>());
        comm.Broadcast(input, root: 0);
        Assert.Equal(data, input.ToArray<float>());
        var barrier = comm.BarrierAsync();
        barrier.Wait();
        barrier.Wait();                     // waiting again returns at once
        Assert.True(barrier.IsCompleted);
    }

    [Fact]
    public void BadArguments_AreNamed()
    {
        var d = Device();
        using var comm = NcclCommunicator.Create(d, new LocalCommunicator());
        using var host = Tensor.FromArray(TestDevices.Cpu, new float[] { 1, 2 }, 2);
        var e = Assert.Throws<TesseraDeviceException>(() => comm.AllReduceAsync(host));
        Assert.Contains("NcclCommunicator.AllReduce", e.Message, StringComparison.Ordinal);
        Assert.Contains("cpu", e.Message, StringComparison.Ordinal);
        using var ints = Tensor.Zeros(d, DType.Int32, 4);
        Assert.Throws<TesseraDTypeException>(() => comm.AllReduceAsync(ints));
        using var four = Tensor.Zeros(d, DType.Float32, 4);
        Assert.Throws<TesseraArgumentException>(() => comm.BroadcastAsync(four, root: 1));
        Assert.Throws<TesseraArgumentException>(() => comm.Timeout = TimeSpan.Zero);
        comm.Dispose();
        Assert.Throws<TesseraDisposedException>(() => comm.AllReduceAsync(four));
    }

    [Fact]
    public void Handshake_OverMpi_OfOneProcess()
    {
        var d = Device();
        Assert.SkipUnless(MpiLibrary.Status.Available, $"MPI is unavailable: {MpiLibrary.Status.Reason}");
        using var mpi = MpiCommunicator.Create();
        Assert.SkipUnless(mpi.Size == 1, "runs as a singleton MPI process (not under mpirun)");
        using ICommunicator comm = NcclCommunicator.Create(d, mpi);
        using var t = Tensor.FromArray(d, new float[] { 1, 2, 3 }, 3);
        comm.AllReduce(t, ReduceOp.Average);
        Assert.Equal(new float[] { 1, 2, 3 }, t.ToArray<float>());
    }
}
