using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>The math of an element-wise function of two floats (scalar and per vector width).</summary>
internal interface IBinaryMath
{
    float Invoke(float a, float b);
    Vector128<float> Invoke(Vector128<float> a, Vector128<float> b);
    Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);
    Vector512<float> Invoke(Vector512<float> a, Vector512<float> b);
}
