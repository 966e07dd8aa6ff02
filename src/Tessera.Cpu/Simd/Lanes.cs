using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Cpu.Simd;

/// <summary>AVX-512 lane helpers shared by the convolution and pooling kernels: masks of leading lanes (row tails,
/// short rows), the index vectors that split two vectors into their even and odd floats (stride-2 windows), and a
/// float copy built from them.</summary>
internal static unsafe class Lanes
{
    /// <summary>The first <paramref name="n"/> of 16 float lanes set (none for n ≤ 0, all for n ≥ 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> First(int n) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n)).AsSingle();

    /// <summary>Indices of the even floats of two concatenated vectors (for a two-source permute).</summary>
    public static readonly Vector512<int> Even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);

    /// <summary>Indices of the odd floats of two concatenated vectors.</summary>
    public static readonly Vector512<int> Odd = Even + Vector512<int>.One;

    /// <summary>The first n floats at p in the first n lanes (all 16 from n = 16 on), zero in the others; reads nothing
    /// past them (a masked load).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* p, int n) => Avx512F.MaskLoad(p, First(n), Vector512<float>.Zero);

    /// <summary>dst[0..n) = src[0..n): 16 floats at a time, the last vector overlapping the one before (or, below 16,
    /// one masked load and store, which reads and writes nothing past n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(float* src, float* dst, int n)
    {
        if (n < 16)
        {
            var keep = First(n);
            Avx512F.MaskStore(dst, keep, Load(src, n));
            return;
        }
        for (int i = 0; i + 16 < n; i += 16) Vector512.Load(src + i).Store(dst + i);
        Vector512.Load(src + n - 16).Store(dst + n - 16);
    }
}
