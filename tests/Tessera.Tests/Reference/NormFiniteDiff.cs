using Tessera.Reference;
using Tessera.Tests.Support;

namespace Tessera.Tests.Reference;

/// <summary>Central finite differences of a scalar loss L = Σ w ∘ f(inputs) (w a fixed random projection), in double,
/// for checking the reference's analytic backward of the norm and attention families.</summary>
internal static class NormFiniteDiff
{
    /// <summary>Checks dL/d(input) of every element of <paramref name="input"/> against <paramref name="analytic"/>.
    /// <paramref name="forward"/> is re-evaluated with the element perturbed by ±h (the input is restored after).</summary>
    public static void Check(RefTensor input, RefTensor analytic, Func<RefTensor> forward, RefTensor w, string what,
        double h = 1e-6, double atol = 1e-6, double rtol = 1e-5)
    {
        Assert.Equal(input.Shape, analytic.Shape);
        var numeric = FiniteDiff.Numeric(input, () => Loss(forward(), w), h);
        Approx.Equal(numeric, analytic.Data, atol, rtol, what);
    }

    public static double Loss(RefTensor y, RefTensor w)
    {
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += y.Data[i] * w.Data[i];
        return s;
    }
}
