using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>Float math the vector APIs lack or compute slowly: exp (FastMath.Exp.cs), erf, tanh and pow, in scalar and
/// vector forms with the same formulas. Erf: odd Taylor series below |x| = 0.5 (relative error ~1e-8), 1 − erfc above with
/// erfc by Abramowitz–Stegun 7.1.26 (absolute error ≤ 1.5e-7 in exact arithmetic, a few 1e-7 in float); the
/// polynomials are fused multiply-adds at every width and in the scalar form, as in <see cref="Exp(float)"/>. Tanh: odd Taylor series below |x| = 0.25, 1 − 2/(e^{2|x|} + 1)
/// above. Pow: e^{b·ln|a|} with the sign and NaN rules of IEEE pow for negative bases.</summary>
internal static partial class FastMath
{
    // Taylor coefficients of erf: 2/√π · (−1)^n / (n! (2n+1)).
    private const float E0 = 1.1283791670955126f, E1 = -0.37612638903183754f, E2 = 0.11283791670955126f,
        E3 = -0.026866170645131252f, E4 = 0.005223977625442188f, E5 = -0.0008548327023450853f;
    // Abramowitz–Stegun 7.1.26.
    private const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    private const float Sqrt1_2 = 0.70710678118654752f;
    // Taylor coefficients of tanh: 1, −1/3, 2/15, −17/315, 62/2835.
    private const float T1 = -0.33333333333f, T2 = 0.13333333333f, T3 = -0.05396825397f, T4 = 0.02186948854f;

