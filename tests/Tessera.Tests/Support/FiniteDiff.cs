using Tessera.Reference;

namespace Tessera.Tests.Support;

/// <summary>Central finite differences in double for checking the reference's analytic gradients.</summary>
public static class FiniteDiff
{
    /// <summary>Central-difference gradient of loss() with respect to every element of <paramref name="t"/>: each
    /// element is perturbed in place by ±h and restored.</summary>
    public static RefTensor Numeric(RefTensor t, Func<double> loss, double h = 1e-6)
    {
        var g = new RefTensor(t.Shape);
        for (int i = 0; i < t.Length; i++)
        {
            double keep = t.Data[i];
            t.Data[i] = keep + h;
            double up = loss();
            t.Data[i] = keep - h;
            double down = loss();
            t.Data[i] = keep;
            g.Data[i] = (up - down) / (2 * h);
        }
        return g;
    }

    /// <summary>L(x) = Σ w·f(x) with h = 1e-6, checked element by element against an analytic gradient:
    /// |fd − analytic| ≤ 1e-6 + 1e-5·|analytic|.</summary>
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
