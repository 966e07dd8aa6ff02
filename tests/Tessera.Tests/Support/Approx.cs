using System.Text;
using Tessera.Reference;

namespace Tessera.Tests.Support;

/// <summary>Comparison against the reference: |a − r| ≤ atol + rtol·|r| element by element (NaN matches NaN,
/// infinities must match exactly), with a message giving the worst error and the first mismatching index.</summary>
public static class Approx
{
    public static void Equal(RefTensor expected, Tensor actual, double atol = 1e-5, double rtol = 1e-4, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape.ToArray());
        Equal(expected, actual.ToRef().Data, atol, rtol, what);
    }

    public static void Equal(RefTensor expected, double[] actual, double atol = 1e-5, double rtol = 1e-4, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        int bad = 0;
        long first = -1;
        double maxAbs = 0, maxRel = 0;
        for (long i = 0; i < actual.Length; i++)
        {
            double r = expected.Data[i], a = actual[i];
            bool ok;
            if (double.IsNaN(r)) ok = double.IsNaN(a);
            else if (double.IsInfinity(r)) ok = a == r;
            else
            {
                double err = Math.Abs(a - r);
                ok = err <= atol + rtol * Math.Abs(r);
                if (!double.IsNaN(err)) { maxAbs = Math.Max(maxAbs, err); maxRel = Math.Max(maxRel, err / Math.Max(Math.Abs(r), 1e-30)); }
                else ok = false;
            }
            if (!ok) { bad++; if (first < 0) first = i; }
        }
        if (bad == 0) return;
        var sb = new StringBuilder();
        sb.Append($"{what}: {bad} of {actual.Length} elements out of tolerance (atol {atol}, rtol {rtol}); ");
        sb.Append($"max abs err {maxAbs:G4}, max rel err {maxRel:G4}; first at [{string.Join(", ", expected.Unravel(first))}]: ");
        sb.Append($"expected {expected.Data[first]:G9}, got {actual[first]:G9}");
        Assert.Fail(sb.ToString());
    }
}
