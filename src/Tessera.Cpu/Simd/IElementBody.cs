namespace Tessera.Cpu.Simd;

/// <summary>One step of an element loop at index i, at each width. Bodies hold their pointers and op; the cascade that
/// calls them (<see cref="ElementLoop"/>) is written once.</summary>
public interface IElementBody
{
    void Scalar(long i);
    void V128(long i);
    void V256(long i);
    void V512(long i);
}
