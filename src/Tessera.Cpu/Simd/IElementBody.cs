namespace Tessera.Cpu.Simd;

/// <summary>One step of an element loop at index i, at each width. Bodies hold their pointers and math functor; the cascade that
/// calls them (<see cref="ElementLoop"/>) is written once.</summary>
public interface IElementBody
{
    void Scalar(long i);
    void V128(long i);
    void V256(long i);
    void V512(long i);

    /// <summary>The Vector512 step with a non-temporal store (the output address of element i is 64-byte aligned).</summary>
    void V512NonTemporal(long i);

    /// <summary>Address of output element 0 (to align the non-temporal loop).</summary>
    nint Output { get; }
}
