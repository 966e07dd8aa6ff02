using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

// The math of the binary ops (forward), and helpers of the reductions expressed as binary functions.

/// <summary>c = a + b.</summary>
internal readonly struct AddMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a + b;
}

/// <summary>c = a − b.</summary>
internal readonly struct SubMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a - b;
}

/// <summary>c = a·b.</summary>
internal readonly struct MulMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a * b;
}

/// <summary>c = a/b.</summary>
internal readonly struct DivMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a / b;
}

/// <summary>c = a^b.</summary>
internal readonly struct PowMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => FastMath.Pow(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => FastMath.Pow(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => FastMath.Pow(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => FastMath.Pow(a, b);
}

/// <summary>c = max(a, b).</summary>
internal readonly struct MaxMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
}

/// <summary>c = min(a, b).</summary>
internal readonly struct MinMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => MathF.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);
}

/// <summary>c = e^(a − b) (column softmax).</summary>
internal readonly struct ExpSubMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => FastMath.Exp(a - b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => FastMath.Exp(a - b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => FastMath.Exp(a - b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => FastMath.Exp(a - b);
}

/// <summary>c = (a − b)².</summary>
internal readonly struct SquaredDiffMath : IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => (a - b) * (a - b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => (a - b) * (a - b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => (a - b) * (a - b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => (a - b) * (a - b);
}

/// <summary>c = s·(a − b).</summary>
internal readonly struct ScaledDiffMath(float S) : IBinaryMath
{
    private readonly float _S = S;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => _S * (a - b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Create(_S) * (a - b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Create(_S) * (a - b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.Create(_S) * (a - b);
}

/// <summary>dx = y·(dy − s)·scale; a = y, b = dy (softmax backward; attention's scores backward with the score scale).</summary>
internal readonly struct SoftmaxGradMath(float S, float Scale) : IBinaryMath
{
    private readonly float _S = S;
    private readonly float _Scale = Scale;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => a * (b - _S) * _Scale;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a * (b - Vector128.Create(_S)) * Vector128.Create(_Scale);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * (b - Vector256.Create(_S)) * Vector256.Create(_Scale);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a * (b - Vector512.Create(_S)) * Vector512.Create(_Scale);
}

/// <summary>dx = dy − e^y·s; a = y, b = dy.</summary>
internal readonly struct LogSoftmaxGradMath(float S) : IBinaryMath
{
    private readonly float _S = S;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => b - FastMath.Exp(a) * _S;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => b - FastMath.Exp(a) * Vector128.Create(_S);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => b - FastMath.Exp(a) * Vector256.Create(_S);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => b - FastMath.Exp(a) * Vector512.Create(_S);
}

/// <summary>dlogit = g·(e^(x − m)·q̄/s − (k·p + ε/C)); a = x, b = p.</summary>
internal readonly struct CrossEntropyProbGradMath(float M, float Scale, float G, float Keep, float Smooth) : IBinaryMath
{
    private readonly float _M = M;
    private readonly float _Scale = Scale;
    private readonly float _G = G;
    private readonly float _Keep = Keep;
    private readonly float _Smooth = Smooth;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b) => _G * (FastMath.Exp(a - _M) * _Scale - (_Keep * b + _Smooth));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Create(_G) * (FastMath.Exp(a - Vector128.Create(_M)) * Vector128.Create(_Scale) - (Vector128.Create(_Keep) * b + Vector128.Create(_Smooth)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Create(_G) * (FastMath.Exp(a - Vector256.Create(_M)) * Vector256.Create(_Scale) - (Vector256.Create(_Keep) * b + Vector256.Create(_Smooth)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.Create(_G) * (FastMath.Exp(a - Vector512.Create(_M)) * Vector512.Create(_Scale) - (Vector512.Create(_Keep) * b + Vector512.Create(_Smooth)));
}
