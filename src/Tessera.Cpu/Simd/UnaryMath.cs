using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

// Forward unary ops: math only; the drivers in Drivers.cs/RowReduce.cs supply the loops.

/// <summary>y = x.</summary>
internal readonly struct IdentityMath : IUnaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => x;
}

/// <summary>y = −x.</summary>
internal readonly struct NegMath : IUnaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => -x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => -x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => -x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => -x;
}

/// <summary>y = |x|.</summary>
internal readonly struct AbsMath : IUnaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => MathF.Abs(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => Vector128.Abs(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => Vector256.Abs(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => Vector512.Abs(x);
}

/// <summary>y = eˣ.</summary>
internal readonly struct ExpMath : IUnaryMath
{
    public static bool ComputeBound => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => FastMath.Exp(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => FastMath.Exp(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => FastMath.Exp(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => FastMath.Exp(x);
}

/// <summary>y = ln x.</summary>
internal readonly struct LogMath : IUnaryMath
{
    public static bool ComputeBound => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => MathF.Log(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => Vector128.Log(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => Vector256.Log(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => Vector512.Log(x);
}

/// <summary>y = √x.</summary>
internal readonly struct SqrtMath : IUnaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => MathF.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => Vector128.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => Vector256.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => Vector512.Sqrt(x);
}

/// <summary>y = 1/x.</summary>
internal readonly struct ReciprocalMath : IUnaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => 1f / x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => Vector128<float>.One / x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => Vector512<float>.One / x;
}

/// <summary>y = max(x, 0) (NaN stays NaN).</summary>
internal readonly struct ReluMath : IUnaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => x < 0f ? 0f : x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), Vector128<float>.Zero, x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256<float>.Zero, x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512<float>.Zero, x);
}

/// <summary>y = x ≥ 0 ? x : α·x.</summary>
internal readonly struct LeakyReluMath(float Alpha) : IUnaryMath
{
    private readonly float _Alpha = Alpha;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => x >= 0f ? x : _Alpha * x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero), x, x * Vector128.Create(_Alpha));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), x, x * Vector256.Create(_Alpha));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), x, x * Vector512.Create(_Alpha));
}

