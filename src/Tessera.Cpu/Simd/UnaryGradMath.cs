using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

// The math of the gradients of unary ops, as binary functions of (u, dy), u being x or the forward output y as noted.

/// <summary>dx = dy.</summary>
internal readonly struct IdentityGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => b;
}

/// <summary>dx = −dy.</summary>
internal readonly struct NegGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => -b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => -b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => -b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => -b;
}

/// <summary>dx = dy·sign(x) (0 at 0); a = x.</summary>
internal readonly struct AbsGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a > 0f ? b : a < 0f ? -b : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(Vector128.GreaterThan(a, Vector128<float>.Zero), b, Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128<float>.Zero), -b, Vector128<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256<float>.Zero), b, Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256<float>.Zero), -b, Vector256<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512<float>.Zero), b, Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512<float>.Zero), -b, Vector512<float>.Zero));
}

/// <summary>dx = dy·y; a = y.</summary>
internal readonly struct ExpGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a * b;
}

/// <summary>dx = dy/x; a = x.</summary>
internal readonly struct LogGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => b / a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => b / a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => b / a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => b / a;
}

/// <summary>dx = dy/(2y); a = y.</summary>
internal readonly struct SqrtGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => 0.5f * b / a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Create(0.5f) * b / a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Create(0.5f) * b / a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.Create(0.5f) * b / a;
}

/// <summary>dx = −dy·y²; a = y.</summary>
internal readonly struct ReciprocalGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => -b * a * a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => -b * a * a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => -b * a * a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => -b * a * a;
}

/// <summary>dx = x &gt; 0 ? dy : 0; a = x.</summary>
internal readonly struct ReluGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a > 0f ? b : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(Vector128.GreaterThan(a, Vector128<float>.Zero), b, Vector128<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256<float>.Zero), b, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512<float>.Zero), b, Vector512<float>.Zero);
}

/// <summary>dx = x &gt; 0 ? dy : α·dy; a = x.</summary>
internal readonly struct LeakyReluGradMath(float Alpha) : IBinaryMath
{
    private readonly float _Alpha = Alpha;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a > 0f ? b : _Alpha * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(Vector128.GreaterThan(a, Vector128<float>.Zero), b, b * Vector128.Create(_Alpha));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256<float>.Zero), b, b * Vector256.Create(_Alpha));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512<float>.Zero), b, b * Vector512.Create(_Alpha));
}

/// <summary>dx = dy·y·(1 − y); a = y.</summary>
internal readonly struct SigmoidGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => b * a * (1f - a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => b * a * (Vector128<float>.One - a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => b * a * (Vector256<float>.One - a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => b * a * (Vector512<float>.One - a);
}

/// <summary>dx = α·dy where 0 &lt; α·x + β &lt; 1, else 0; a = x.</summary>
internal readonly struct HardSigmoidGradMath(float Alpha, float Beta) : IBinaryMath
{
    private readonly float _Alpha = Alpha;
    private readonly float _Beta = Beta;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => _Alpha * a + _Beta is > 0f and < 1f ? _Alpha * b : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b)
    {
        var t = Vector128.Create(_Alpha) * a + Vector128.Create(_Beta);
        return Vector128.ConditionalSelect(Vector128.GreaterThan(t, Vector128<float>.Zero) & Vector128.LessThan(t, Vector128<float>.One), b * Vector128.Create(_Alpha), Vector128<float>.Zero);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
    {
        var t = Vector256.Create(_Alpha) * a + Vector256.Create(_Beta);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(t, Vector256<float>.Zero) & Vector256.LessThan(t, Vector256<float>.One), b * Vector256.Create(_Alpha), Vector256<float>.Zero);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b)
    {
        var t = Vector512.Create(_Alpha) * a + Vector512.Create(_Beta);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(t, Vector512<float>.Zero) & Vector512.LessThan(t, Vector512<float>.One), b * Vector512.Create(_Alpha), Vector512<float>.Zero);
    }
}

