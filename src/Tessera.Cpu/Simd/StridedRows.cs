namespace Tessera.Cpu.Simd;

/// <summary>Parallel iteration over the rows of a <see cref="StridedPlan"/>. Long rows are cut into pieces so that a
/// single long row (a scalar broadcast over a big tensor) still spreads over the threads.</summary>
public static class StridedRows
{
    private const int Piece = 32768;

    /// <summary>Calls body(state, row, j0, j1) for every row and every piece [j0, j1) of its inner range.</summary>
    public static void For<TState>(StridedPlan plan, int threads, TState state, Action<TState, long, int, int> body)
    {
        if (plan.Rows == 0 || plan.Inner == 0) return;
        int piece = plan.Inner <= 2 * Piece ? plan.Inner : Piece;
        long pieces = (plan.Inner + piece - 1) / piece;
        long work = plan.Rows * pieces;
        long grain = Math.Max(1, ElementLoop.Grain / piece);
        if (work <= grain || threads <= 1)
        {
            Run((plan, piece, pieces, state, body), 0, work);
            return;
        }
        CpuParallel.For(work, threads, grain, (plan, piece, pieces, state, body), static (st, w0, w1) => Run(st, w0, w1));
    }

    private static void Run<TState>((StridedPlan Plan, int Piece, long Pieces, TState State, Action<TState, long, int, int> Body) st, long w0, long w1)
    {
        for (long w = w0; w < w1; w++)
        {
            long row = w / st.Pieces;
            int j0 = (int)(w - row * st.Pieces) * st.Piece;
            int j1 = (int)Math.Min(st.Plan.Inner, (long)j0 + st.Piece);
            st.Body(st.State, row, j0, j1);
        }
    }
}
