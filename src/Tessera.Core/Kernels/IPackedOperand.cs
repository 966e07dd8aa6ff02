namespace Tessera.Kernels;

/// <summary>An operand that kernels packed once into the layout their inner loops read (<see cref="IOperandPacking"/>),
/// for later calls to read instead of packing it again. Opaque outside the kernels that made it; disposing it returns its
/// memory.</summary>
public interface IPackedOperand : IDisposable
{
    /// <summary>Bytes the packed form holds.</summary>
    long Bytes { get; }
}
