using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>The math of a comparison of two elements of type <typeparamref name="T"/>: a bool, or a lane mask
/// (all bits set where it holds). NaN compares false under every predicate (ordered comparisons).</summary>
internal interface ICompareMath<T> where T : unmanaged
{
    bool Invoke(T a, T b);
    Vector256<T> Invoke(Vector256<T> a, Vector256<T> b);
}

/// <summary>a == b.</summary>
internal readonly struct EqualMath<T> : ICompareMath<T> where T : unmanaged, IEqualityOperators<T, T, bool>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public bool Invoke(T a, T b) => a == b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.Equals(a, b);
}

/// <summary>a &lt; b.</summary>
internal readonly struct LessMath<T> : ICompareMath<T> where T : unmanaged, IComparisonOperators<T, T, bool>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public bool Invoke(T a, T b) => a < b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.LessThan(a, b);
}

/// <summary>a ≤ b.</summary>
internal readonly struct LessOrEqualMath<T> : ICompareMath<T> where T : unmanaged, IComparisonOperators<T, T, bool>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public bool Invoke(T a, T b) => a <= b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.LessThanOrEqual(a, b);
}

/// <summary>a &gt; b.</summary>
internal readonly struct GreaterMath<T> : ICompareMath<T> where T : unmanaged, IComparisonOperators<T, T, bool>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public bool Invoke(T a, T b) => a > b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThan(a, b);
}

/// <summary>a ≥ b.</summary>
internal readonly struct GreaterOrEqualMath<T> : ICompareMath<T> where T : unmanaged, IComparisonOperators<T, T, bool>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public bool Invoke(T a, T b) => a >= b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThanOrEqual(a, b);
}

/// <summary>c = a ≥ 0 ? a : b·a (ONNX PRelu, b the slope).</summary>
internal readonly struct PReluMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a >= 0f ? a : b * a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a, Vector128<float>.Zero), a, b * a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, Vector256<float>.Zero), a, b * a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, Vector512<float>.Zero), a, b * a);
}

/// <summary>da of PRelu = a ≥ 0 ? dc : b·dc (inputs a, b, dc).</summary>
internal readonly struct PReluGradAMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => a >= 0f ? c : b * c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a, Vector128<float>.Zero), c, b * c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, Vector256<float>.Zero), c, b * c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, Vector512<float>.Zero), c, b * c);
}

/// <summary>db of PRelu = a ≥ 0 ? 0 : a·dc (inputs a, b, dc).</summary>
internal readonly struct PReluGradBMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) => a >= 0f ? 0f : a * c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a, Vector128<float>.Zero), Vector128<float>.Zero, a * c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, Vector256<float>.Zero), Vector256<float>.Zero, a * c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, Vector512<float>.Zero), Vector512<float>.Zero, a * c);
}
