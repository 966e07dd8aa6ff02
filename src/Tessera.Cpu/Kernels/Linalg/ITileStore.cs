namespace Tessera.Cpu.Kernels.Linalg;

/// <summary>What <see cref="Sgemm"/> does to each MR × NR tile of C after the micro-kernel stored α·(A·B) + β·C:
/// nothing (<see cref="PlainStore"/>), or a fused epilogue's bias, residual and activation while the tile is in L1
/// (<see cref="EpilogueStore{TAct}"/>). A store is positioned on one tile with <see cref="At"/>; rows and columns are
/// then counted from the tile's element (0, 0).</summary>
internal unsafe interface ITileStore<TSelf> where TSelf : struct, ITileStore<TSelf>
{
    /// <summary>The store for the tile whose element (0, 0) is C(row0, col0) of the whole product.</summary>
    TSelf At(int row0, int col0);

    /// <summary>Completes rows × cols of the tile at c (row stride ldc).</summary>
    void Finish(float* c, long ldc, int rows, int cols);

    /// <summary>Whether the store reads memory besides the tile (a residual), which <see cref="Prefetch"/> then asks for.</summary>
    bool Reads { get; }

    /// <summary>Asks for what the epilogue will read of rows × cols at c, ahead of time.</summary>
    void Prefetch(float* c, long ldc, int rows, int cols);
}

/// <summary>Code to run with the store of a runtime <see cref="GemmEpilogue"/> (its activation picked once).</summary>
internal interface ITileStoreVisitor
{
    void Visit<TStore>(TStore store) where TStore : struct, ITileStore<TStore>;
}
