using Tessera.Reference;

namespace Tessera.Bench;

/// <summary>Comparison of a device output with the reference.</summary>
public static class Verify
{
    /// <summary>Worst normalised error max_i |a_i − r_i| / (|r_i| + rms(r)); ok when ≤ <paramref name="tol"/>. NaN in
    /// the output (e.g. an unwritten poisoned element) fails.</summary>
    public static Verification Close(string what, RefTensor expected, Tensor actual, double tol = 1e-3)
    {
        if (!expected.Shape.SequenceEqual(actual.Shape.ToArray()))
            return new(false, double.PositiveInfinity, $"{what}: shape {actual.Shape} vs reference [{string.Join(", ", expected.Shape)}]");
        var a = actual.ToArray<float>();
        return Close(what, expected.Data, a, tol);
    }

    public static Verification Close(string what, double[] r, float[] a, double tol)
    {
        double ss = 0;
        foreach (var x in r) ss += x * x;
        double rms = r.Length > 0 ? Math.Sqrt(ss / r.Length) : 0;
        double worst = 0;
        for (int i = 0; i < r.Length; i++)
        {
            double err = Math.Abs(a[i] - r[i]) / (Math.Abs(r[i]) + rms + 1e-30);
            if (double.IsNaN(err) || double.IsInfinity(err)) { worst = double.PositiveInfinity; break; }
            worst = Math.Max(worst, err);
        }
        bool ok = worst <= tol;
        return new(ok, worst, $"{what} err {worst:G2}{(ok ? "" : $" > tol {tol:G2}")}");
    }
}
