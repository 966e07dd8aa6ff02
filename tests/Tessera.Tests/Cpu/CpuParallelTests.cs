using Tessera.Kernels;
using Tessera.Cpu;
using Tessera.Tests.Support;

namespace Tessera.Tests.Cpu;

/// <summary><see cref="CpuParallel"/> on its worker team (<see cref="CpuThreadTeam"/>): every index runs once, a slot is
/// held by one body at a time, failures reach the caller, nested and concurrent loops run, and resting workers wake.</summary>
public class CpuParallelTests
{
    /// <summary>Runs a loop and checks that [0, count) is covered exactly once and that no two bodies overlapping in time
    /// hold the same slot, which is in [0, Slots).</summary>
    private static void CheckLoop(long count, int threads, long grain)
    {
        var hits = new int[count];
        int slots = CpuParallel.Slots(count, threads, grain);
        var held = new int[Math.Max(slots, 1)];
        int clashes = 0, outOfRange = 0;
        CpuParallel.ForSlots(count, threads, grain, 0, (_, b, e, slot) =>
        {
            if (slot < 0 || slot >= held.Length) { Interlocked.Increment(ref outOfRange); return; }
            if (Interlocked.Exchange(ref held[slot], 1) != 0) Interlocked.Increment(ref clashes);
            for (long i = b; i < e; i++) Interlocked.Increment(ref hits[i]);
            Thread.SpinWait(200);
            Volatile.Write(ref held[slot], 0);
        });
        Assert.Equal(0, outOfRange);
        Assert.Equal(0, clashes);
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Theory]
    [InlineData(1000L, 2, 7L)]
    [InlineData(1000L, 4, 1L)]
    [InlineData(3L, 8, 1L)]
    [InlineData(100_003L, 3, 1000L)]
    [InlineData(5L, 2, 10L)]
    public void EveryIndexRunsOnceAndSlotsAreExclusive(long count, int threads, long grain)
    {
        for (int rep = 0; rep < 20; rep++) CheckLoop(count, threads, grain);
    }

    [Fact]
    public void AFailingChunkThrowsOnTheCallerAndTheTeamKeepsWorking()
    {
        for (int rep = 0; rep < 10; rep++)
        {
            // The last chunk fails: with two or more threads it is a worker's share.
            var e = Assert.Throws<InvalidOperationException>(() =>
                CpuParallel.For(64, 4, 1, 0, (_, b, end) => { if (end == 64) throw new InvalidOperationException("chunk failed"); }));
            Assert.Equal("chunk failed", e.Message);
            CheckLoop(512, 4, 1);
        }
    }

    [Fact]
    public void NestedLoopsRunInLine()
    {
        long total = 0;
        CpuParallel.For(16, 4, 1, 0, (_, b, e) =>
        {
            for (long i = b; i < e; i++)
                CpuParallel.For(100, 4, 1, i, (row, b2, e2) => Interlocked.Add(ref total, (e2 - b2) * (row + 1)));
        });
        Assert.Equal(100L * Enumerable.Range(1, 16).Sum(), total);
    }

    [Fact]
    public void LoopsFromSeveralThreadsAtOnceAreAllCorrect()
    {
        // One loop holds the team at a time; the others run theirs on their own threads.
        Exception? failure = null;
        var callers = Enumerable.Range(0, 4).Select(c => new Thread(() =>
        {
            try { for (int rep = 0; rep < 200; rep++) CheckLoop(257 + c, 2 + c % 3, 3); }
            catch (Exception e) { Interlocked.CompareExchange(ref failure, e, null); }
        })).ToArray();
        foreach (var t in callers) t.Start();
        foreach (var t in callers) t.Join();
        Assert.Null(failure);
    }

    [Fact]
    public void RestingWorkersWakeForTheNextLoop()
    {
        for (int rep = 0; rep < 5; rep++)
        {
            CpuParallel.Rest();
            Thread.Sleep(2);   // past the spin: the workers block
            CheckLoop(1000, 2, 1);
        }
    }

    [Fact]
    public void WinogradOnOneImageGivesTheSameBitsOnAnyThreadCount()
    {
        // One thread runs the tiles in chunks; several run them in phases (transforms by tiles, products by weight
        // panel and ξ) or in small chunks. The same products in the same order: the same bits. 7×7 takes F(2×2), 20×20
        // F(4×4); 200 and 400 outputs end in a part panel.
        foreach (var (h, c, o) in new[] { (7, 160, 200), (7, 64, 400), (20, 48, 96) })
        {
            Assert.True(Tessera.Cpu.Kernels.Conv.WinogradConv.Applies(new(h, h, 3, 3, h, h, 1, 1, 1, 1, 1, 1), c, o, 1));
            var x = Rand.Uniform(1, [1, c, h, h]);
            var w = Rand.Uniform(2, [o, c, 3, 3]);
            var bias = Rand.Uniform(3, [o]);
            float[] Run(int threads)
            {
                using var dev = new CpuDevice { Threads = threads };
                using var tx = x.ToDevice(dev);
                using var tw = w.ToDevice(dev);
                using var tb = bias.ToDevice(dev);
                using var y = Ops.Conv2d(tx, tw, tb, Conv2dParams.Square(1, 1));
                return y.ToArray<float>();
            }
            var one = Run(1);
            Assert.Equal(one, Run(2));
            Assert.Equal(one, Run(3));
        }
    }
}
