namespace Tessera.Cpu;

/// <summary>Parallel loops over index ranges. Bodies receive a state object and a [begin, end) range; pass a static
/// lambda and the state explicitly so that no closure is allocated per call.</summary>
internal static class CpuParallel
{
    [ThreadStatic] private static bool _inWorker;

    /// <summary>Runs body(state, begin, end) over [0, count) split into at most <paramref name="threads"/> ranges of at
    /// least <paramref name="grain"/> items. Runs in line for one thread, small counts, or nested calls.</summary>
    public static void For<TState>(long count, int threads, long grain, TState state, Action<TState, long, long> body) =>
        ForSlots(count, threads, grain, (state, body), static (s, b, e, _) => s.body(s.state, b, e));

    /// <summary>How many bodies <see cref="ForSlots{TState}"/> may run at once for these arguments: the number of
    /// per-worker scratch slots a caller must prepare (1 when the loop runs in line).</summary>
    public static int Slots(long count, int threads, long grain)
    {
        if (count <= 0) return 0;
        grain = Math.Max(1, grain);
        long chunks = Math.Min(threads, (count + grain - 1) / grain);
        return chunks <= 1 || _inWorker ? 1 : (int)chunks;
    }

    /// <summary>Like <see cref="For{TState}"/>, and each body also receives a slot in [0, <see cref="Slots"/>) that no
    /// other body holds at the same time: callers lease per-slot scratch before the loop, so the number of leases
    /// never depends on how the bodies happen to overlap in time.</summary>
    public static void ForSlots<TState>(long count, int threads, long grain, TState state, Action<TState, long, long, int> body)
    {
        int slots = Slots(count, threads, grain);
        if (slots == 0) return;
        if (slots == 1)
        {
            body(state, 0, count, 0);
            return;
        }
        grain = Math.Max(1, grain);
        // More chunks than threads evens out uneven work; each chunk is still at least `grain` items.
        long chunks = Math.Min((long)slots * 4, (count + grain - 1) / grain);
        var job = ChunkedJob<TState>.ForThisThread();
        job.Set(count, chunks, state, body);
        try
        {
            _inWorker = true;
            if (!CpuThreadTeam.TryRun(job, Math.Min(slots, CpuThreadTeam.MaxParticipants)))
            {
                // Another thread's loop holds the team: run the same chunks here, as slot 0.
                job.Participants = 1;
                job.Work(0);
                job.ThrowIfFailed();
            }
        }
        finally
        {
            _inWorker = false;
            job.Clear();
        }
    }

    /// <summary>Stops the worker threads' spinning until the next parallel loop (see <see cref="CpuThreadTeam"/>).</summary>
    public static void Rest() => CpuThreadTeam.Rest();

    /// <summary>Marks the calling thread as a worker: loops it starts run in line.</summary>
    internal static void MarkWorkerThread() => _inWorker = true;

    /// <summary>A loop over [0, count) in `chunks` equal ranges. One instance per calling thread and state type is
    /// reused (a loop's bodies run in line on workers, so a thread has at most one loop of a state type running),
    /// and a loop allocates nothing.</summary>
    private sealed class ChunkedJob<TState> : CpuThreadTeam.Job
    {
        [ThreadStatic] private static ChunkedJob<TState>? _mine;
        private long _count, _chunks;
        private TState _state = default!;
        private Action<TState, long, long, int> _body = null!;

        public static ChunkedJob<TState> ForThisThread() => _mine ??= new ChunkedJob<TState>();

        public void Set(long count, long chunks, TState state, Action<TState, long, long, int> body)
        {
            _count = count;
            _chunks = chunks;
            _state = state;
            _body = body;
            Reset(chunks);
        }

        public void Clear()
        {
            _state = default!;
            _body = null!;
        }

        protected override void RunChunk(long chunk, int slot) =>
            _body(_state, _count * chunk / _chunks, _count * (chunk + 1) / _chunks, slot);
    }
}

/// <summary>One scratch buffer per worker slot of a <see cref="CpuParallel.ForSlots{TState}"/> loop, leased in order
/// before the loop and returned after it, so the pool sees the same leases whatever the workers' timing: a body that
/// leased its own buffer took one or two from the pool depending on whether the workers overlapped, and a later step
/// that overlapped where the warm-up had not allocated anew.</summary>
internal sealed unsafe class SlotScratch : IDisposable
{
    private readonly Tessera.Devices.DeviceBuffer[] _buffers;

    /// <param name="pool">Where the buffers come from.</param>
    /// <param name="slots">The loop's <see cref="CpuParallel.Slots"/>.</param>
    /// <param name="bytes">Bytes of each buffer.</param>
    public SlotScratch(CpuMemoryPool pool, int slots, long bytes)
    {
        _buffers = new Tessera.Devices.DeviceBuffer[Math.Max(slots, 1)];
        for (int s = 0; s < _buffers.Length; s++) _buffers[s] = pool.Rent(Math.Max(bytes, 1));
    }

    /// <summary>The buffer of worker slot <paramref name="slot"/>.</summary>
    public float* this[int slot] => (float*)_buffers[slot].Handle;

    /// <summary>The buffer of worker slot <paramref name="slot"/> itself.</summary>
    public Tessera.Devices.DeviceBuffer Buffer(int slot) => _buffers[slot];

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
    }
}
