using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Eight floats of a row read with stride 1 or 2 (AVX2), for window operations vectorised along W: the
/// stride-2 load reads 16 consecutive floats and keeps the even ones.</summary>
internal static unsafe class StridedVector
{
    /// <summary>Whether <see cref="Load"/> runs on this machine for <paramref name="stride"/>.</summary>
    public static bool Supports(int stride) => stride == 1 ? Vector256.IsHardwareAccelerated : stride == 2 && Avx2.IsSupported;

    /// <summary>Floats a load at <paramref name="stride"/> reads from its start (8 or 16).</summary>
    public static int Span(int stride) => 8 * stride;

    /// <summary>p[0..7], or, stride 2, p[0], p[2], …, p[14].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p, int stride)
    {
        if (stride == 1) return Vector256.Load(p);
        var a = Vector256.Load(p);
        var b = Vector256.Load(p + 8);
        // [a0 a2 b0 b2 | a4 a6 b4 b6] → [a0 a2 a4 a6 b0 b2 b4 b6]
        var s = Avx.Shuffle(a, b, 0b10_00_10_00);
        return Avx2.Permute4x64(s.AsDouble(), 0b11_01_10_00).AsSingle();
    }
}
