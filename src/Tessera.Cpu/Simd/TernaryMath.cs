using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

// Ternary math: gradients of binary ops as functions of (a, b, dc), and column forms of row gradients.

/// <summary>db = −dc·a/b².</summary>
internal readonly struct DivGradBMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => -c * a / (b * b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => -c * a / (b * b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => -c * a / (b * b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => -c * a / (b * b);
}

/// <summary>da = dc·b·a^(b−1) (0 where b = 0).</summary>
internal readonly struct PowGradAMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => b == 0f ? 0f : c * b * FastMath.Pow(a, b - 1f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.ConditionalSelect(Vector128.Equals(b, Vector128<float>.Zero), Vector128<float>.Zero, c * b * FastMath.Pow(a, b - Vector128<float>.One));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.ConditionalSelect(Vector256.Equals(b, Vector256<float>.Zero), Vector256<float>.Zero, c * b * FastMath.Pow(a, b - Vector256<float>.One));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.ConditionalSelect(Vector512.Equals(b, Vector512<float>.Zero), Vector512<float>.Zero, c * b * FastMath.Pow(a, b - Vector512<float>.One));
}

/// <summary>db = dc·a^b·ln a (0 where a = 0 and b ≥ 0).</summary>
internal readonly struct PowGradBMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => a == 0f && b >= 0f ? 0f : c * FastMath.Pow(a, b) * MathF.Log(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.ConditionalSelect(Vector128.Equals(a, Vector128<float>.Zero) & Vector128.GreaterThanOrEqual(b, Vector128<float>.Zero), Vector128<float>.Zero, c * FastMath.Pow(a, b) * Vector128.Log(a));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.ConditionalSelect(Vector256.Equals(a, Vector256<float>.Zero) & Vector256.GreaterThanOrEqual(b, Vector256<float>.Zero), Vector256<float>.Zero, c * FastMath.Pow(a, b) * Vector256.Log(a));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.ConditionalSelect(Vector512.Equals(a, Vector512<float>.Zero) & Vector512.GreaterThanOrEqual(b, Vector512<float>.Zero), Vector512<float>.Zero, c * FastMath.Pow(a, b) * Vector512.Log(a));
}

/// <summary>da = a ≥ b ? dc : 0 (ties go to a).</summary>
internal readonly struct MaxGradAMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => a >= b ? c : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a, b), c, Vector128<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, b), c, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, b), c, Vector512<float>.Zero);
}

/// <summary>db = a ≥ b ? 0 : dc.</summary>
internal readonly struct MaxGradBMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => a >= b ? 0f : c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a, b), Vector128<float>.Zero, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, b), Vector256<float>.Zero, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, b), Vector512<float>.Zero, c);
}

/// <summary>da = a ≤ b ? dc : 0 (ties go to a).</summary>
internal readonly struct MinGradAMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => a <= b ? c : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.ConditionalSelect(Vector128.LessThanOrEqual(a, b), c, Vector128<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(a, b), c, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(a, b), c, Vector512<float>.Zero);
}

/// <summary>db = a ≤ b ? 0 : dc.</summary>
internal readonly struct MinGradBMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => a <= b ? 0f : c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.ConditionalSelect(Vector128.LessThanOrEqual(a, b), Vector128<float>.Zero, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(a, b), Vector256<float>.Zero, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(a, b), Vector512<float>.Zero, c);
}

/// <summary>dx = y·(dy − s); a = y, b = dy, c = s.</summary>
internal readonly struct SoftmaxGradColMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => a * (b - c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => a * (b - c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => a * (b - c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => a * (b - c);
}

/// <summary>dx = dy − e^y·s; a = y, b = dy, c = s.</summary>
internal readonly struct LogSoftmaxGradColMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => b - FastMath.Exp(a) * c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => b - FastMath.Exp(a) * c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => b - FastMath.Exp(a) * c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => b - FastMath.Exp(a) * c;
}

/// <summary>d = (a − b) − c (column log-softmax).</summary>
internal readonly struct SubSubMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => (a - b) - c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => (a - b) - c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => (a - b) - c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => (a - b) - c;
}

/// <summary>d = a·b + c (accumulating dot products by columns).</summary>
internal readonly struct MulAddMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => a * b + c;
}

/// <summary>da = 2·(a − b)·g elementwise (reduction None).</summary>
internal readonly struct MseGradMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => 2f * (a - b) * c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.Create(2f) * (a - b) * c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.Create(2f) * (a - b) * c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.Create(2f) * (a - b) * c;
}
