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
        long tasks = Math.Min((long)slots * 4, (count + grain - 1) / grain);
        var work = new ChunkedWork<TState>(count, tasks, slots, state, body);
        Parallel.For(0, (int)tasks, new ParallelOptions { MaxDegreeOfParallelism = slots }, work.Run);
    }

    private sealed class ChunkedWork<TState>(long count, long tasks, int slots, TState state, Action<TState, long, long, int> body)
    {
        private readonly int[] _busy = new int[slots];

        public void Run(int i)
        {
            long begin = count * i / tasks, end = count * (i + 1) / tasks;
            int slot = Acquire();
            bool outer = _inWorker;
            _inWorker = true;
            try { body(state, begin, end, slot); }
            finally
            {
                _inWorker = outer;
                Volatile.Write(ref _busy[slot], 0);
            }
        }

        private int Acquire()
        {
            // At most `slots` bodies run at once (MaxDegreeOfParallelism), so a free slot always exists.
            while (true)
                for (int s = 0; s < _busy.Length; s++)
                    if (Interlocked.CompareExchange(ref _busy[s], 1, 0) == 0) return s;
        }
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
