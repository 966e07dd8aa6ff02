using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>An associative combine with an identity (sum, max, min), scalar and per vector width.</summary>
internal interface IReduceMath : IBinaryMath
{
    /// <summary>The identity element (0 for sum, −∞ for max, +∞ for min).</summary>
    float Identity { get; }
}