/// <summary>dx = dy·(1 − y²); a = y.</summary>
internal readonly struct TanhGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => b * (1f - a * a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => b * (Vector128<float>.One - a * a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => b * (Vector256<float>.One - a * a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => b * (Vector512<float>.One - a * a);
}

/// <summary>dx = dy·2/√π·e^(−x²); a = x.</summary>
internal readonly struct ErfGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => b * 1.12837916709551257f * FastMath.Exp(-a * a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => b * Vector128.Create(1.12837916709551257f) * FastMath.Exp(-(a * a));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => b * Vector256.Create(1.12837916709551257f) * FastMath.Exp(-(a * a));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => b * Vector512.Create(1.12837916709551257f) * FastMath.Exp(-(a * a));
}

/// <summary>dx = dy·(Φ(x) + x·φ(x)); a = x.</summary>
internal readonly struct GeluErfGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => b * (FastMath.NormalCdf(a) + a * 0.39894228040143268f * FastMath.Exp(-0.5f * a * a));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => b * (FastMath.NormalCdf(a) + a * Vector128.Create(0.39894228040143268f) * FastMath.Exp(Vector128.Create(-0.5f) * a * a));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => b * (FastMath.NormalCdf(a) + a * Vector256.Create(0.39894228040143268f) * FastMath.Exp(Vector256.Create(-0.5f) * a * a));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => b * (FastMath.NormalCdf(a) + a * Vector512.Create(0.39894228040143268f) * FastMath.Exp(Vector512.Create(-0.5f) * a * a));
}

/// <summary>dx = dy·(0.5·(1 + t) + 0.5·x·(1 − t²)·k·(1 + 3c·x²)), t = tanh(k·(x + c·x³)); a = x.</summary>
internal readonly struct GeluTanhGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => GradScalar(a, b);
    private static float GradScalar(float a, float b)
    {
        const float k = 0.79788456080286536f, c = 0.044715f;
        float t = FastMath.Tanh(k * (a + c * a * a * a));
        return b * (0.5f * (1f + t) + 0.5f * a * (1f - t * t) * k * (1f + 3f * c * a * a));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b)
    {
        var k = Vector128.Create(0.79788456080286536f); var c = Vector128.Create(0.044715f); var h = Vector128.Create(0.5f);
        var a2 = a * a;
        var t = FastMath.Tanh(k * (a + c * a2 * a));
        return b * (h * (Vector128<float>.One + t) + h * a * (Vector128<float>.One - t * t) * k * (Vector128<float>.One + Vector128.Create(3f) * c * a2));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
    {
        var k = Vector256.Create(0.79788456080286536f); var c = Vector256.Create(0.044715f); var h = Vector256.Create(0.5f);
        var a2 = a * a;
        var t = FastMath.Tanh(k * (a + c * a2 * a));
        return b * (h * (Vector256<float>.One + t) + h * a * (Vector256<float>.One - t * t) * k * (Vector256<float>.One + Vector256.Create(3f) * c * a2));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b)
    {
        var k = Vector512.Create(0.79788456080286536f); var c = Vector512.Create(0.044715f); var h = Vector512.Create(0.5f);
        var a2 = a * a;
        var t = FastMath.Tanh(k * (a + c * a2 * a));
        return b * (h * (Vector512<float>.One + t) + h * a * (Vector512<float>.One - t * t) * k * (Vector512<float>.One + Vector512.Create(3f) * c * a2));
    }
}

/// <summary>dx = dy·α·x^(α−1) (0 for α = 0); a = x.</summary>
internal readonly struct PowScalarGradMath(float Alpha) : IBinaryMath
{
    private readonly float _Alpha = Alpha;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => _Alpha == 0f ? 0f : b * _Alpha * FastMath.Pow(a, _Alpha - 1f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => _Alpha == 0f ? Vector128<float>.Zero : b * Vector128.Create(_Alpha) * FastMath.Pow(a, Vector128.Create(_Alpha - 1f));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => _Alpha == 0f ? Vector256<float>.Zero : b * Vector256.Create(_Alpha) * FastMath.Pow(a, Vector256.Create(_Alpha - 1f));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => _Alpha == 0f ? Vector512<float>.Zero : b * Vector512.Create(_Alpha) * FastMath.Pow(a, Vector512.Create(_Alpha - 1f));
}

/// <summary>dx = dy where lo ≤ x ≤ hi, else 0; a = x.</summary>
internal readonly struct ClampGradMath(float Lo, float Hi) : IBinaryMath
{
    private readonly float _Lo = Lo;
    private readonly float _Hi = Hi;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a >= _Lo && a <= _Hi ? b : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a, Vector128.Create(_Lo)) & Vector128.LessThanOrEqual(a, Vector128.Create(_Hi)), b, Vector128<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, Vector256.Create(_Lo)) & Vector256.LessThanOrEqual(a, Vector256.Create(_Hi)), b, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, Vector512.Create(_Lo)) & Vector512.LessThanOrEqual(a, Vector512.Create(_Hi)), b, Vector512<float>.Zero);
}

/// <summary>dx = α·dy.</summary>
internal readonly struct AffineGradMath(float Alpha) : IBinaryMath
{
    private readonly float _Alpha = Alpha;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => _Alpha * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Create(_Alpha) * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Create(_Alpha) * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.Create(_Alpha) * b;
}

/// <summary>dx = dy·σ(x)·(1 + x·(1 − σ(x))); a = x.</summary>
internal readonly struct SiluGradMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) { float s = 1f / (1f + FastMath.Exp(-a)); return b * s * (1f + a * (1f - s)); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) { var s = Vector128<float>.One / (Vector128<float>.One + FastMath.Exp(-a)); return b * s * (Vector128<float>.One + a * (Vector128<float>.One - s)); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) { var s = Vector256<float>.One / (Vector256<float>.One + FastMath.Exp(-a)); return b * s * (Vector256<float>.One + a * (Vector256<float>.One - s)); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) { var s = Vector512<float>.One / (Vector512<float>.One + FastMath.Exp(-a)); return b * s * (Vector512<float>.One + a * (Vector512<float>.One - s)); }
}

/// <summary>dx = dy·(2x + 3)/6 for −3 ≤ x ≤ 3, dy above, 0 below; a = x.</summary>
internal readonly struct HardSwishGradMath : IBinaryMath
{
    private const float Third = 1f / 3f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a < -3f ? 0f : a > 3f ? b : b * (a * Third + 0.5f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) =>
        Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128.Create(-3f)), Vector128<float>.Zero,
            Vector128.ConditionalSelect(Vector128.GreaterThan(a, Vector128.Create(3f)), b, b * (a * Vector128.Create(Third) + Vector128.Create(0.5f))));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) =>
        Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(-3f)), Vector256<float>.Zero,
            Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256.Create(3f)), b, b * (a * Vector256.Create(Third) + Vector256.Create(0.5f))));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) =>
        Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(-3f)), Vector512<float>.Zero,
            Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512.Create(3f)), b, b * (a * Vector512.Create(Third) + Vector512.Create(0.5f))));
}
