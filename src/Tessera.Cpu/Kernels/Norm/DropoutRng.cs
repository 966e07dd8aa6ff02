using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Kernels.Norm;

/// <summary>The counter-based generator behind dropout masks, chosen so that any backend (a GPU thread per element)
/// reproduces the same mask: h(i) = SplitMix64 output number i+1 from state Seed, i.e.
/// z = Seed + (i+1)·0x9E3779B97F4A7C15; z = (z ⊕ z≫30)·0xBF58476D1CE4E5B9; z = (z ⊕ z≫27)·0x94D049BB133111EB; h = z ⊕ z≫31.
/// Element i (row-major logical index) is kept when (h ≫ 32) ≥ ⌈Ratio·2³²⌉, i.e. when u = (h ≫ 32)/2³² ≥ Ratio.</summary>
internal static unsafe class DropoutRng
{
    public const ulong Golden = 0x9E3779B97F4A7C15UL;
    private const ulong Mix1 = 0xBF58476D1CE4E5B9UL;
    private const ulong Mix2 = 0x94D049BB133111EBUL;

    /// <summary>The integer threshold on the upper 32 bits: ⌈ratio·2³²⌉ (exact in double).</summary>
    public static ulong Threshold(float ratio) => (ulong)Math.Ceiling(ratio * 4294967296.0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ulong seed, long index)
    {
        unchecked
        {
            ulong z = seed + (ulong)(index + 1) * Golden;
            z = (z ^ (z >> 30)) * Mix1;
            z = (z ^ (z >> 27)) * Mix2;
            return z ^ (z >> 31);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Hash(Vector512<ulong> z)
    {
        z = (z ^ Vector512.ShiftRightLogical(z, 30)) * Vector512.Create(Mix1);
        z = (z ^ Vector512.ShiftRightLogical(z, 27)) * Vector512.Create(Mix2);
        return z ^ Vector512.ShiftRightLogical(z, 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Hash(Vector256<ulong> z)
    {
        z = (z ^ Vector256.ShiftRightLogical(z, 30)) * Vector256.Create(Mix1);
        z = (z ^ Vector256.ShiftRightLogical(z, 27)) * Vector256.Create(Mix2);
        return z ^ Vector256.ShiftRightLogical(z, 31);
    }

    /// <summary>Elements [begin, end) of the flat tensor: y = keep ? x·scale : 0, mask = keep.</summary>
    public static void Apply(float* x, float* y, byte* mask, long begin, long end, ulong seed, ulong threshold, float scale)
    {
        long i = begin;
        if (Vector512.IsHardwareAccelerated)
        {
            var vScale = Vector512.Create(scale);
            var vThr = Vector512.Create(threshold);
            var one = Vector512.Create(1u);
            var step = Vector512.Create(unchecked(8UL * Golden));
            // z(i) = seed + (i+1)·Golden for lanes i..i+7 and i+8..i+15; advanced by 16·Golden per iteration.
            Vector512<ulong> z0 = default, z1 = default;
            if (end - i >= 16)
            {
                var lane = Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7);
                var baseZ = Vector512.Create(unchecked(seed + (ulong)(i + 1) * Golden));
                z0 = baseZ + lane * Vector512.Create(Golden);
                z1 = z0 + step;
            }
            for (; i <= end - 16; i += 16)
            {
                var k0 = Vector512.GreaterThanOrEqual(Vector512.ShiftRightLogical(Hash(z0), 32), vThr);
                var k1 = Vector512.GreaterThanOrEqual(Vector512.ShiftRightLogical(Hash(z1), 32), vThr);
                var keep = Vector512.Narrow(k0, k1);                       // 16 × uint, all ones where kept
                var yv = Vector512.Load(x + i) * vScale;
                (yv & keep.AsSingle()).Store(y + i);
                var bits = Vector512.Narrow(keep & one, Vector512<uint>.Zero);  // 32 × ushort, first 16 meaningful
                var bytes = Vector512.Narrow(bits, Vector512<ushort>.Zero);    // 64 × byte, first 16 meaningful
                bytes.GetLower().GetLower().Store(mask + i);
                z0 += step + step;
                z1 += step + step;
            }
        }
        if (Vector256.IsHardwareAccelerated && end - i >= 8)
        {
            var vScale = Vector256.Create(scale);
            var vThr = Vector256.Create(threshold);
            var one = Vector256.Create(1u);
            var step = Vector256.Create(unchecked(4UL * Golden));
            var z0 = Vector256.Create(unchecked(seed + (ulong)(i + 1) * Golden)) + Vector256.Create(0UL, 1, 2, 3) * Vector256.Create(Golden);
            var z1 = z0 + step;
            for (; i <= end - 8; i += 8)
            {
                var k0 = Vector256.GreaterThanOrEqual(Vector256.ShiftRightLogical(Hash(z0), 32), vThr);
                var k1 = Vector256.GreaterThanOrEqual(Vector256.ShiftRightLogical(Hash(z1), 32), vThr);
                var keep = Vector256.Narrow(k0, k1);                        // 8 × uint
                ((Vector256.Load(x + i) * vScale) & keep.AsSingle()).Store(y + i);
                var bits = Vector256.Narrow(keep & one, Vector256<uint>.Zero);
                var bytes = Vector256.Narrow(bits, Vector256<ushort>.Zero);    // first 8 bytes meaningful
                *(ulong*)(mask + i) = bytes.AsUInt64().ToScalar();
                z0 += step + step;
                z1 += step + step;
            }
        }
        for (; i < end; i++)
        {
            bool keep = (Hash(seed, i) >> 32) >= threshold;
            y[i] = keep ? x[i] * scale : 0f;
            mask[i] = keep ? (byte)1 : (byte)0;
        }
    }

    /// <summary>dx = dy·mask·scale over [begin, end).</summary>
    public static void Backward(float* dy, byte* mask, float* dx, long begin, long end, float scale)
    {
        long i = begin;
        if (Vector512.IsHardwareAccelerated)
        {
            var vScale = Vector512.Create(scale);
            for (; i <= end - 16; i += 16)
            {
                var m8 = Vector128.Load(mask + i);
                var m16 = Vector256.Create(Vector128.WidenLower(m8), Vector128.WidenUpper(m8));
                var m32 = Vector512.Create(Vector256.WidenLower(m16), Vector256.WidenUpper(m16));
                var mf = Vector512.ConvertToSingle(m32.AsInt32());
                (Vector512.Load(dy + i) * mf * vScale).Store(dx + i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vScale = Vector256.Create(scale);
            for (; i <= end - 8; i += 8)
            {
                var m8 = Vector128.CreateScalar(*(ulong*)(mask + i)).AsByte();
                var m32 = Vector256.Create(Vector128.WidenLower(Vector128.WidenLower(m8)), Vector128.WidenUpper(Vector128.WidenLower(m8)));
                (Vector256.Load(dy + i) * Vector256.ConvertToSingle(m32.AsInt32()) * vScale).Store(dx + i);
            }
        }
        for (; i < end; i++) dx[i] = dy[i] * mask[i] * scale;
    }
}
