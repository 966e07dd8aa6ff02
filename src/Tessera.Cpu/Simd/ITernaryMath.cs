using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>The math of an element-wise function of three floats (scalar and per vector width); used by gradients.</summary>
internal interface ITernaryMath
{
    float Invoke(float a, float b, float c);
    Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> c);
    Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c);
    Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c);
}
