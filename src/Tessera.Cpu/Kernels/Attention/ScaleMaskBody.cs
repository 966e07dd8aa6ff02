using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Attention;

/// <summary>Attention scores: scale·s + mask (mask optional: a null pointer), and −∞ from index
/// <paramref name="limit"/> on (the keys a causal row does not see), stored back into s by the row reduction (which
/// takes the row maximum).</summary>
internal unsafe struct ScaleMaskBody(float* s, float scale, float* mask, int limit) : IReduceBody
{
    public static bool Pair => false;

    // Lane indices 0, 1, 2, ... at each width.
    private static Vector128<int> Index128 => Vector128.Create(0, 1, 2, 3);
    private static Vector256<int> Index256 => Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
    private static Vector512<int> Index512 => Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    public readonly nint Output => (nint)s;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Scalar(long i, out float second)
    {
        second = 0;
        float v = s[i] * scale;
        if (mask != null) v += mask[i];
        return i < limit ? v : float.NegativeInfinity;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector128<float> V128(long i, out Vector128<float> second)
    {
        second = default;
        var v = Vector128.Load(s + i) * Vector128.Create(scale);
        if (mask != null) v += Vector128.Load(mask + i);
        if (i + 4 > limit) v = Vector128.ConditionalSelect(Vector128.LessThan(Vector128.Create((int)i) + Index128, Vector128.Create(limit)).AsSingle(), v, Vector128.Create(float.NegativeInfinity));
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> V256(long i, out Vector256<float> second)
    {
        second = default;
        var v = Vector256.Load(s + i) * Vector256.Create(scale);
        if (mask != null) v += Vector256.Load(mask + i);
        if (i + 8 > limit) v = Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Create((int)i) + Index256, Vector256.Create(limit)).AsSingle(), v, Vector256.Create(float.NegativeInfinity));
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> V512(long i, out Vector512<float> second)
    {
        second = default;
        var v = Vector512.Load(s + i) * Vector512.Create(scale);
        if (mask != null) v += Vector512.Load(mask + i);
        if (i + 16 > limit) v = Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Create((int)i) + Index512, Vector512.Create(limit)).AsSingle(), v, Vector512.Create(float.NegativeInfinity));
        return v;
    }
}
