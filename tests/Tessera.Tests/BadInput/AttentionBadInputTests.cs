using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.BadInput;

/// <summary>Bad arguments to the attention facade: the specific Tessera exception, naming the op.</summary>
public class AttentionBadInputTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    private static void Throws<TEx>(string op, Action act) where TEx : TesseraException
    {
        var ex = Assert.Throws<TEx>(act);
        Assert.Contains(op, ex.Message);
        Assert.Equal(op, ex.Op);
    }

    private static Tensor F(params int[] shape) => Tensor.Full(Dev, 0.5f, shape);
    private const string Sdpa = nameof(Ops.Attention);

    [Fact]
    public void RejectsWrongRank()
    {
        using var q = F(2, 3, 4); using var k = F(1, 2, 3, 4);
        Throws<TesseraShapeException>(Sdpa, () => Ops.Attention(q, k, k, null, new()));
    }

    [Fact]
    public void RejectsMismatchedHeadSizeAndKeyLength()
    {
        using var q = F(1, 2, 3, 4); using var k5 = F(1, 2, 3, 5); using var k = F(1, 2, 6, 4); using var v = F(1, 2, 7, 4);
        Throws<TesseraShapeException>(Sdpa, () => Ops.Attention(q, k5, k5, null, new()));
        Throws<TesseraShapeException>(Sdpa, () => Ops.Attention(q, k, v, null, new()));
    }

    [Fact]
    public void RejectsMaskThatDoesNotBroadcast()
    {
        using var q = F(1, 2, 3, 4); using var k = F(1, 2, 6, 4); using var m = F(3, 5); using var m5 = F(1, 1, 1, 3, 6);
        Throws<TesseraShapeException>(Sdpa, () => Ops.Attention(q, k, k, m, new()));
        Throws<TesseraShapeException>(Sdpa, () => Ops.Attention(q, k, k, m5, new()));
    }

    [Fact]
    public void RejectsIntegerMaskAndInfiniteScale()
    {
        using var q = F(1, 2, 3, 4); using var m = Tensor.Zeros(Dev, DType.Int64, 3, 3);
        Throws<TesseraDTypeException>(Sdpa, () => Ops.Attention(q, q, q, m, new()));
        Throws<TesseraArgumentException>(Sdpa, () => Ops.Attention(q, q, q, null, new(float.PositiveInfinity)));
    }

    [Fact]
    public void RejectsZeroHeadSizeAndDisposedInput()
    {
        using var q0 = F(1, 1, 3, 0);
        Throws<TesseraShapeException>(Sdpa, () => Ops.Attention(q0, q0, q0, null, new()));
        var q = F(1, 1, 3, 4);
        q.Dispose();
        using var k = F(1, 1, 3, 4);
        Throws<TesseraDisposedException>(Sdpa, () => Ops.Attention(q, k, k, null, new()));
    }

    [Fact]
    public void BackwardRejectsWrongLseShape()
    {
        using var q = F(1, 2, 3, 4); using var lse = F(1, 2, 4);
        const string op = nameof(Ops.AttentionBackward);
        Throws<TesseraShapeException>(op, () => Ops.AttentionBackward(q, q, q, null, q, lse, q, new()));
    }

    [Fact]
    public void MultiHeadAttentionRejectsIndivisibleHeadsAndBadWeights()
    {
        using var x = F(2, 3, 6); using var w = F(6, 6); using var w5 = F(6, 5); using var b = F(5);
        const string op = nameof(Ops.MultiHeadAttention);
        Throws<TesseraShapeException>(op, () => Ops.MultiHeadAttention(x, x, x, w, w, w, w, null, null, null, null, 4));
        Throws<TesseraArgumentException>(op, () => Ops.MultiHeadAttention(x, x, x, w, w, w, w, null, null, null, null, 0));
        Throws<TesseraShapeException>(op, () => Ops.MultiHeadAttention(x, x, x, w, w5, w, w, null, null, null, null, 2));
        Throws<TesseraShapeException>(op, () => Ops.MultiHeadAttention(x, x, x, w, w, w, w, null, b, null, null, 2));
        using var dOut = F(2, 3, 5);
        Throws<TesseraShapeException>(nameof(Ops.MultiHeadAttentionBackward),
            () => Ops.MultiHeadAttentionBackward(dOut, x, x, x, w, w, w, w, null, null, null, null, 2));
    }
}
