namespace Tessera.Cpu.Simd;

/// <summary>Parallel iteration over the rows of a <see cref="StridedPlan"/>. Long rows are cut into pieces so that a
/// single long row (a scalar broadcast over a big tensor) still spreads over the threads. When an operand is gathered
/// with a large inner stride (a transposed view), rows are visited in tiles — 16 rows × 256 columns — so that the
/// cache lines and pages one row touches are reused by the next rows instead of being evicted.</summary>
public static class StridedRows
{
    private const int Piece = 32768;
    private const int TileRows = 16, TileCols = 256;

    /// <summary>Calls body(state, row, j0, j1) for every row and every piece [j0, j1) of its inner range.</summary>
    public static void For<TState>(StridedPlan plan, int threads, TState state, Action<TState, long, int, int> body)
    {
        if (plan.Rows == 0 || plan.Inner == 0) return;
        bool gather = false;
        foreach (var s in plan.InnerStride) gather |= s is not (0 or 1);
        int piece, group;
        if (gather && plan.Rows > 1) { piece = Math.Min(plan.Inner, TileCols); group = TileRows; }
        else { piece = plan.Inner <= 2 * Piece ? plan.Inner : Piece; group = 1; }
        long pieces = (plan.Inner + piece - 1) / piece;
        long groups = (plan.Rows + group - 1) / group;
        long work = groups * pieces;
        long grain = Math.Max(1, ElementLoop.Grain / ((long)piece * group));
        var st = new Tiling<TState>(plan, piece, pieces, group, state, body);
        if (work <= grain || threads <= 1) { Run(st, 0, work); return; }
        CpuParallel.For(work, threads, grain, st, static (s, w0, w1) => Run(s, w0, w1));
    }

    private sealed record Tiling<TState>(StridedPlan Plan, int Piece, long Pieces, int Group, TState State, Action<TState, long, int, int> Body);

    private static void Run<TState>(Tiling<TState> st, long w0, long w1)
    {
        for (long w = w0; w < w1; w++)
        {
            long g = w / st.Pieces;
            int j0 = (int)(w - g * st.Pieces) * st.Piece;
            int j1 = (int)Math.Min(st.Plan.Inner, (long)j0 + st.Piece);
            long r1 = Math.Min(st.Plan.Rows, (g + 1) * st.Group);
            for (long r = g * st.Group; r < r1; r++) st.Body(st.State, r, j0, j1);
        }
    }
}
