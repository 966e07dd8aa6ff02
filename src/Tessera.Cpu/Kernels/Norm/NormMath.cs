using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Norm;

/// <summary>r = α·u + β·(w − c) + γ (batch norm backward: a = u = dy, b = w = x).</summary>
internal readonly struct CombineMath(float Alpha, float Beta, float C, float Gamma) : IBinaryMath
{
    private readonly float _Alpha = Alpha, _Beta = Beta, _C = C, _Gamma = Gamma;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float u, float w) => u * _Alpha + (w - _C) * _Beta + _Gamma;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> u, Vector128<float> w) =>
        u * Vector128.Create(_Alpha) + (w - Vector128.Create(_C)) * Vector128.Create(_Beta) + Vector128.Create(_Gamma);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> u, Vector256<float> w) =>
        u * Vector256.Create(_Alpha) + (w - Vector256.Create(_C)) * Vector256.Create(_Beta) + Vector256.Create(_Gamma);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> u, Vector512<float> w) =>
        u * Vector512.Create(_Alpha) + (w - Vector512.Create(_C)) * Vector512.Create(_Beta) + Vector512.Create(_Gamma);
}

/// <summary>d = a + (b − c)² (accumulating squared deviations by columns).</summary>
internal readonly struct AddSquaredDeviationMath : ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float a, float b, float c) { float d = b - c; return a + d * d; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c) { var d = b - c; return a + d * d; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) { var d = b - c; return a + d * d; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c) { var d = b - c; return a + d * d; }
}

/// <summary>r = α·u + β·(w − c) + γ with per-column coefficient arrays (the narrow batch-norm backward pass).</summary>
internal unsafe struct CombineColumnsBody(float* u, float* w, float* r, float* alpha, float* beta, float* c, float* gamma) : IElementBody
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scalar(long i) => r[i] = u[i] * alpha[i] + (w[i] - c[i]) * beta[i] + gamma[i];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V128(long i) =>
        (Vector128.Load(u + i) * Vector128.Load(alpha + i) + (Vector128.Load(w + i) - Vector128.Load(c + i)) * Vector128.Load(beta + i)
            + Vector128.Load(gamma + i)).Store(r + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V256(long i) =>
        (Vector256.Load(u + i) * Vector256.Load(alpha + i) + (Vector256.Load(w + i) - Vector256.Load(c + i)) * Vector256.Load(beta + i)
            + Vector256.Load(gamma + i)).Store(r + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V512(long i) =>
        (Vector512.Load(u + i) * Vector512.Load(alpha + i) + (Vector512.Load(w + i) - Vector512.Load(c + i)) * Vector512.Load(beta + i)
            + Vector512.Load(gamma + i)).Store(r + i);

    public void V512NonTemporal(long i) => V512(i);

    public readonly nint Output => (nint)r;
}
