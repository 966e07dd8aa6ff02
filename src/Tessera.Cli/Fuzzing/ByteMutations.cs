using System.Buffers.Binary;

namespace Tessera.Cli.Fuzzing;

/// <summary>The mutations every target shares: byte-level damage (bit flips, truncation, deleted, repeated and inserted
/// runs, integers overwritten with boundary values) and the boundary values themselves, which the structure-aware
/// mutators put into the numbers they find (dimensions, lengths, offsets, attribute values).</summary>
internal static class ByteMutations
{
    /// <summary>Numbers at the edges where size arithmetic breaks: zero, signs, powers of two, the int32/int64 limits,
    /// 46341 (whose square passes 2^31).</summary>
    public static readonly long[] Boundaries =
    [
        0, 1, -1, 2, -2, 3, 7, 8, 16, 127, 128, 255, 256, 4095, 65535, 65536, 46341, int.MaxValue, (long)int.MaxValue + 1,
        int.MinValue, uint.MaxValue, 1L << 32, 1L << 40, 1L << 53, (1L << 62) + 1, long.MaxValue, long.MinValue,
    ];

    /// <summary>A value near <paramref name="current"/> (±2, times a power of two, negated) or a boundary value.</summary>
    public static long Number(Random rng, long current) => rng.Next(5) switch
    {
        0 => current + rng.Next(-2, 3),
        1 => unchecked(current * (1L << rng.Next(1, 34))),
        2 => unchecked(-current),
        _ => Boundaries[rng.Next(Boundaries.Length)],
    };

    /// <summary>One byte-level mutation of <paramref name="data"/> (a new array; the input is not changed).</summary>
    public static byte[] Mutate(byte[] data, Random rng)
    {
        if (data.Length == 0) return [(byte)rng.Next(256)];
        var d = (byte[])data.Clone();
        int at = rng.Next(d.Length);
        switch (rng.Next(8))
        {
            case 0:
                d[at] ^= (byte)(1 << rng.Next(8));
                return d;
            case 1:
                d[at] = (byte)(rng.Next(4) switch { 0 => 0, 1 => 0xFF, 2 => 0x7F, _ => 0x80 });
                return d;
            case 2:
                return d[..at];
            case 3:
                return [.. d[..at], .. d[Math.Min(d.Length, at + 1 + rng.Next(16))..]];
            case 4:
            {
                int len = Math.Min(d.Length - at, 1 + rng.Next(64));
                return [.. d[..(at + len)], .. d[at..(at + len)], .. d[(at + len)..]];
            }
            case 5:
            {
                var extra = new byte[1 + rng.Next(8)];
                rng.NextBytes(extra);
                return [.. d[..at], .. extra, .. d[at..]];
            }
            case 6 when d.Length - at >= 4:
                BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(at), unchecked((int)Number(rng, BinaryPrimitives.ReadInt32LittleEndian(d.AsSpan(at)))));
                return d;
            case 7 when d.Length - at >= 8:
                BinaryPrimitives.WriteInt64LittleEndian(d.AsSpan(at), Number(rng, BinaryPrimitives.ReadInt64LittleEndian(d.AsSpan(at))));
                return d;
            default:
                d[at] = (byte)rng.Next(256);
                return d;
        }
    }
}
