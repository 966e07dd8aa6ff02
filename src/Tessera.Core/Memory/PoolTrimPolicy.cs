namespace Tessera.Memory;

/// <summary>
/// When a <see cref="SizeClassPool"/> gives cached blocks back to the system. High water: before a cache miss takes
/// the pool's reserved bytes (leased plus cached) above <see cref="HighWaterFactor"/> × its peak of leased bytes (and
/// above <see cref="MinHighWaterBytes"/>), the least recently returned cached blocks are freed until the new block fits
/// under the mark — so a working set that changes from phase to phase does not leave the blocks of every past phase
/// reserved. Idle: with <see cref="IdleTime"/> set, a cached block unused for that long is freed at the pool's next
/// operation. A steady loop, which reuses its blocks, never misses and is never trimmed. What was trimmed is reported in
/// <see cref="Devices.MemoryPoolStats.Trims"/> and <see cref="Devices.MemoryPoolStats.TrimmedBytes"/>.
/// </summary>
public sealed record PoolTrimPolicy
{
    /// <summary>The policy new pools start with: high water at twice the peak (at least 64 MiB), no idle trimming.</summary>
    public static PoolTrimPolicy Default { get; } = new();

    /// <summary>Never trims: the cache only shrinks on <see cref="SizeClassPool.ReleaseCached"/> (or out of memory).</summary>
    public static PoolTrimPolicy Never { get; } = new() { HighWaterFactor = double.PositiveInfinity };

    /// <summary>Reserved bytes kept at most, as a multiple of the peak of leased bytes (≥ 1; infinity: no high water).</summary>
    public double HighWaterFactor { get; init; } = 2;

    /// <summary>The high-water mark is never below this many bytes (small pools keep their cache).</summary>
    public long MinHighWaterBytes { get; init; } = 64L << 20;

    /// <summary>Cached blocks unused for this long are freed at the pool's next operation; null: never.</summary>
    public TimeSpan? IdleTime { get; init; }

    /// <summary>The high-water mark for a pool whose peak of leased bytes is <paramref name="peakBytes"/>.</summary>
    public long HighWater(long peakBytes)
    {
        if (double.IsPositiveInfinity(HighWaterFactor)) return long.MaxValue;
        double mark = HighWaterFactor * peakBytes;
        return mark >= long.MaxValue ? long.MaxValue : Math.Max(MinHighWaterBytes, (long)mark);
    }

    internal void Validate(string op)
    {
        if (!(HighWaterFactor >= 1)) throw new TesseraArgumentException(op, nameof(HighWaterFactor), $"must be at least 1, got {HighWaterFactor}");
        if (MinHighWaterBytes < 0) throw new TesseraArgumentException(op, nameof(MinHighWaterBytes), $"must be non-negative, got {MinHighWaterBytes}");
        if (IdleTime is { } t && t <= TimeSpan.Zero) throw new TesseraArgumentException(op, nameof(IdleTime), $"must be positive, got {t}");
    }
}
