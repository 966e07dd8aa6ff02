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

    /// <summary>Compares the reference of a leading sub-block (first rows, samples, heads or output channels) with the
    /// same leading elements of the device output: exact verification of a sample when the full reference is too slow.</summary>
    public static Verification ClosePrefix(string what, RefTensor expected, Tensor actual, double tol = 1e-3)
    {
        var a = actual.ToArray<float>();
        if (expected.Length > a.Length) return new(false, double.PositiveInfinity, $"{what}: reference block larger than the output");
        var v = Close(what, expected.Data, a.AsSpan(0, expected.Length).ToArray(), tol);
        return expected.Length == a.Length ? v : v with { Note = v.Note + $" (leading {expected.Length} of {a.Length} checked)" };
    }

    /// <summary>Compares <paramref name="a"/> with the reference <paramref name="r"/>: the worst |a − r| / (|r| + rms(r)) against <paramref name="tol"/>; NaN anywhere fails.</summary>
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
