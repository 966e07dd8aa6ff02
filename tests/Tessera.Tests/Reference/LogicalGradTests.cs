using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Reference;

/// <summary>The reference gradients of Where (with respect to a and b) and PRelu (x and a broadcast slope) against
/// central finite differences of the reference forward, in double: L = Σ w·f, h = 1e-6,
/// |fd − analytic| ≤ 1e-6 + 1e-5·|analytic|.</summary>
public class LogicalGradTests
{
    [Theory]
    [InlineData(new[] { 6 }, new[] { 6 }, new[] { 6 })]
    [InlineData(new[] { 3, 4 }, new[] { 4 }, new int[0])]
    [InlineData(new[] { 2, 1, 3 }, new[] { 4, 1 }, new[] { 2, 4, 1 })]
    [ChecksGradient(OpKind.Where)]
    public void WhereGradientMatchesFiniteDifferences(int[] sc, int[] sa, int[] sb)
    {
        var cond = Rand.Ints(1, sc, 2);
        var a = Rand.Uniform(2, sa, -2, 2);
        var b = Rand.Uniform(3, sb, -2, 2);
        var full = RefElementwise.BroadcastShape(RefElementwise.BroadcastShape(sc, sa), sb);
        var w = Rand.Uniform(4, full);
        var (da, db) = RefLogical.WhereBackward(cond, sa, sb, w);
        FiniteDiff.Check(v => RefLogical.Where(cond, v, b), a, w, da, "dWhere/da");
        FiniteDiff.Check(v => RefLogical.Where(cond, a, v), b, w, db, "dWhere/db");
        Assert.Contains(da.Data.Concat(db.Data), v => v != 0);
    }

    [Theory]
    [InlineData(new[] { 7 }, new[] { 7 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 3, 1 })]
    [InlineData(new[] { 3, 5 }, new int[0])]
    [ChecksGradient(OpKind.Binary)]
    public void PReluGradientMatchesFiniteDifferences(int[] sx, int[] ss)
    {
        var x = Rand.Uniform(5, sx, -2, 2);
        var s = Rand.Uniform(6, ss, -1, 1);
        var w = Rand.Uniform(7, sx);
        var (dx, ds) = RefElementwise.BinaryBackward(BinaryOp.PRelu, x, s, w);
        FiniteDiff.Check(v => RefElementwise.Binary(BinaryOp.PRelu, v, s), x, w, dx, "dPRelu/dx");
        FiniteDiff.Check(v => RefElementwise.Binary(BinaryOp.PRelu, x, v), s, w, ds, "dPRelu/dslope");
    }
}
