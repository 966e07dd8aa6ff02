using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Reference;

/// <summary>The reference attention and multi-head attention backward against central finite differences of the
/// reference forward (double, h = 1e-6).</summary>
public class AttentionGradTests
{
    [Theory]
    [InlineData(1, 2, 3, 4, 5, 3, false, false)]
    [InlineData(2, 1, 4, 4, 3, 2, true, false)]
    [InlineData(1, 2, 5, 3, 4, 4, false, true)]
    [InlineData(1, 1, 6, 6, 2, 3, true, true)]
    [ChecksGradient(OpKind.Attention)]
    public void AttentionBackwardMatchesFiniteDifferences(int b, int h, int tq, int tk, int d, int dv, bool causal, bool mask)
    {
        var q = Rand.Uniform(1, new[] { b, h, tq, d });
        var k = Rand.Uniform(2, new[] { b, h, tk, d });
        var v = Rand.Uniform(3, new[] { b, h, tk, dv });
        var w = Rand.Uniform(4, new[] { b, h, tq, dv });
        RefTensor? m = null;
        if (mask)
        {
            m = Rand.Uniform(5, new[] { tq, tk });
            m[0, tk - 1] = double.NegativeInfinity;
        }
        var p = new AttentionParams(float.NaN, causal);
        RefTensor F() => RefAttention.Attention(q, k, v, m, p).O;
        var (dq, dk, dvv) = RefAttention.AttentionBackward(q, k, v, m, w, p);
        NormFiniteDiff.Check(q, dq, F, w, "dq");
        NormFiniteDiff.Check(k, dk, F, w, "dk");
        NormFiniteDiff.Check(v, dvv, F, w, "dv");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [ChecksGradient(OpKind.Attention, OpKind.Gemm)]
    public void MultiHeadAttentionBackwardMatchesFiniteDifferences(bool causal)
    {
        int b = 1, tq = 3, tk = 4, e = 4, heads = 2;
        var xq = Rand.Uniform(1, new[] { b, tq, e });
        var xk = Rand.Uniform(2, new[] { b, tk, e });
        var xv = Rand.Uniform(3, new[] { b, tk, e });
        var ws = Enumerable.Range(0, 4).Select(i => Rand.Uniform(10 + i, new[] { e, e }, -0.5, 0.5)).ToArray();
        var bs = Enumerable.Range(0, 4).Select(i => Rand.Uniform(20 + i, new[] { e }, -0.2, 0.2)).ToArray();
        var mask = Rand.Uniform(30, new[] { tq, tk });
        var w = Rand.Uniform(31, new[] { b, tq, e });
        RefTensor F() => RefAttention.MultiHeadAttention(xq, xk, xv, ws[0], ws[1], ws[2], ws[3], bs[0], bs[1], bs[2], bs[3], heads, mask, causal);
        var g = RefAttention.MultiHeadAttentionBackward(w, xq, xk, xv, ws[0], ws[1], ws[2], ws[3], bs[0], bs[1], bs[2], bs[3], heads, mask, causal);
        var inputs = new[] { xq, xk, xv, ws[0], ws[1], ws[2], ws[3], bs[0], bs[1], bs[2], bs[3] };
        for (int i = 0; i < inputs.Length; i++) NormFiniteDiff.Check(inputs[i], g[i], F, w, $"grad {i}");
    }
}
