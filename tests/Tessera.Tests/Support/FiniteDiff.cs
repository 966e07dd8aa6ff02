using Tessera.Reference;

namespace Tessera.Tests.Support;

/// <summary>Central finite differences of L(x) = Σ w·f(x) in double (h = 1e-6), checked element by element against an
/// analytic gradient: |fd − analytic| ≤ 1e-6 + 1e-5·|analytic|.</summary>
public static class FiniteDiff
{
    public static void Check(Func<RefTensor, RefTensor> f, RefTensor x, RefTensor w, RefTensor analytic, string what)
    {
        const double h = 1e-6;
        Assert.Equal(x.Shape, analytic.Shape);
        for (int i = 0; i < x.Length; i++)
        {
            var xp = x.Clone(); xp.Data[i] += h;
            var xm = x.Clone(); xm.Data[i] -= h;
            double fd = (Dot(f(xp), w) - Dot(f(xm), w)) / (2 * h);
            double an = analytic.Data[i];
            Assert.True(Math.Abs(fd - an) <= 1e-6 + 1e-5 * Math.Abs(an), $"{what}: element {i}: finite difference {fd:G9}, analytic {an:G9}");
        }
    }

    private static double Dot(RefTensor a, RefTensor w)
    {
        Assert.Equal(a.Shape, w.Shape);
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a.Data[i] * w.Data[i];
        return s;
    }
}
