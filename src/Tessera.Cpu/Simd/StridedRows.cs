using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>Parallel iteration over the rows of a <see cref="StridedPlan"/>, handed out as tiles: rows [r0, r1) ×
/// columns [j0, j1). When every inner stride is 0 or 1 a tile is one row piece (long rows are cut so that a single
/// long row still spreads over the threads). When an operand is gathered with another inner stride (a transposed
/// view), tiles are <see cref="TileRows"/> × <see cref="TileCols"/> and the operand is copied into a small contiguous
/// tile with <see cref="Gather"/> — with one vector load per column when its rows are adjacent in memory.</summary>
internal static unsafe class StridedRows
{
    public const int TileRows = 16, TileCols = 256;
    private const int Piece = 32768;

    /// <summary>True when some operand's inner stride is neither 0 nor 1.</summary>
    public static bool Gathers(StridedPlan plan)
    {
        foreach (var s in plan.InnerStride) if (s is not (0 or 1)) return true;
        return false;
    }

    /// <summary>Calls body(state, r0, r1, j0, j1) over tiles covering every row and column.</summary>
    public static void For<TState>(StridedPlan plan, int threads, TState state, Action<TState, long, long, int, int> body)
    {
        if (plan.Rows == 0 || plan.Inner == 0) return;
        int piece, group;
        if (Gathers(plan)) { piece = Math.Min(plan.Inner, TileCols); group = TileRows; }
        else { piece = plan.Inner <= 2 * Piece ? plan.Inner : Piece; group = 1; }
        long pieces = (plan.Inner + piece - 1) / piece;
        long groups = (plan.Rows + group - 1) / group;
        long work = groups * pieces;
        long grain = Math.Max(1, ElementLoop.Grain / ((long)piece * group));
        var st = new Tiling<TState>(plan, piece, pieces, group, state, body);
        if (work <= grain || threads <= 1) { Run(st, 0, work); return; }
        CpuParallel.For(work, threads, grain, st, static (s, w0, w1) => Run(s, w0, w1));
    }

    private sealed record Tiling<TState>(StridedPlan Plan, int Piece, long Pieces, int Group, TState State, Action<TState, long, long, int, int> Body);

    private static void Run<TState>(Tiling<TState> st, long w0, long w1)
    {
        for (long w = w0; w < w1; w++)
        {
            long g = w / st.Pieces;
            int j0 = (int)(w - g * st.Pieces) * st.Piece;
            int j1 = (int)Math.Min(st.Plan.Inner, (long)j0 + st.Piece);
            st.Body(st.State, g * st.Group, Math.Min(st.Plan.Rows, (g + 1) * st.Group), j0, j1);
        }
    }

    /// <summary>Copies columns [j0, j0 + len) of rows [r0, r0 + rows) of one operand into tile (row pitch
    /// <see cref="TileCols"/>). Rows that are adjacent in memory (a transposed view) are read 16 at a time.</summary>
    public static void Gather(StridedPlan plan, int operand, float* src, long r0, int rows, int j0, int len, float* tile)
    {
        long s = plan.InnerStride[operand];
        long o0 = plan.RowOffset(operand, r0);
        bool block = rows == 16 && Vector512.IsHardwareAccelerated;
        for (int r = 1; block && r < rows; r++) block = plan.RowOffset(operand, r0 + r) == o0 + r;
        if (block)
        {
            float* p = src + o0 + j0 * s;
            float* tmp = stackalloc float[16];
            for (int j = 0; j < len; j++)
            {
                Vector512.Store(Vector512.Load(p + j * s), tmp);
                for (int r = 0; r < 16; r++) tile[r * TileCols + j] = tmp[r];
            }
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            float* p = src + plan.RowOffset(operand, r0 + r) + j0 * s;
            float* t = tile + r * TileCols;
            for (int j = 0; j < len; j++) t[j] = p[j * s];
        }
    }
}
