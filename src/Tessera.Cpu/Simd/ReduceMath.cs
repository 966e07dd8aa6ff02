using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>Sum: identity 0.</summary>
internal readonly struct SumReduce : IReduceMath
{
    public float Identity => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a + b;
}

/// <summary>Maximum: identity −∞.</summary>
internal readonly struct MaxReduce : IReduceMath
{
    public float Identity => float.NegativeInfinity;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
}

/// <summary>Minimum: identity +∞.</summary>
internal readonly struct MinReduce : IReduceMath
{
    public float Identity => float.PositiveInfinity;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => MathF.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);
}
