using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>Masks of leading lanes for AVX-512 masked loads and stores (row tails, short rows).</summary>
internal static class LaneMask
{
    /// <summary>The first <paramref name="n"/> of 16 float lanes set (none for n ≤ 0, all for n ≥ 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> First(int n) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n)).AsSingle();
}
