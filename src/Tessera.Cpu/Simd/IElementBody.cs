namespace Tessera.Cpu.Simd;

/// <summary>One step of an element loop at index i, at each width. Bodies hold their pointers and math functor; the
/// cascade that calls them (<see cref="ElementLoop"/>) is written once. Every width must compute the same IEEE
/// operations per lane as <see cref="Scalar"/> (no fused multiply-add, except inside a function whose formula fuses
/// the same terms at every width and in its scalar form, as <see cref="FastMath.Exp(float)"/>), so results do not
/// depend on the width.</summary>
internal interface IElementBody
{
    void Scalar(long i);
    void V128(long i);
    void V256(long i);
    void V512(long i);

    /// <summary>The Vector512 step with a non-temporal store of <see cref="Output"/> (its address at element i is 64-byte
    /// aligned). Bodies that also write other streams store those normally.</summary>
    void V512NonTemporal(long i);

    /// <summary>Address of output element 0 (to align the non-temporal loop).</summary>
    nint Output { get; }

    /// <summary>Whether the body computes more than memory delivers (an exponential per element): then large outputs
    /// are stored normally, since non-temporal stores slowed sigmoid and GELU by a quarter or more on Zen 5 (while
    /// they speed a copy by a tenth or more).</summary>
    static virtual bool ComputeBound => false;
}
