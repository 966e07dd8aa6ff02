namespace Tessera.Graph.Training;

/// <summary>Deterministic parameter initialisation from a seed (its own generator, so results do not depend on the .NET
/// version). Fan-in/fan-out follow PyTorch: for a weight [out, in, k...], fan_in = in·Πk, fan_out = out·Πk.</summary>
public sealed class Initializer
{
    private ulong _state;

    /// <summary>A generator seeded by <paramref name="seed"/>: the same seed gives the same parameters.</summary>
    public Initializer(ulong seed) => _state = seed ^ 0x9E3779B97F4A7C15UL;

    /// <summary>splitmix64: next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A draw from the standard normal distribution.</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fan-in and fan-out of a weight of <paramref name="shape"/>, as PyTorch computes them.</summary>
    public static (int FanIn, int FanOut) Fans(int[] shape)
    {
        if (shape.Length < 2) throw new TesseraShapeException("Initializer.Fans", nameof(shape), $"a weight needs rank ≥ 2, got [{string.Join(", ", shape)}]");
        int receptive = 1;
        for (int i = 2; i < shape.Length; i++) receptive *= shape[i];
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary><paramref name="count"/> draws, uniform in [−bound, bound).</summary>
    public float[] Uniform(int count, double bound)
    {
        var a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float)((2 * NextDouble() - 1) * bound);
        return a;
    }

    /// <summary><paramref name="count"/> draws from N(0, std²).</summary>
    public float[] Normal(int count, double std)
    {
        var a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float)(NextGaussian() * std);
        return a;
    }

    /// <summary>Kaiming (He) uniform for ReLU: bound = √(6 / fan_in).</summary>
    public float[] KaimingUniform(int[] shape) => Uniform(Count(shape), Math.Sqrt(6.0 / Fans(shape).FanIn));

    /// <summary>Kaiming normal for ReLU: std = √(2 / fan_in).</summary>
    public float[] KaimingNormal(int[] shape) => Normal(Count(shape), Math.Sqrt(2.0 / Fans(shape).FanIn));

    /// <summary>Xavier (Glorot) uniform: bound = √(6 / (fan_in + fan_out)).</summary>
    public float[] XavierUniform(int[] shape)
    {
        var (fi, fo) = Fans(shape);
        return Uniform(Count(shape), Math.Sqrt(6.0 / (fi + fo)));
    }

    /// <summary>Xavier normal: std = √(2 / (fan_in + fan_out)).</summary>
    public float[] XavierNormal(int[] shape)
    {
        var (fi, fo) = Fans(shape);
        return Normal(Count(shape), Math.Sqrt(2.0 / (fi + fo)));
    }

    /// <summary>PyTorch's default bias init: uniform ±1/√fan_in.</summary>
    public float[] BiasUniform(int count, int fanIn) => Uniform(count, 1.0 / Math.Sqrt(Math.Max(1, fanIn)));

    private static int Count(int[] shape) => shape.Aggregate(1, (a, d) => checked(a * d));
}
