using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Reference;

/// <summary>The reference's analytic element-wise gradients against central finite differences of the reference's
/// forward, in double. Scalar loss L = Σ w·f(x) with a random projection w; h = 1e-6; |fd − analytic| ≤ 1e-6 + 1e-5·|analytic|.</summary>
public class ElementwiseGradTests
{
    /// <summary>Every unary op's parameter sets (α, β) and input range for the check. The cases are built from
    /// <see cref="UnaryOp"/>'s values: an op missing here gets one failing case that names it.</summary>
    public static readonly IReadOnlyDictionary<UnaryOp, (float Alpha, float Beta, double Lo, double Hi)[]> UnaryParameters =
        new Dictionary<UnaryOp, (float, float, double, double)[]>
        {
            [UnaryOp.Identity] = [(0, 0, -2, 2)], [UnaryOp.Neg] = [(0, 0, -2, 2)], [UnaryOp.Abs] = [(0, 0, -2, 2)],
            [UnaryOp.Exp] = [(0, 0, -2, 2)], [UnaryOp.Log] = [(0, 0, 0.2, 3)], [UnaryOp.Sqrt] = [(0, 0, 0.2, 3)],
            [UnaryOp.Reciprocal] = [(0, 0, 0.3, 3)], [UnaryOp.Relu] = [(0, 0, -2, 2)], [UnaryOp.LeakyRelu] = [(0.1f, 0, -2, 2)],
            [UnaryOp.Sigmoid] = [(0, 0, -4, 4)], [UnaryOp.HardSigmoid] = [(0.2f, 0.5f, -4, 4)], [UnaryOp.Tanh] = [(0, 0, -3, 3)],
            [UnaryOp.Erf] = [(0, 0, -3, 3)], [UnaryOp.GeluErf] = [(0, 0, -4, 4)], [UnaryOp.GeluTanh] = [(0, 0, -4, 4)],
            [UnaryOp.PowScalar] = [(2.5f, 0, 0.2, 3), (-1.5f, 0, 0.2, 3)], [UnaryOp.Clamp] = [(-0.5f, 0.8f, -2, 2)],
            [UnaryOp.Affine] = [(1.5f, -0.3f, -2, 2)], [UnaryOp.Silu] = [(0, 0, -5, 5)], [UnaryOp.HardSwish] = [(0, 0, -5, 5)],
        };

    public static TheoryData<UnaryOp, float, float, double, double> UnaryCases()
    {
        var d = new TheoryData<UnaryOp, float, float, double, double>();
        foreach (var op in Enum.GetValues<UnaryOp>())
        {
            if (!UnaryParameters.TryGetValue(op, out var sets)) { d.Add(op, 0, 0, double.NaN, double.NaN); continue; }
            foreach (var (alpha, beta, lo, hi) in sets) d.Add(op, alpha, beta, lo, hi);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(UnaryCases))]
    [ChecksGradient(OpKind.Unary)]
    public void UnaryGradientMatchesFiniteDifferences(UnaryOp op, float alpha, float beta, double lo, double hi)
    {
        Assert.True(UnaryParameters.ContainsKey(op), $"UnaryOp.{op}: no finite-difference parameters (add it to ElementwiseGradTests.UnaryParameters)");
        var p = new UnaryParams(alpha, beta);
        var x = Rand.Uniform(1 + (int)op, new[] { 23 }, lo, hi);
        var w = Rand.Uniform(2 + (int)op, new[] { 23 });
        var analytic = RefElementwise.UnaryBackward(op, x, w, p);
        FiniteDiff.Check(v => RefElementwise.Unary(op, v, p), x, w, analytic, op.ToString());
    }

    /// <summary>Every binary op's input ranges for the check (Pow: positive bases; Div: denominators away from zero).</summary>
    public static readonly IReadOnlyDictionary<BinaryOp, (double ALo, double AHi, double BLo, double BHi)> BinaryRanges =
        new Dictionary<BinaryOp, (double, double, double, double)>
        {
            [BinaryOp.Add] = (-2, 2, -2, 2), [BinaryOp.Sub] = (-2, 2, -2, 2), [BinaryOp.Mul] = (-2, 2, -2, 2),
            [BinaryOp.Div] = (-2, 2, 0.5, 2), [BinaryOp.Pow] = (0.3, 2, -2, 2), [BinaryOp.Max] = (-2, 2, -2, 2),
            [BinaryOp.Min] = (-2, 2, -2, 2), [BinaryOp.PRelu] = (-2, 2, -2, 2),
        };

    public static TheoryData<BinaryOp, int[], int[]> BinaryCases()
    {
        var d = new TheoryData<BinaryOp, int[], int[]>();
        foreach (var op in Enum.GetValues<BinaryOp>())
        {
            d.Add(op, new[] { 5 }, new[] { 5 });
            d.Add(op, new[] { 3, 4 }, new[] { 4 });
            d.Add(op, new[] { 2, 1, 3 }, new[] { 4, 1 });
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    [ChecksGradient(OpKind.Binary)]
    public void BinaryGradientMatchesFiniteDifferences(BinaryOp op, int[] sa, int[] sb)
    {
        Assert.True(BinaryRanges.TryGetValue(op, out var r), $"BinaryOp.{op}: no finite-difference input ranges (add it to ElementwiseGradTests.BinaryRanges)");
        var a = Rand.Uniform(3, sa, r.ALo, r.AHi);
        var b = Rand.Uniform(4, sb, r.BLo, r.BHi);
        var w = Rand.Uniform(5, RefElementwise.BroadcastShape(sa, sb));
        var (da, db) = RefElementwise.BinaryBackward(op, a, b, w);
        FiniteDiff.Check(v => RefElementwise.Binary(op, v, b), a, w, da, $"{op} da");
        FiniteDiff.Check(v => RefElementwise.Binary(op, a, v), b, w, db, $"{op} db");
    }
}