    public static float Erf(float x)
    {
        float ax = MathF.Abs(x), x2 = x * x;
        if (ax < 0.5f)
        {
            float s = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(x2, E5, E4), x2, E3), x2, E2), x2, E1);
            return x * MathF.FusedMultiplyAdd(s, x2, E0);
        }
        return MathF.CopySign(1f - Erfc(ax, x2), x);
    }

    /// <summary>erfc(z) for z = |x| ≥ 0 (Abramowitz–Stegun 7.1.26; absolute error ≤ 1.5e-7); z2 = z².</summary>
    private static float Erfc(float z, float z2)
    {
        float t = 1f / MathF.FusedMultiplyAdd(P, z, 1f);
        float p = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(t, A5, A4), t, A3), t, A2), t, A1);
        return t * p * Exp(-z2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erf(Vector512<float> x)
    {
        var ax = Vector512.Abs(x);
        var x2 = x * x;
        var s = Vector512.FusedMultiplyAdd(x2, Vector512.Create(E5), Vector512.Create(E4));
        s = Vector512.FusedMultiplyAdd(s, x2, Vector512.Create(E3));
        s = Vector512.FusedMultiplyAdd(s, x2, Vector512.Create(E2));
        s = Vector512.FusedMultiplyAdd(s, x2, Vector512.Create(E1));
        var small = x * Vector512.FusedMultiplyAdd(s, x2, Vector512.Create(E0));
        var large = Vector512<float>.One - Erfc(ax, x2);
        large = (large.AsUInt32() | (x.AsUInt32() & Vector512.Create(0x80000000u))).AsSingle();
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(0.5f)), small, large);
    }

    /// <summary>erfc(z) for z = |x| ≥ 0 (Abramowitz–Stegun 7.1.26; absolute error ≤ 1.5e-7); z2 = z².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Erfc(Vector512<float> z, Vector512<float> z2)
    {
        var t = Vector512<float>.One / Vector512.FusedMultiplyAdd(Vector512.Create(P), z, Vector512<float>.One);
        var p = Vector512.FusedMultiplyAdd(t, Vector512.Create(A5), Vector512.Create(A4));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(A3));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(A2));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(A1));
        return t * p * Exp(-z2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var x2 = x * x;
        var s = Vector256.FusedMultiplyAdd(x2, Vector256.Create(E5), Vector256.Create(E4));
        s = Vector256.FusedMultiplyAdd(s, x2, Vector256.Create(E3));
        s = Vector256.FusedMultiplyAdd(s, x2, Vector256.Create(E2));
        s = Vector256.FusedMultiplyAdd(s, x2, Vector256.Create(E1));
        var small = x * Vector256.FusedMultiplyAdd(s, x2, Vector256.Create(E0));
        var large = Vector256<float>.One - Erfc(ax, x2);
        large = (large.AsUInt32() | (x.AsUInt32() & Vector256.Create(0x80000000u))).AsSingle();
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.5f)), small, large);
    }

    /// <summary>erfc(z) for z = |x| ≥ 0 (Abramowitz–Stegun 7.1.26; absolute error ≤ 1.5e-7); z2 = z².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Erfc(Vector256<float> z, Vector256<float> z2)
    {
        var t = Vector256<float>.One / Vector256.FusedMultiplyAdd(Vector256.Create(P), z, Vector256<float>.One);
        var p = Vector256.FusedMultiplyAdd(t, Vector256.Create(A5), Vector256.Create(A4));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(A3));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(A2));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(A1));
        return t * p * Exp(-z2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Erf(Vector128<float> x)
    {
        var ax = Vector128.Abs(x);
        var x2 = x * x;
        var s = Vector128.FusedMultiplyAdd(x2, Vector128.Create(E5), Vector128.Create(E4));
        s = Vector128.FusedMultiplyAdd(s, x2, Vector128.Create(E3));
        s = Vector128.FusedMultiplyAdd(s, x2, Vector128.Create(E2));
        s = Vector128.FusedMultiplyAdd(s, x2, Vector128.Create(E1));
        var small = x * Vector128.FusedMultiplyAdd(s, x2, Vector128.Create(E0));
        var large = Vector128<float>.One - Erfc(ax, x2);
        large = (large.AsUInt32() | (x.AsUInt32() & Vector128.Create(0x80000000u))).AsSingle();
        return Vector128.ConditionalSelect(Vector128.LessThan(ax, Vector128.Create(0.5f)), small, large);
    }

    /// <summary>erfc(z) for z = |x| ≥ 0 (Abramowitz–Stegun 7.1.26; absolute error ≤ 1.5e-7); z2 = z².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Erfc(Vector128<float> z, Vector128<float> z2)
    {
        var t = Vector128<float>.One / Vector128.FusedMultiplyAdd(Vector128.Create(P), z, Vector128<float>.One);
        var p = Vector128.FusedMultiplyAdd(t, Vector128.Create(A5), Vector128.Create(A4));
        p = Vector128.FusedMultiplyAdd(p, t, Vector128.Create(A3));
        p = Vector128.FusedMultiplyAdd(p, t, Vector128.Create(A2));
        p = Vector128.FusedMultiplyAdd(p, t, Vector128.Create(A1));
        return t * p * Exp(-z2);
    }

    /// <summary>Φ(x) = (1 + erf(x/√2))/2, the standard normal distribution function, as 1 − erfc(|x|/√2)/2 or
    /// erfc(|x|/√2)/2 by the sign of x: absolute error ≤ 3e-7, and none of the cancellation of 1 + erf for x &lt; 0.</summary>
    public static float NormalCdf(float x)
    {
        float z = MathF.Abs(x) * Sqrt1_2;
        float h = 0.5f * Erfc(z, z * z);
        return x >= 0f ? 1f - h : h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> NormalCdf(Vector512<float> x)
    {
        var z = Vector512.Abs(x) * Vector512.Create(Sqrt1_2);
        var h = Vector512.Create(0.5f) * Erfc(z, z * z);
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.One - h, h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NormalCdf(Vector256<float> x)
    {
        var z = Vector256.Abs(x) * Vector256.Create(Sqrt1_2);
        var h = Vector256.Create(0.5f) * Erfc(z, z * z);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.One - h, h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> NormalCdf(Vector128<float> x)
    {
        var z = Vector128.Abs(x) * Vector128.Create(Sqrt1_2);
        var h = Vector128.Create(0.5f) * Erfc(z, z * z);
        return Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero), Vector128<float>.One - h, h);
    }

    public static float Tanh(float x) => MathF.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        var ax = Vector512.Abs(x);
        var x2 = x * x;
        var small = x + x * x2 * (Vector512.Create(T1) + x2 * (Vector512.Create(T2) + x2 * (Vector512.Create(T3) + x2 * Vector512.Create(T4))));
        var large = Vector512<float>.One - Vector512.Create(2f) / (Exp(ax + ax) + Vector512<float>.One);
        large = (large.AsUInt32() | (x.AsUInt32() & Vector512.Create(0x80000000u))).AsSingle();
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(0.25f)), small, large);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var x2 = x * x;
        var small = x + x * x2 * (Vector256.Create(T1) + x2 * (Vector256.Create(T2) + x2 * (Vector256.Create(T3) + x2 * Vector256.Create(T4))));
        var large = Vector256<float>.One - Vector256.Create(2f) / (Exp(ax + ax) + Vector256<float>.One);
        large = (large.AsUInt32() | (x.AsUInt32() & Vector256.Create(0x80000000u))).AsSingle();
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.25f)), small, large);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Tanh(Vector128<float> x)
    {
        var ax = Vector128.Abs(x);
        var x2 = x * x;
        var small = x + x * x2 * (Vector128.Create(T1) + x2 * (Vector128.Create(T2) + x2 * (Vector128.Create(T3) + x2 * Vector128.Create(T4))));
        var large = Vector128<float>.One - Vector128.Create(2f) / (Exp(ax + ax) + Vector128<float>.One);
        large = (large.AsUInt32() | (x.AsUInt32() & Vector128.Create(0x80000000u))).AsSingle();
        return Vector128.ConditionalSelect(Vector128.LessThan(ax, Vector128.Create(0.25f)), small, large);
    }

    public static float Pow(float a, float b) => MathF.Pow(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Pow(Vector512<float> a, Vector512<float> b)
    {
        var one = Vector512<float>.One;
        var r = Exp(b * Vector512.Log(Vector512.Abs(a)));
        var isInt = Vector512.Equals(Vector512.Floor(b), b);
        var half = b * Vector512.Create(0.5f);
        var isOdd = isInt & ~Vector512.Equals(Vector512.Floor(half), half);
        var neg = Vector512.LessThan(a, Vector512<float>.Zero);
        r = Vector512.ConditionalSelect(neg & isOdd, -r, r);
        r = Vector512.ConditionalSelect(neg & ~isInt, Vector512.Create(float.NaN), r);
        return Vector512.ConditionalSelect(Vector512.Equals(b, Vector512<float>.Zero) | Vector512.Equals(a, one), one, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Pow(Vector256<float> a, Vector256<float> b)
    {
        var one = Vector256<float>.One;
        var r = Exp(b * Vector256.Log(Vector256.Abs(a)));
        var isInt = Vector256.Equals(Vector256.Floor(b), b);
        var half = b * Vector256.Create(0.5f);
        var isOdd = isInt & ~Vector256.Equals(Vector256.Floor(half), half);
        var neg = Vector256.LessThan(a, Vector256<float>.Zero);
        r = Vector256.ConditionalSelect(neg & isOdd, -r, r);
        r = Vector256.ConditionalSelect(neg & ~isInt, Vector256.Create(float.NaN), r);
        return Vector256.ConditionalSelect(Vector256.Equals(b, Vector256<float>.Zero) | Vector256.Equals(a, one), one, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Pow(Vector128<float> a, Vector128<float> b)
    {
        var one = Vector128<float>.One;
        var r = Exp(b * Vector128.Log(Vector128.Abs(a)));
        var isInt = Vector128.Equals(Vector128.Floor(b), b);
        var half = b * Vector128.Create(0.5f);
        var isOdd = isInt & ~Vector128.Equals(Vector128.Floor(half), half);
        var neg = Vector128.LessThan(a, Vector128<float>.Zero);
        r = Vector128.ConditionalSelect(neg & isOdd, -r, r);
        r = Vector128.ConditionalSelect(neg & ~isInt, Vector128.Create(float.NaN), r);
        return Vector128.ConditionalSelect(Vector128.Equals(b, Vector128<float>.Zero) | Vector128.Equals(a, one), one, r);
    }
}
