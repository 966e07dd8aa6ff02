using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>The vector widths the drivers (<see cref="ElementLoop"/>, <see cref="RowReduce"/>, the attention
/// contraction) use: every width the hardware accelerates, up to <see cref="MaxBits"/>. Results do not depend on the
/// width — element-wise bodies compute the same IEEE operations in every lane and the scalar tail (no fused
/// multiply-add outside formulas that fuse the same terms at every width, as FastMath's; contractions fuse every
/// term), and row reductions keep a fixed 16-lane accumulator layout at every width — so the limit exists for tests
/// that pin exactly that. (Without any accelerated width, reductions run in scalar order.)</summary>
internal static class VectorWidth
{
    /// <summary>Widest vector in bits the drivers may use (512, 256 or 128; default 512, i.e. whatever the hardware has).
    /// Process-wide: a test that lowers it must not run beside tests that time or compare code paths.</summary>
    internal static int MaxBits = 512;

    /// <summary>Vector512 is accelerated and allowed.</summary>
    public static bool Use512 => Vector512.IsHardwareAccelerated && MaxBits >= 512;

    /// <summary>Vector256 is accelerated and allowed.</summary>
    public static bool Use256 => Vector256.IsHardwareAccelerated && MaxBits >= 256;

    /// <summary>Vector128 is accelerated (always allowed: it is the narrowest vector width).</summary>
    public static bool Use128 => Vector128.IsHardwareAccelerated;
}
