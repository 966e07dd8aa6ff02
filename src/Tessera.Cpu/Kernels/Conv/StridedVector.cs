using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Cpu.Kernels.Conv;

/// <summary>Eight floats of a row read with a stride (AVX2), for window operations vectorised along W: stride 1 is one
/// load, stride 2 reads 16 consecutive floats and keeps the even ones (<see cref="Load"/>); any stride is one gather
/// (<see cref="Gather"/>, kept apart: the depthwise kernels inline <see cref="Load"/> beside 25 weights in registers,
/// and a third path there costs them registers).</summary>
internal static unsafe class StridedVector
{
    /// <summary>The lane numbers 0 … 7 (gather offsets, masks of the first n lanes, argmax columns).</summary>
    public static readonly Vector256<int> Lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);

    /// <summary>Whether <see cref="Load"/> runs on this machine for <paramref name="stride"/> (1 or 2).</summary>
    public static bool Supports(int stride) => stride == 1 ? Vector256.IsHardwareAccelerated : stride == 2 && Avx2.IsSupported;

    /// <summary>Whether <see cref="Gather"/> runs on this machine.</summary>
    public static bool SupportsGather => Avx2.IsSupported;

    /// <summary>Floats a load at <paramref name="stride"/> reads from its start: 8 or 16 (<see cref="Load"/>), or
    /// 7·stride + 1 for larger strides (<see cref="Gather"/> reads only the eight it returns).</summary>
    public static int Span(int stride) => stride <= 2 ? 8 * stride : 7 * stride + 1;

    /// <summary>p[0], p[stride], …, p[7·stride] for any stride ≥ 1, one gather.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Gather(float* p, int stride) => Avx2.GatherVector256(p, Lane * stride, 4);

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

    /// <summary>dr[ow] = src[ow·stride] for ow in [a, b): 8 at a time (stride 2: two loads, the even lanes kept;
    /// larger strides: one gather), then a scalar tail. <paramref name="rowLeft"/> floats of the input row lie from
    /// src on: a stride-2 load also reads the odd float after its last, which must stay inside the row.</summary>
    public static void Copy(float* src, float* dr, int a, int b, int stride, int rowLeft)
    {
        int ow = a;
        if (stride == 2 && Supports(2))
            for (; ow + 8 <= b && 2 * ow + 16 <= rowLeft; ow += 8) Vector256.Store(Load(src + 2 * ow, 2), dr + ow);
        else if (stride > 2 && SupportsGather)
            for (; ow + 8 <= b; ow += 8) Vector256.Store(Gather(src + ow * stride, stride), dr + ow);
        for (; ow < b; ow++) dr[ow] = src[ow * stride];
    }
}
