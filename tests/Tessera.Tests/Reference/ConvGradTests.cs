using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;
using static Tessera.Tests.Reference.LinalgGradTests;

namespace Tessera.Tests.Reference;

/// <summary>Reference convolution and pooling gradients against central finite differences (double, h = 1e-6).</summary>
public class ConvGradTests
{
    public static TheoryData<int[], int[], Conv2dParams> ConvCases() => new()
    {
        { [1, 2, 5, 5], [3, 2, 3, 3], Conv2dParams.Square(1, 1) },
        { [2, 2, 6, 5], [2, 2, 2, 3], new(2, 1, 1, 0, 0, 2, 1, 2, 1) },
        { [1, 4, 6, 6], [4, 2, 3, 3], Conv2dParams.Square(2, 1, 1, 2) },
        { [1, 3, 7, 7], [3, 1, 3, 3], Conv2dParams.Square(1, 2, 2, 3) },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    [ChecksGradient(OpKind.Conv2d)]
    public void Conv2d(int[] xShape, int[] wShape, Conv2dParams p)
    {
        var x = Rand.Uniform(1, xShape);
        var w = Rand.Uniform(2, wShape);
        var b = Rand.Uniform(3, [wShape[0]]);
        var proj = Rand.Uniform(4, RefConv.Conv2d(x, w, b, p).Shape);
        double Loss() => Dot(proj, RefConv.Conv2d(x, w, b, p));
        Close(FiniteDiff.Numeric(x, Loss), RefConv.Conv2dBackwardData(proj, w, xShape, p), "dx");
        Close(FiniteDiff.Numeric(w, Loss), RefConv.Conv2dBackwardWeight(x, proj, wShape, p), "dw");
        Close(FiniteDiff.Numeric(b, Loss), RefConv.Conv2dBackwardBias(proj), "db");
    }

    public static TheoryData<Pool2dParams> PoolCases() => new()
    {
        Pool2dParams.Square(2, 2),
        Pool2dParams.Square(3, 2, 1) with { CeilMode = true },
        new Pool2dParams(2, 3, 1, 2, 1, 0, 0, 2, CeilMode: true),
        new Pool2dParams(2, 2, 1, 1, 1, 1, 1, 1, CountIncludePad: true),
    };

    [Theory]
    [MemberData(nameof(PoolCases))]
    [ChecksGradient(OpKind.MaxPool2d)]
    public void MaxPool2d(Pool2dParams p)
    {
        // Distinct, well-separated values keep every maximum more than h away from a tie.
        var x = new RefTensor(1, 2, 6, 7);
        var order = Enumerable.Range(0, x.Length).OrderBy(i => (i * 7919) % 101).ToArray();
        for (int i = 0; i < x.Length; i++) x.Data[order[i]] = 0.01 * i;
        var (y, idx) = RefConv.MaxPool2d(x, p);
        var proj = Rand.Uniform(5, y.Shape);
        double Loss() => Dot(proj, RefConv.MaxPool2d(x, p).Y);
        Close(FiniteDiff.Numeric(x, Loss), RefConv.MaxPool2dBackward(proj, idx, x.Shape), "dx");
    }

    [Theory]
    [MemberData(nameof(PoolCases))]
    [ChecksGradient(OpKind.AvgPool2d)]
    public void AvgPool2d(Pool2dParams p)
    {
        foreach (var include in new[] { false, true })
        {
            var q = p with { CountIncludePad = include };
            var x = Rand.Uniform(6, [2, 1, 6, 7]);
            var proj = Rand.Uniform(7, RefConv.AvgPool2d(x, q).Shape);
            double Loss() => Dot(proj, RefConv.AvgPool2d(x, q));
            Close(FiniteDiff.Numeric(x, Loss), RefConv.AvgPool2dBackward(proj, x.Shape, q), $"dx (count_include_pad {include})");
        }
    }
}
