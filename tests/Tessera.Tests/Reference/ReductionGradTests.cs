using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Reference;

/// <summary>The reference's analytic reduction, softmax and loss gradients against central finite differences of the
/// reference's forward, in double (L = Σ w·f(x), random w, h = 1e-6, |fd − analytic| ≤ 1e-6 + 1e-5·|analytic|).</summary>
public class ReductionGradTests
{
    public static TheoryData<ReduceOp, int[], int[], bool> ReduceCases()
    {
        var d = new TheoryData<ReduceOp, int[], int[], bool>();
        foreach (var op in Enum.GetValues<ReduceOp>())
        {
            d.Add(op, new[] { 7 }, Array.Empty<int>(), false);
            d.Add(op, new[] { 3, 4 }, new[] { 1 }, true);
            d.Add(op, new[] { 2, 3, 4 }, new[] { 0, 2 }, false);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(ReduceCases))]
    [ChecksGradient(OpKind.Reduce)]
    public void ReduceGradientMatchesFiniteDifferences(ReduceOp op, int[] shape, int[] axes, bool keep)
    {
        var p = new ReduceParams(axes, keep);
        var x = Rand.Uniform(11, shape);
        var w = Rand.Uniform(12, RefReduction.Reduce(op, x, p).Shape);
        FiniteDiff.Check(v => RefReduction.Reduce(op, v, p), x, w, RefReduction.ReduceBackward(op, x, w, p), $"{op}");
    }

    public static TheoryData<int[], int, bool> SoftmaxCases() => new()
    {
        { new[] { 6 }, 0, false }, { new[] { 6 }, 0, true }, { new[] { 3, 5 }, 1, false }, { new[] { 3, 5 }, 0, true },
        { new[] { 2, 3, 4 }, 1, false }, { new[] { 2, 3, 4 }, 1, true },
    };

    [Theory]
    [MemberData(nameof(SoftmaxCases))]
    [ChecksGradient(OpKind.Softmax)]
    public void SoftmaxGradientMatchesFiniteDifferences(int[] shape, int axis, bool log)
    {
        var p = new SoftmaxParams(axis, log);
        var x = Rand.Uniform(21, shape, -3, 3);
        var w = Rand.Uniform(22, shape);
        FiniteDiff.Check(v => RefReduction.Softmax(v, p), x, w, RefReduction.SoftmaxBackward(x, w, p), $"softmax log={log}");
    }

    public static TheoryData<bool, LossReduction, float> CrossEntropyCases() => new()
    {
        { true, LossReduction.Mean, 0f }, { true, LossReduction.Sum, 0.1f }, { true, LossReduction.None, 0.2f },
        { false, LossReduction.Mean, 0f }, { false, LossReduction.None, 0.3f }, { false, LossReduction.Sum, 0.1f },
    };

    [Theory]
    [MemberData(nameof(CrossEntropyCases))]
    [ChecksGradient(OpKind.CrossEntropy)]
    public void CrossEntropyGradientMatchesFiniteDifferences(bool indices, LossReduction red, float eps)
    {
        const int n = 5, c = 4;
        var p = new CrossEntropyParams(red, IgnoreIndex: 2, LabelSmoothing: eps);
        var logits = Rand.Uniform(31, new[] { n, c }, -2, 2);
        var target = indices
            ? new RefTensor(new[] { n }, new double[] { 0, 2, 3, 1, 3 })
            : Rand.Uniform(32, new[] { n, c }, 0, 1); // unnormalised rows: the gradient must use Σq
        var w = red == LossReduction.None ? Rand.Uniform(33, new[] { n }) : RefTensor.Scalar(0.7);
        FiniteDiff.Check(v => RefReduction.CrossEntropy(v, target, indices, p), logits, w,
            RefReduction.CrossEntropyBackward(logits, target, indices, w, p), $"CE {red}");
    }

    [Theory]
    [InlineData(LossReduction.None)]
    [InlineData(LossReduction.Mean)]
    [InlineData(LossReduction.Sum)]
    [ChecksGradient(OpKind.MseLoss)]
    public void MseGradientMatchesFiniteDifferences(LossReduction red)
    {
        var a = Rand.Uniform(41, new[] { 3, 4 });
        var b = Rand.Uniform(42, new[] { 3, 4 });
        var w = red == LossReduction.None ? Rand.Uniform(43, new[] { 3, 4 }) : RefTensor.Scalar(1.3);
        FiniteDiff.Check(v => RefReduction.MseLoss(v, b, red), a, w, RefReduction.MseLossBackward(a, b, w, red), $"mse {red}");
    }
}