/// <summary>y = 1/(1 + e^−x).</summary>
internal readonly struct SigmoidMath : IUnaryMath
{
    public static bool ComputeBound => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => 1f / (1f + FastMath.Exp(-x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => Vector128<float>.One / (Vector128<float>.One + FastMath.Exp(-x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + FastMath.Exp(-x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + FastMath.Exp(-x));
}

/// <summary>y = clamp(α·x + β, 0, 1) (the machine min/max, NaN kept, as <see cref="ClampMath"/>).</summary>
internal readonly struct HardSigmoidMath(float Alpha, float Beta) : IUnaryMath
{
    private readonly float _Alpha = Alpha;
    private readonly float _Beta = Beta;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => MathF.Min(MathF.Max(_Alpha * x + _Beta, 0f), 1f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => Vector128.MinNative(Vector128<float>.One, Vector128.MaxNative(Vector128<float>.Zero, Vector128.Create(_Alpha) * x + Vector128.Create(_Beta)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => Vector256.MinNative(Vector256<float>.One, Vector256.MaxNative(Vector256<float>.Zero, Vector256.Create(_Alpha) * x + Vector256.Create(_Beta)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => Vector512.MinNative(Vector512<float>.One, Vector512.MaxNative(Vector512<float>.Zero, Vector512.Create(_Alpha) * x + Vector512.Create(_Beta)));
}

/// <summary>y = tanh x.</summary>
internal readonly struct TanhMath : IUnaryMath
{
    public static bool ComputeBound => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => FastMath.Tanh(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => FastMath.Tanh(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => FastMath.Tanh(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => FastMath.Tanh(x);
}

/// <summary>y = erf x.</summary>
internal readonly struct ErfMath : IUnaryMath
{
    public static bool ComputeBound => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => FastMath.Erf(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => FastMath.Erf(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => FastMath.Erf(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => FastMath.Erf(x);
}

/// <summary>y = 0.5·x·(1 + erf(x/√2)) = x·Φ(x).</summary>
internal readonly struct GeluErfMath : IUnaryMath
{
    public static bool ComputeBound => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => x * FastMath.NormalCdf(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => x * FastMath.NormalCdf(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => x * FastMath.NormalCdf(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => x * FastMath.NormalCdf(x);
}

/// <summary>y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as x / (1 + e^(−2u)) for u the tanh argument
/// (0.5·(1 + tanh u) is the logistic function of 2u): one exponential and no cancellation for negative x.</summary>
internal readonly struct GeluTanhMath : IUnaryMath
{
    public static bool ComputeBound => true;
    // −2u = x·(K1 + K2·x²).
    private const float K1 = -1.5957691216057308f, K2 = -0.07135481627260025f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => x / (1f + FastMath.Exp(x * MathF.FusedMultiplyAdd(x * x, K2, K1)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => x / (Vector128<float>.One + FastMath.Exp(x * Vector128.FusedMultiplyAdd(x * x, Vector128.Create(K2), Vector128.Create(K1))));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + FastMath.Exp(x * Vector256.FusedMultiplyAdd(x * x, Vector256.Create(K2), Vector256.Create(K1))));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => x / (Vector512<float>.One + FastMath.Exp(x * Vector512.FusedMultiplyAdd(x * x, Vector512.Create(K2), Vector512.Create(K1))));
}

/// <summary>y = x^α (x·x for α = 2).</summary>
internal readonly struct PowScalarMath(float Alpha) : IUnaryMath
{
    public static bool ComputeBound => true;
    private readonly float _Alpha = Alpha;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => _Alpha == 2f ? x * x : FastMath.Pow(x, _Alpha);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => _Alpha == 2f ? x * x : FastMath.Pow(x, Vector128.Create(_Alpha));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => _Alpha == 2f ? x * x : FastMath.Pow(x, Vector256.Create(_Alpha));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => _Alpha == 2f ? x * x : FastMath.Pow(x, Vector512.Create(_Alpha));
}

/// <summary>y = min(max(x, lo), hi). The vector forms use the machine's min/max (vminps/vmaxps, one instruction;
/// Vector*.Min/Max are IEEE 754:2019's, three on x86) with the constant first: x86 returns the second operand when
/// either is NaN, so a NaN still comes out NaN.</summary>
internal readonly struct ClampMath(float Lo, float Hi) : IUnaryMath
{
    private readonly float _Lo = Lo;
    private readonly float _Hi = Hi;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => MathF.Min(MathF.Max(x, _Lo), _Hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => Vector128.MinNative(Vector128.Create(_Hi), Vector128.MaxNative(Vector128.Create(_Lo), x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => Vector256.MinNative(Vector256.Create(_Hi), Vector256.MaxNative(Vector256.Create(_Lo), x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => Vector512.MinNative(Vector512.Create(_Hi), Vector512.MaxNative(Vector512.Create(_Lo), x));
}

/// <summary>y = α·x + β.</summary>
internal readonly struct AffineMath(float Alpha, float Beta) : IUnaryMath
{
    private readonly float _Alpha = Alpha;
    private readonly float _Beta = Beta;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => _Alpha * x + _Beta;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => Vector128.Create(_Alpha) * x + Vector128.Create(_Beta);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => Vector256.Create(_Alpha) * x + Vector256.Create(_Beta);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => Vector512.Create(_Alpha) * x + Vector512.Create(_Beta);
}

/// <summary>y = x·sigmoid(x) = x / (1 + e^−x).</summary>
internal readonly struct SiluMath : IUnaryMath
{
    public static bool ComputeBound => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => x / (1f + FastMath.Exp(-x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => x / (Vector128<float>.One + FastMath.Exp(-x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + FastMath.Exp(-x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => x / (Vector512<float>.One + FastMath.Exp(-x));
}

/// <summary>y = x·clamp(x/6 + 1/2, 0, 1) (hard swish: exactly x from 3 on, 0 up to −3; the clamp as <see cref="ClampMath"/>).</summary>
internal readonly struct HardSwishMath : IUnaryMath
{
    private const float Sixth = 1f / 6f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => x * MathF.Min(MathF.Max(x * Sixth + 0.5f, 0f), 1f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => x * Vector128.MinNative(Vector128<float>.One, Vector128.MaxNative(Vector128<float>.Zero, x * Vector128.Create(Sixth) + Vector128.Create(0.5f)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => x * Vector256.MinNative(Vector256<float>.One, Vector256.MaxNative(Vector256<float>.Zero, x * Vector256.Create(Sixth) + Vector256.Create(0.5f)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => x * Vector512.MinNative(Vector512<float>.One, Vector512.MaxNative(Vector512<float>.Zero, x * Vector512.Create(Sixth) + Vector512.Create(0.5f)));
}

/// <summary>y = e^(x − m) (softmax's numerator).</summary>
internal readonly struct ExpShiftMath(float M) : IUnaryMath
{
    private readonly float _M = M;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => FastMath.Exp(x - _M);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => FastMath.Exp(x - Vector128.Create(_M));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => FastMath.Exp(x - Vector256.Create(_M));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => FastMath.Exp(x - Vector512.Create(_M));
}

/// <summary>y = (x − m) − l (log-softmax: the two shifts are applied in this order to keep x − m exact).</summary>
internal readonly struct ShiftTwiceMath(float M, float L) : IUnaryMath
{
    private readonly float _M = M;
    private readonly float _L = L;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => (x - _M) - _L;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => (x - Vector128.Create(_M)) - Vector128.Create(_L);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => (x - Vector256.Create(_M)) - Vector256.Create(_L);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => (x - Vector512.Create(_M)) - Vector512.Create(_L);
}

/// <summary>y = (x − m)² (the terms of a variance).</summary>
internal readonly struct SquaredDeviationMath(float M) : IUnaryMath
{
    private readonly float _M = M;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) { float d = x - _M; return d * d; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) { var d = x - Vector128.Create(_M); return d * d; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) { var d = x - Vector256.Create(_M); return d * d; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) { var d = x - Vector512.Create(_M); return d * d; }
}

/// <summary>y = x².</summary>
internal readonly struct SquareMath : IUnaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => x * x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => x * x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => x * x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => x * x;
}

/// <summary>dlogit = g·(e^(x − m)/s − ε/C) (the target column is corrected afterwards).</summary>
internal readonly struct CrossEntropyIndexGradMath(float M, float InvS, float G, float Smooth) : IUnaryMath
{
    private readonly float _M = M;
    private readonly float _InvS = InvS;
    private readonly float _G = G;
    private readonly float _Smooth = Smooth;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => _G * (FastMath.Exp(x - _M) * _InvS - _Smooth);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => Vector128.Create(_G) * (FastMath.Exp(x - Vector128.Create(_M)) * Vector128.Create(_InvS) - Vector128.Create(_Smooth));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => Vector256.Create(_G) * (FastMath.Exp(x - Vector256.Create(_M)) * Vector256.Create(_InvS) - Vector256.Create(_Smooth));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => Vector512.Create(_G) * (FastMath.Exp(x - Vector512.Create(_M)) * Vector512.Create(_InvS) - Vector512.Create(_Smooth));
}
