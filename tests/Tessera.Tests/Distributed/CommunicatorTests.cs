using Tessera.Devices;
using Tessera.Distributed;
using Tessera.Tests.Support;

namespace Tessera.Tests.Distributed;

/// <summary>The single-process communicator: results of a group of one, and the argument checks every communicator
/// shares.</summary>
public class CommunicatorTests
{
    private static readonly IDevice Dev = TestDevices.Cpu;

    [Theory]
    [InlineData(ReduceOp.Sum)]
    [InlineData(ReduceOp.Average)]
    public void AllReduceOfOneRankIsTheTensor(ReduceOp op)
    {
        using var comm = new LocalCommunicator();
        float[] data = [1.5f, -2f, 3.25f, 1e-30f];
        using var t = Tensor.FromArray(Dev, data, 2, 2);
        var h = comm.AllReduceAsync(t, op);
        h.Wait();
        Assert.True(h.IsCompleted);
        Assert.Equal(data, t.ToArray<float>());
    }

    [Fact]
    public void ReduceScatterAndAllGatherCopyForOneRank()
    {
        using var comm = new LocalCommunicator();
        using var input = Tensor.FromArray(Dev, new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var output = Tensor.Zeros(Dev, DType.Float32, 6);
        ((ICommunicator)comm).ReduceScatter(input, output);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, output.ToArray<float>());
        using var gathered = Tensor.Zeros(Dev, DType.Float32, 3, 2);
        ((ICommunicator)comm).AllGather(input, gathered);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, gathered.ToArray<float>());
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheOpNamed()
    {
        ICommunicator comm = new LocalCommunicator();
        using var ints = Tensor.Zeros(Dev, DType.Int64, 4);
        using var four = Tensor.Zeros(Dev, DType.Float32, 4);
        using var three = Tensor.Zeros(Dev, DType.Float32, 3);
        using var wide = Tensor.Zeros(Dev, DType.Float32, 2, 3);
        using var transposed = wide.Transpose();
        Assert.Contains("Float32", Assert.Throws<TesseraDTypeException>(() => comm.AllReduce(ints)).Message);
        Assert.Contains("contiguous", Assert.ThrowsAny<TesseraArgumentException>(() => comm.AllReduce(transposed)).Message);
        Assert.Contains("LocalCommunicator.ReduceScatter", Assert.Throws<TesseraShapeException>(() => comm.ReduceScatter(four, three)).Message);
        Assert.Contains("LocalCommunicator.AllGather", Assert.Throws<TesseraShapeException>(() => comm.AllGather(three, four)).Message);
        Assert.Contains("rank 1 is not in the group of 1", Assert.ThrowsAny<TesseraArgumentException>(() => comm.Broadcast(four, 1)).Message);
        Assert.ThrowsAny<TesseraArgumentException>(() => comm.Timeout = TimeSpan.Zero);
        comm.Timeout = TimeSpan.FromSeconds(3);
        Assert.Equal(TimeSpan.FromSeconds(3), comm.Timeout);
        comm.Barrier();
    }

    [Fact]
    public void TheMpiProbeGivesAReasonWhenUnavailable()
    {
        var status = Tessera.Distributed.Mpi.MpiLibrary.Status;
        if (status.Available) Assert.NotEmpty(status.Attempts);
        else Assert.Contains("libmpi", status.Reason);
    }

    [Fact]
    public void FingerprintsThatDifferNameBothSides()
    {
        var allReduce = new CollectiveFingerprint(CollectiveKind.AllReduce, ReduceOp.Average, 1024, 0, 7);
        var ints = allReduce.ToInts();
        Assert.Equal(CollectiveFingerprint.Length, ints.Length);
        Assert.Equal(allReduce, CollectiveFingerprint.FromInts(ints));
        Assert.Null(CollectiveFingerprint.Mismatch(1, [allReduce, allReduce, allReduce]));
        var broadcast = new CollectiveFingerprint(CollectiveKind.Broadcast, ReduceOp.Sum, 1024, 0, 7);
        Assert.Equal("mismatched collectives (collective #7): rank 0 calls AllReduce (Average) of 1024 floats, rank 2 calls Broadcast of 1024 floats from rank 0",
            CollectiveFingerprint.Mismatch(0, [allReduce, allReduce, broadcast]));
        Assert.Equal("mismatched collectives (collective #7): rank 2 calls Broadcast of 1024 floats from rank 0, rank 0 calls AllReduce (Average) of 1024 floats",
            CollectiveFingerprint.Mismatch(2, [allReduce, allReduce, broadcast]));
        // Same kind, other size or sequence number.
        Assert.Contains("rank 1 calls AllReduce (Average) of 512 floats", CollectiveFingerprint.Mismatch(0, [allReduce, allReduce with { Count = 512 }]));
        Assert.Contains("collective #7 here, #8 there", CollectiveFingerprint.Mismatch(0, [allReduce, allReduce with { Sequence = 8 }]));
    }

    [Fact]
    public void TheDebugVariableTakesDetailOrOff()
    {
        Assert.True(CollectiveFingerprint.DebugEnabled("detail", "test"));
        Assert.True(CollectiveFingerprint.DebugEnabled("DETAIL", "test"));
        Assert.False(CollectiveFingerprint.DebugEnabled("OFF", "test"));
        Assert.False(CollectiveFingerprint.DebugEnabled(null, "test"));
        var e = Assert.ThrowsAny<TesseraArgumentException>(() => CollectiveFingerprint.DebugEnabled("verbose", "test"));
        Assert.Contains(CollectiveFingerprint.DebugVariable, e.Message);
        Assert.Contains("expected DETAIL or OFF", e.Message);
    }
}
