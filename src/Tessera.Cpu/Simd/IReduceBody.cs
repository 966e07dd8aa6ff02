using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>One step of a row reduction at index i, at each width: the value element i contributes, or two values
/// reduced separately when <see cref="Pair"/> (Σg and Σg·x̂ in one pass). <see cref="RowReduce"/> supplies the loop and
/// the accumulators, and writes the (first) values to <see cref="Output"/> on the way when the body has one (softmax
/// keeps e^(x − m)); the driver places those stores, after each block's values are computed.</summary>
internal interface IReduceBody
{
    /// <summary>Whether the body contributes a second value per element (otherwise <c>second</c> is ignored).</summary>
    static abstract bool Pair { get; }

    /// <summary>Where element i's (first) value is also stored (a float pointer), or 0 for none.</summary>
    nint Output { get; }

    float Scalar(long i, out float second);
    Vector128<float> V128(long i, out Vector128<float> second);
    Vector256<float> V256(long i, out Vector256<float> second);
    Vector512<float> V512(long i, out Vector512<float> second);
}
