using Tessera.Devices;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels.Linalg;

/// <summary>Which operand of <see cref="Sgemm"/> a <see cref="PackedMatrices"/> holds.</summary>
internal enum GemmOperand { A, B }

/// <summary>A constant GEMM operand packed whole (<see cref="Sgemm.PackWholeA"/> or <see cref="Sgemm.PackWholeB"/>),
/// <see cref="Count"/> matrices of one size (a convolution's groups) in one buffer from the device pool.
/// <see cref="Outer"/> is m for A and n for B; <see cref="Depth"/> is k.</summary>
internal sealed unsafe class PackedMatrices : IPackedOperand
{
    private readonly DeviceBuffer _buffer;
    private readonly long _floats;   // per matrix

    public PackedMatrices(CpuMemoryPool pool, GemmOperand operand, int count, int outer, int depth)
    {
        Operand = operand;
        Count = count;
        Outer = outer;
        Depth = depth;
        _floats = operand == GemmOperand.A ? Sgemm.PackedAFloats(outer, depth) : Sgemm.PackedBFloats(outer, depth);
        _buffer = pool.Rent(Math.Max(1, count * _floats * sizeof(float)));
    }

    public GemmOperand Operand { get; }
    public int Count { get; }
    public int Outer { get; }
    public int Depth { get; }

    /// <summary>The packed panels of matrix <paramref name="i"/>.</summary>
    public float* this[int i] => (float*)_buffer.Handle + i * _floats;

    public long Bytes => _buffer.Bytes;

    /// <summary>The pack as <paramref name="operand"/> of <paramref name="count"/> products of that size, or a clear error
    /// naming <paramref name="op"/> when it was packed for another.</summary>
    public static PackedMatrices Check(string op, IPackedOperand packed, GemmOperand operand, int count, int outer, int depth) =>
        packed is PackedMatrices pm && pm.Operand == operand && pm.Count == count && pm.Outer == outer && pm.Depth == depth
            ? pm
            : throw new TesseraArgumentException(op, "packed", $"the packed operand was not made for this call ({operand} of {count} × {outer}×{depth} expected)");

    public void Dispose() => _buffer.Dispose();
}
