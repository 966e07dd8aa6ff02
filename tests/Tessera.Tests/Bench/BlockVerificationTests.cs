using Tessera.Bench;
using Tessera.Tests.Support;

namespace Tessera.Tests.Bench;

/// <summary>Verification of a leading block of a large output is exact for that block and still fails on errors in it.</summary>
public class BlockVerificationTests
{
    [Fact]
    public void LeadingBlockOfGemmIsExactAndCatchesAnErrorInsideIt()
    {
        var cpu = TestDevices.Cpu;
        using var ctx = new BenchContext(cpu, 3);
        var a = ctx.In("a", [6, 5]); var b = ctx.In("b", [5, 4]);
        using var c = Ops.MatMul(a, b);
        var block = Tessera.Reference.RefLinalg.MatMul(ctx.RefPrefix("a", 2, 5), ctx.Ref("b"));
        var ok = Verify.ClosePrefix("c", block, c);
        Assert.True(ok.Ok, ok.Note);
        Assert.Contains("leading 8 of 24", ok.Note);
        var bad = c.ToArray<float>();
        bad[5] += 0.5f;   // row 1, inside the checked block
        using var wrong = Tensor.FromArray(cpu, bad, 6, 4);
        Assert.False(Verify.ClosePrefix("c", block, wrong).Ok);
    }

    [Fact]
    public void ChannelSubsetMatchesTheFullWeightGradient()
    {
        using var ctx = new BenchContext(TestDevices.Cpu, 5);
        ctx.In("x", [2, 3, 5, 5]); ctx.In("dy", [2, 4, 5, 5]);
        var p = Kernels.Conv2dParams.Square(stride: 1, pad: 1);
        var full = Tessera.Reference.RefConv.Conv2dBackwardWeight(ctx.Ref("x"), ctx.Ref("dy"), [4, 3, 3, 3], p);
        var part = Tessera.Reference.RefConv.Conv2dBackwardWeight(ctx.Ref("x"), ctx.RefChannels("dy", 2), [2, 3, 3, 3], p);
        Assert.Equal(full.Data.AsSpan(0, part.Length).ToArray(), part.Data);
    }
}
