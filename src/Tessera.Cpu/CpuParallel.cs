namespace Tessera.Cpu;

/// <summary>Parallel loops over index ranges. Bodies receive a state object and a [begin, end) range; pass a static
/// lambda and the state explicitly so that no closure is allocated per call.</summary>
public static class CpuParallel
{
    [ThreadStatic] private static bool _inWorker;

    /// <summary>Runs body(state, begin, end) over [0, count) split into at most <paramref name="threads"/> ranges of at
    /// least <paramref name="grain"/> items. Runs in line for one thread, small counts, or nested calls.</summary>
    public static void For<TState>(long count, int threads, long grain, TState state, Action<TState, long, long> body)
    {
        if (count <= 0) return;
        grain = Math.Max(1, grain);
        long chunks = Math.Min(threads, (count + grain - 1) / grain);
        if (chunks <= 1 || _inWorker)
        {
            body(state, 0, count);
            return;
        }
        // More chunks than threads evens out uneven work; each chunk is still at least `grain` items.
        long tasks = Math.Min(chunks * 4, (count + grain - 1) / grain);
        var work = new ChunkedWork<TState>(count, tasks, state, body);
        Parallel.For(0, (int)tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, work.Run);
    }

    private sealed class ChunkedWork<TState>(long count, long tasks, TState state, Action<TState, long, long> body)
    {
        public void Run(int i)
        {
            long begin = count * i / tasks, end = count * (i + 1) / tasks;
            bool outer = _inWorker;
            _inWorker = true;
            try { body(state, begin, end); }
            finally { _inWorker = outer; }
        }
    }
}
