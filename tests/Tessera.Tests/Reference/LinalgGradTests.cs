using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Reference;

/// <summary>The reference's analytic gradients against central finite differences of the reference's forward, in
/// double: loss = Σ proj ⊙ f(inputs) with a random projection, h = 1e-6.</summary>
public class LinalgGradTests
{
    internal static double Dot(RefTensor a, RefTensor b)
    {
        Assert.Equal(a.Shape, b.Shape);
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a.Data[i] * b.Data[i];
        return s;
    }

    internal static void Close(RefTensor numeric, RefTensor analytic, string what) =>
        Approx.Equal(numeric, analytic.Data, 1e-6, 1e-6, what);

    public static TheoryData<int[], int[]> MatMulShapes() => new()
    {
        { [3, 4], [4, 5] },
        { [2, 1, 3, 4], [3, 4, 2] },
        { [4], [4, 3] },
        { [3, 4], [4] },
        { [5], [5] },
        { [2, 3, 4], [4, 2] },
    };

    [Theory]
    [MemberData(nameof(MatMulShapes))]
    [ChecksGradient(OpKind.Gemm)]
    public void MatMul(int[] aShape, int[] bShape)
    {
        var a = Rand.Uniform(1, aShape);
        var b = Rand.Uniform(2, bShape);
        var proj = Rand.Uniform(3, RefLinalg.MatMul(a, b).Shape);
        double Loss() => Dot(proj, RefLinalg.MatMul(a, b));
        var (da, db) = RefLinalg.MatMulBackward(a, b, proj);
        Close(FiniteDiff.Numeric(a, Loss), da, "da");
        Close(FiniteDiff.Numeric(b, Loss), db, "db");
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, 5)]
    [InlineData(new[] { 2, 3, 4 }, 2)]
    [InlineData(new[] { 6 }, 3)]
    [ChecksGradient(OpKind.Gemm)]
    public void Linear(int[] xShape, int outF)
    {
        var x = Rand.Uniform(4, xShape);
        var w = Rand.Uniform(5, [outF, xShape[^1]]);
        var b = Rand.Uniform(6, [outF]);
        var proj = Rand.Uniform(7, RefLinalg.Linear(x, w, b).Shape);
        double Loss() => Dot(proj, RefLinalg.Linear(x, w, b));
        var (dx, dw, db) = RefLinalg.LinearBackward(x, w, proj);
        Close(FiniteDiff.Numeric(x, Loss), dx, "dx");
        Close(FiniteDiff.Numeric(w, Loss), dw, "dw");
        Close(FiniteDiff.Numeric(b, Loss), db, "db");
    }

    /// <summary>Gemm's gradient with respect to a and b under transposes, alpha and bias, checked through
    /// MatMulBackward of the explicitly transposed operands.</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [ChecksGradient(OpKind.Gemm)]
    public void GemmTransposesAgreeWithMatMul(bool ta, bool tb)
    {
        var a = Rand.Uniform(8, ta ? [4, 3] : [3, 4]);
        var b = Rand.Uniform(9, tb ? [5, 4] : [4, 5]);
        var p = new Tessera.Kernels.GemmParams(ta, tb, 1f, 0f);
        var viaGemm = RefLinalg.Gemm(a, b, null, p);
        var viaMatMul = RefLinalg.MatMul(ta ? RefConvert.Permute(a, [1, 0]) : a, tb ? RefConvert.Permute(b, [1, 0]) : b);
        Approx.Equal(viaMatMul, viaGemm.Data, 1e-12, 0, "gemm vs matmul");
        var proj = Rand.Uniform(10, viaGemm.Shape);
        double Loss() => Dot(proj, RefLinalg.Gemm(a, b, null, p));
        var (da, db) = RefLinalg.MatMulBackward(ta ? RefConvert.Permute(a, [1, 0]) : a, tb ? RefConvert.Permute(b, [1, 0]) : b, proj);
        Close(FiniteDiff.Numeric(a, Loss), ta ? RefConvert.Permute(da, [1, 0]) : da, "da");
        Close(FiniteDiff.Numeric(b, Loss), tb ? RefConvert.Permute(db, [1, 0]) : db, "db");
    }
}
