using Tessera.Reference;

namespace Tessera.Tests.Support;

/// <summary>Deterministic test data.</summary>
public static class Rand
{
    /// <summary>Uniform values in [lo, hi), rounded to float so device and reference see the same numbers.</summary>
    public static RefTensor Uniform(int seed, int[] shape, double lo = -1, double hi = 1)
    {
        var rng = new Random(seed);
        var t = new RefTensor(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return t;
    }

    /// <summary>Integers in [0, n) as doubles.</summary>
    public static RefTensor Ints(int seed, int[] shape, int n)
    {
        var rng = new Random(seed);
        var t = new RefTensor(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = rng.Next(n);
        return t;
    }
}
