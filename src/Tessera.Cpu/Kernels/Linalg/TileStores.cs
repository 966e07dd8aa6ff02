using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Cpu.Simd;

namespace Tessera.Cpu.Kernels.Linalg;

/// <summary>SGEMM without an epilogue: the tiles stay as the micro-kernel stored them.</summary>
internal readonly unsafe struct PlainStore : ITileStore<PlainStore>
{
    public PlainStore At(int row0, int col0) => this;

    public bool Reads => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Finish(float* c, long ldc, int rows, int cols) { }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(float* c, long ldc, int rows, int cols) { }
}

/// <summary>The fused epilogue y ← act(y + bias + residual) on a finished tile in L1: the bias per row of C (a
/// convolution's output channel) or per column (a layer's bias [N]), the residual dense in C's layout
/// (<see cref="EpilogueMath{TAct}"/>).</summary>
internal readonly unsafe struct EpilogueStore<TAct>(EpilogueMath<TAct> e, float* rowBias, float* columnBias) : ITileStore<EpilogueStore<TAct>>
    where TAct : struct, IUnaryMath
{
    public EpilogueStore<TAct> At(int row0, int col0) =>
        new(e, rowBias == null ? null : rowBias + row0, columnBias == null ? null : columnBias + col0);

    public bool Reads => e.HasResidual;

    /// <summary>Not inlined into the tile loop: an activation that calls out (exp) would weigh on its registers.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Finish(float* c, long ldc, int rows, int cols)
    {
        if ((cols == Sgemm.NR || cols == 2 * Sgemm.NR) && VectorWidth.Use512)
        {
            // A full tile row is two or four vectors: the element loop's steps, without its per-call cascade.
            for (int r = 0; r < rows; r++)
            {
                var row = new EpilogueBody<TAct>(e, c + r * ldc, rowBias != null, rowBias == null ? 0f : rowBias[r], columnBias);
                row.V512(0);
                row.V512(16);
                if (cols > Sgemm.NR)
                {
                    row.V512(32);
                    row.V512(48);
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            var body = new EpilogueBody<TAct>(e, c + r * ldc, rowBias != null, rowBias == null ? 0f : rowBias[r], columnBias);
            ElementLoop.Run(ref body, 0, cols);
        }
    }

    /// <summary>The residual's lines of the tile: a tile's rows lie a row of C apart, too scattered for the hardware
    /// prefetcher, and the epilogue's loads would wait on them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(float* c, long ldc, int rows, int cols)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < rows; r++)
        {
            float* row = e.ResidualOf(c + r * ldc);
            for (int j = 0; j < cols; j += 16) Sse.Prefetch0(row + j);
        }
    }
}
