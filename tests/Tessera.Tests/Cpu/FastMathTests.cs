using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Tests.Cpu;

/// <summary>The CPU kernels' float exponential and normal distribution function: accuracy against double, the same bits
/// from the scalar form and every vector width, and the two ways of applying 2^n (AVX-512's vscalefps and two exact
/// power-of-two factors) rounding alike.</summary>
public class FastMathTests
{
    /// <summary>Every 9973rd float of [−104, 89] (both signs), plus the ends of the range.</summary>
    private static IEnumerable<float> ExpArguments()
    {
        int hi = BitConverter.SingleToInt32Bits(89f), lo = BitConverter.SingleToInt32Bits(-104f);
        for (long b = 0; b <= hi; b += 9973) yield return BitConverter.Int32BitsToSingle((int)b);
        for (long b = int.MinValue; b <= lo; b += 9973) yield return BitConverter.Int32BitsToSingle((int)b);
        foreach (float x in new[] { 88.72f, 88.7228f, -87.3f, -87.33655f, -100f, -103.2f, 0.34657359f, -0.34657359f, 1e-30f, -1e-30f })
            yield return x;
    }

    [Fact]
    public void ExpIsWithinOneUlpOverTheNormalRange()
    {
        foreach (float x in ExpArguments())
        {
            double e = Math.Exp(x);
            float f = FastMath.Exp(x);
            if (e < 1.1754943508222875e-38 || e >= float.MaxValue) continue;
            double ulp = MathF.BitIncrement((float)e) - (float)e;
            Assert.True(Math.Abs(f - e) <= ulp, $"exp({x:R}) = {f:R}, exactly {e:R}: {Math.Abs(f - e) / ulp:F2} ulp");
        }
    }

    [Fact]
    public void ExpOfSpecialValues()
    {
        Assert.Equal(1f, FastMath.Exp(0f));
        Assert.Equal(1f, FastMath.Exp(-0f));
        Assert.Equal(float.PositiveInfinity, FastMath.Exp(float.PositiveInfinity));
        Assert.Equal(float.PositiveInfinity, FastMath.Exp(88.73f));
        Assert.Equal(float.PositiveInfinity, FastMath.Exp(1e30f));
        Assert.Equal(0f, FastMath.Exp(float.NegativeInfinity));
        Assert.Equal(0f, FastMath.Exp(-1e30f));
        Assert.True(float.IsNaN(FastMath.Exp(float.NaN)));
        // Subnormal results: within one subnormal step of e^x.
        foreach (float x in new[] { -88f, -95f, -100f, -103f })
            Assert.True(Math.Abs(FastMath.Exp(x) - Math.Exp(x)) <= float.Epsilon, $"exp({x})");
    }

    [Fact]
    public void ExpGivesTheSameBitsAtEveryWidth()
    {
        var special = new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e30f, -1e30f, 88.73f, -103.5f };
        foreach (float x in ExpArguments().Concat(special))
        {
            int s = BitConverter.SingleToInt32Bits(FastMath.Exp(x));
            Assert.Equal(s, BitConverter.SingleToInt32Bits(FastMath.Exp(Vector128.Create(x)).GetElement(3)));
            Assert.Equal(s, BitConverter.SingleToInt32Bits(FastMath.Exp(Vector256.Create(x)).GetElement(7)));
            Assert.Equal(s, BitConverter.SingleToInt32Bits(FastMath.Exp(Vector512.Create(x)).GetElement(15)));
        }
    }

    /// <summary>Lanes whose e^x rounds to +0 (zeroed before the scaling, see FastMath.Exp) beside lanes that do not, at
    /// every width: the vanishing ones give +0, the others what they give alone, subnormal results included.</summary>
    [Fact]
    public void VanishingLanesBesideLiveOnesAtEveryWidth()
    {
        float[] xs = { float.NegativeInfinity, -1.5f, -1e4f, -103.5f, -float.MaxValue, 0.25f, -104.001f, -90f,
                       -105f, 3f, -1e30f, -87.4f, -104f, -20f, float.NaN, 88f };
        var v512 = FastMath.Exp(Vector512.Create(xs));
        var v256 = (FastMath.Exp(Vector256.Create(xs, 0)), FastMath.Exp(Vector256.Create(xs, 8)));
        for (int i = 0; i < xs.Length; i++)
        {
            float x = xs[i];
            int expected = x < -104f ? 0 : BitConverter.SingleToInt32Bits(FastMath.Exp(x));
            Assert.Equal(expected, BitConverter.SingleToInt32Bits(FastMath.Exp(x)));
            Assert.Equal(expected, BitConverter.SingleToInt32Bits(v512.GetElement(i)));
            Assert.Equal(expected, BitConverter.SingleToInt32Bits((i < 8 ? v256.Item1 : v256.Item2).GetElement(i % 8)));
            Assert.Equal(expected, BitConverter.SingleToInt32Bits(FastMath.Exp(Vector128.Create(xs, i / 4 * 4)).GetElement(i % 4)));
            if (x >= -104f && x < 89f && !float.IsNaN(x))
                Assert.True(Math.Abs(FastMath.Exp(x) - Math.Exp(x)) <= Math.Max(float.Epsilon, 1e-6 * Math.Exp(x)), $"exp({x})");
        }
    }

    [Fact]
    public void PortablePowerOfTwoScalingRoundsLikeVscalef()
    {
        if (!Avx512F.VL.IsSupported) Assert.Skip("needs AVX-512 to compare against vscalefps");
        var rnd = new Random(7);
        for (int n = -151; n <= 128; n++)
            for (int k = 0; k < 200; k++)
            {
                // y in [1/√2, √2], the range of e^r.
                var y = Vector128.Create((float)(0.70710678 + rnd.NextDouble() * 0.70710678));
                var nf = Vector128.Create((float)n);
                var a = Avx512F.VL.Scale(y, nf);
                var b = FastMath.Pow2Portable(y, nf);
                Assert.True(a.AsInt32() == b.AsInt32(), $"{y.ToScalar():R}·2^{n}: vscalefps {a.ToScalar():R}, portable {b.ToScalar():R}");
            }
        Assert.True(float.IsNaN(FastMath.Pow2Portable(Vector128.Create(float.NaN), Vector128.Create(float.NaN)).ToScalar()));
    }

    [Fact]
    public void NormalCdfIsWithinThreeTenthsOfAMillionth()
    {
        for (float x = -12f; x <= 12f; x += 0.00137f)
        {
            double phi = 0.5 * (1 + ScalarMath.Erf(x / Math.Sqrt(2)));
            float f = FastMath.NormalCdf(x);
            Assert.True(Math.Abs(f - phi) <= 3e-7, $"Φ({x:R}) = {f:R}, exactly {phi:R}");
            Assert.Equal(BitConverter.SingleToInt32Bits(f), BitConverter.SingleToInt32Bits(FastMath.NormalCdf(Vector512.Create(x)).ToScalar()));
            Assert.Equal(BitConverter.SingleToInt32Bits(f), BitConverter.SingleToInt32Bits(FastMath.NormalCdf(Vector128.Create(x)).ToScalar()));
        }
    }
}
