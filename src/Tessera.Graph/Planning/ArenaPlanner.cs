namespace Tessera.Graph.Planning;

/// <summary>A buffer to place in an arena: its size and the span of schedule steps during which it must stay intact
/// (from the step that writes it to the last step that reads it, inclusive).</summary>
public readonly record struct BufferLifetime(long Bytes, int FirstStep, int LastStep);

/// <summary>The placement of every buffer: byte offsets into one arena of <see cref="ArenaBytes"/>.</summary>
public sealed record ArenaPlan(long[] Offsets, long ArenaBytes, long NaiveBytes)
{
    /// <summary>Arena size as a fraction of giving every buffer its own memory.</summary>
    public double Ratio => NaiveBytes == 0 ? 0 : (double)ArenaBytes / NaiveBytes;
}

/// <summary>Assigns arena offsets so that buffers whose lifetimes overlap never share bytes (ggml-alloc / TFLite's
/// greedy-by-size planner): buffers are placed largest first; each goes into the smallest gap between the already placed
/// buffers alive at the same time that holds it (best fit), or after the highest of them when no gap does.</summary>
public static class ArenaPlanner
{
    /// <summary>The default alignment of every offset, in bytes (a cache line, and every vector width).</summary>
    public const int DefaultAlignment = 64;

    /// <summary>Places <paramref name="buffers"/> in one arena so that buffers alive at the same time do not overlap, each offset a multiple of <paramref name="alignment"/>.</summary>
    public static ArenaPlan Plan(IReadOnlyList<BufferLifetime> buffers, int alignment = DefaultAlignment)
    {
        const string op = "ArenaPlanner.Plan";
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
            throw new TesseraArgumentException(op, nameof(alignment), $"must be a power of two, got {alignment}");
        int n = buffers.Count;
        var offsets = new long[n];
        long naive = 0;
        for (int i = 0; i < n; i++)
        {
            var b = buffers[i];
            if (b.Bytes < 0) throw new TesseraArgumentException(op, $"buffers[{i}]", $"negative size {b.Bytes}");
            if (b.LastStep < b.FirstStep) throw new TesseraArgumentException(op, $"buffers[{i}]", $"last step {b.LastStep} precedes first step {b.FirstStep}");
            naive += Align(b.Bytes, alignment);
        }
        var order = Enumerable.Range(0, n)
            .OrderByDescending(i => buffers[i].Bytes)
            .ThenBy(i => buffers[i].FirstStep)
            .ThenBy(i => i)
            .ToArray();
        var placed = new List<int>(n);
        var live = new List<(long Start, long End)>();
        long arena = 0;
        foreach (int i in order)
        {
            var b = buffers[i];
            long size = Align(b.Bytes, alignment);
            live.Clear();
            foreach (int j in placed)
            {
                var o = buffers[j];
                if (o.FirstStep <= b.LastStep && b.FirstStep <= o.LastStep && o.Bytes > 0)
                    live.Add((offsets[j], offsets[j] + Align(o.Bytes, alignment)));
            }
            live.Sort((x, y) => x.Start.CompareTo(y.Start));
            // Best fit: the smallest gap that holds the buffer; otherwise after the highest live buffer.
            long best = -1, bestGap = long.MaxValue, cursor = 0;
            foreach (var (start, end) in live)
            {
                long gap = start - cursor;
                if (gap >= size && gap < bestGap) { best = cursor; bestGap = gap; }
                cursor = Math.Max(cursor, end);
            }
            offsets[i] = best >= 0 ? best : cursor;
            arena = Math.Max(arena, offsets[i] + size);
            placed.Add(i);
        }
        return new ArenaPlan(offsets, arena, naive);
    }

    /// <summary><paramref name="bytes"/> rounded up to a multiple of <paramref name="alignment"/>.</summary>
    public static long Align(long bytes, int alignment) => (bytes + alignment - 1) / alignment * alignment;
}
