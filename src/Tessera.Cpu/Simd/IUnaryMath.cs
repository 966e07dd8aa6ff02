using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>The math of an element-wise function of one float: a scalar form and one per vector width. Implemented by
/// small readonly structs (parameters as fields) so that the generic drivers are specialised and inlined per function.</summary>
internal interface IUnaryMath
{
    float Invoke(float x);
    Vector128<float> Invoke(Vector128<float> x);
    Vector256<float> Invoke(Vector256<float> x);
    Vector512<float> Invoke(Vector512<float> x);

    /// <summary>Whether the function costs more than its memory traffic (see <see cref="IElementBody.ComputeBound"/>).</summary>
    static virtual bool ComputeBound => false;
}
