using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Tessera.Cpu;

/// <summary>The persistent worker threads behind <see cref="CpuParallel"/>. A parallel loop hands its chunks to the
/// team; the calling thread takes chunks too, so a loop never waits for a worker that has not woken up yet: it waits
/// only for chunks a worker has already begun.
/// <para>Between loops the workers spin for a short while (<see cref="SpinTicks"/>) before they block, because a model
/// runs hundreds of parallel regions a few microseconds apart and waking a blocked thread costs tens of microseconds in
/// a virtual machine (more than many regions' work). <see cref="Rest"/> ends the spinning at once; the executors call
/// it when a run returns, so idle workers never compete with whatever the process does next.</para>
/// <para>One loop runs on the team at a time. A loop that finds the team busy (another thread's loop, which happens
/// when an application runs models from several threads) runs its chunks on its own thread.</para></summary>
internal static class CpuThreadTeam
{
    /// <summary>How long an idle worker spins, looking for the next loop, before it blocks: 200 µs.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000;

    private static readonly Lock Owner = new();
    private static readonly object Gate = new();
    private static Worker[] _workers = [];
    private static Job? _job;
    private static int _generation;
    private static int _active;
    private static int _sleepers;
    private static volatile bool _resting;

    /// <summary>Threads a loop may use at most: one per logical processor (spinning threads beyond that only take
    /// turns with each other).</summary>
    public static int MaxParticipants => Environment.ProcessorCount;

    /// <summary>Runs <paramref name="job"/>'s chunks on the calling thread and up to <paramref name="participants"/> − 1
    /// workers. Returns false, having run nothing, when another thread's loop holds the team.</summary>
    public static bool TryRun(Job job, int participants)
    {
        if (!Owner.TryEnter()) return false;
        try
        {
            EnsureWorkers(participants - 1);
            job.Participants = participants;
            _resting = false;
            Volatile.Write(ref _job, job);
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleepers) > 0)
                lock (Gate) Monitor.PulseAll(Gate);
            job.Work(0);
            // No chunk is left to claim. Close the job, then wait for the workers that joined it: a worker joins by
            // counting itself active and then checking the job is still published, so after the exchange below no
            // worker can begin a chunk of it.
            Interlocked.Exchange(ref _job, null);
            var spin = new SpinWait();
            while (Volatile.Read(ref _active) != 0) spin.SpinOnce(sleep1Threshold: -1);
            job.ThrowIfFailed();
            return true;
        }
        finally { Owner.Exit(); }
    }

    /// <summary>Stops the workers' spinning now: they block until the next loop.</summary>
    public static void Rest() => _resting = true;

    private static void EnsureWorkers(int count)
    {
        if (_workers.Length >= count) return;
        var grown = new Worker[count];
        Array.Copy(_workers, grown, _workers.Length);
        for (int i = _workers.Length; i < count; i++)
        {
            grown[i] = new Worker(i + 1);
            var thread = new Thread(grown[i].Loop) { IsBackground = true, Name = $"tessera-cpu-{i + 1}" };
            thread.UnsafeStart();
        }
        _workers = grown;
    }

    /// <summary>A loop's chunks. Each of the P participants owns a contiguous share of them (chunks [p·C/P,
    /// (p+1)·C/P)) and runs it in order; one that runs out takes the next unclaimed chunk of the others' shares. Loops
    /// over the same rows therefore give each thread the same rows every time while the threads keep pace, so the data
    /// one loop writes is read by the next on the core whose cache holds it; a thread that falls behind (not yet
    /// awake, or descheduled) has its chunks taken by the others.</summary>
    internal abstract class Job
    {
        /// <summary>Counter of participant p at [p · Stride]: one 128-byte line pair each, so claims do not share lines.</summary>
        private const int Stride = 16;
        private long[] _next = new long[Stride];
        private long _chunks;
        private int _participants;
        private ExceptionDispatchInfo? _failure;

        /// <summary>Threads taking part, the caller included; worker slots are 1 .. Participants − 1. Setting it deals
        /// the chunks out.</summary>
        public int Participants
        {
            get => _participants;
            set
            {
                _participants = value;
                if (_next.Length < value * Stride) _next = new long[value * Stride];
                for (int p = 0; p < value; p++) _next[p * Stride] = ShareStart(p);
            }
        }

        private long ShareStart(int p) => _chunks * p / _participants;

        /// <summary>Sets the number of chunks before the job is (re)used; <see cref="Participants"/> deals them.</summary>
        protected void Reset(long chunks)
        {
            _chunks = chunks;
            _failure = null;
        }

        /// <summary>Runs chunk <paramref name="chunk"/> as worker slot <paramref name="slot"/>.</summary>
        protected abstract void RunChunk(long chunk, int slot);

        /// <summary>Runs this participant's share, then any chunk left in the others' shares. A failing chunk stops the
        /// claiming; the first exception is rethrown on the caller.</summary>
        public void Work(int slot)
        {
            try
            {
                int parts = _participants;
                for (int i = 0; i < parts; i++)
                {
                    int p = (slot + i) % parts;
                    long end = ShareStart(p + 1), c;
                    while ((c = Interlocked.Increment(ref _next[p * Stride]) - 1) < end) RunChunk(c, slot);
                }
            }
            catch (Exception e)
            {
                for (int p = 0; p < _participants; p++) Interlocked.Exchange(ref _next[p * Stride], long.MaxValue / 2);
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            }
        }

        public void ThrowIfFailed() => _failure?.Throw();
    }

    private sealed class Worker(int slot)
    {
        public void Loop()
        {
            CpuParallel.MarkWorkerThread();
            int seen = Volatile.Read(ref _generation);
            while (true)
            {
                seen = WaitForGeneration(seen);
                Interlocked.Increment(ref _active);
                var job = Volatile.Read(ref _job);
                if (job is not null && slot < job.Participants) job.Work(slot);
                Interlocked.Decrement(ref _active);
            }
        }

        private static int WaitForGeneration(int seen)
        {
            long start = Stopwatch.GetTimestamp();
            int g;
            for (int i = 0; ; i++)
            {
                if ((g = Volatile.Read(ref _generation)) != seen) return g;
                Thread.SpinWait(8);
                if ((i & 63) == 63 && (_resting || Stopwatch.GetTimestamp() - start > SpinTicks)) break;
            }
            Interlocked.Increment(ref _sleepers);
            lock (Gate)
            {
                while ((g = Volatile.Read(ref _generation)) == seen) Monitor.Wait(Gate);
            }
            Interlocked.Decrement(ref _sleepers);
            return g;
        }
    }
}
