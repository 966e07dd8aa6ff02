using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Attention;

/// <summary>Attention scores: scale·s + mask (mask optional: a null pointer), stored back into s by the row reduction
/// (which takes the row maximum).</summary>
internal unsafe struct ScaleMaskBody(float* s, float scale, float* mask) : IReduceBody
{
    public static bool Pair => false;

    public readonly nint Output => (nint)s;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Scalar(long i, out float second)
    {
        second = 0;
        float v = s[i] * scale;
        if (mask != null) v += mask[i];
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector128<float> V128(long i, out Vector128<float> second)
    {
        second = default;
        var v = Vector128.Load(s + i) * Vector128.Create(scale);
        if (mask != null) v += Vector128.Load(mask + i);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> V256(long i, out Vector256<float> second)
    {
        second = default;
        var v = Vector256.Load(s + i) * Vector256.Create(scale);
        if (mask != null) v += Vector256.Load(mask + i);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> V512(long i, out Vector512<float> second)
    {
        second = default;
        var v = Vector512.Load(s + i) * Vector512.Create(scale);
        if (mask != null) v += Vector512.Load(mask + i);
        return v;
    }
}
