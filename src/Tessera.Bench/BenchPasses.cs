using Tessera.Bench.Statistics;

namespace Tessera.Bench;

/// <summary>Pools the passes of one bench run. A run with several passes measures every row once per pass (pass 1 all
/// rows, pass 2 all rows, …), so that a slow drift of the machine's speed lands on every row instead of on whichever rows
/// ran while it lasted; the passes of a row are then pooled: its samples are the union of every pass's samples (median,
/// quantiles and interval from them), and the median of each pass is kept (<see cref="TimeStats.PassMedians"/>), whose
/// spread is the between-pass variation that <c>bench compare</c> allows for. Ratios against baselines are judged again on
/// the pooled samples.</summary>
public static class BenchPasses
{
    /// <summary>Pools the reports of the passes (the same rows in the same order: the first report's header and row
    /// identities are kept). One report is returned unchanged.</summary>
    public static BenchReport Merge(IReadOnlyList<BenchReport> passes, double noiseLimitPct)
    {
        ArgumentNullException.ThrowIfNull(passes);
        if (passes.Count == 0) throw new TesseraArgumentException("BenchPasses.Merge", nameof(passes), "no passes");
        if (passes.Count == 1) return passes[0];
        var first = passes[0];
        var byKey = passes.Skip(1).Select(p => p.Rows.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.First())).ToList();
        var rows = new List<BenchRow>(first.Rows.Count);
        foreach (var r in first.Rows)
        {
            var all = new List<BenchRow> { r };
            foreach (var d in byKey)
                if (d.TryGetValue(r.Key, out var other)) all.Add(other);
            rows.Add(MergeRow(all, noiseLimitPct));
        }
        var last = passes[^1].Header;
        var header = first.Header with { Passes = passes.Sum(p => Math.Max(p.Header.Passes, 1)), LoadEnd = last.LoadEnd };
        return new BenchReport(header, rows);
    }

    /// <summary>The pooled measurement of a series' passes (null when no pass timed it), with its pass medians.</summary>
    public static (Measurement Pooled, TimeStats Stats)? Pool(IEnumerable<TimeStats?> passes)
    {
        var timed = passes.Where(t => t is { SamplesMs.Count: > 0 }).Select(t => t!).ToList();
        if (timed.Count == 0) return null;
        var m = BenchTimer.Summarise(timed.SelectMany(t => t.SamplesMs).ToArray(), timed[0].CallsPerSample);
        var medians = timed.SelectMany(t => t.PassMedians is { Count: > 0 } pm ? pm : [t.Median]).ToArray();
        return (m, TimeStats.From(m) with { PassMedians = medians.Length > 1 ? medians : null });
    }

    private static BenchRow MergeRow(List<BenchRow> passes, double noiseLimitPct)
    {
        var r = passes[0];
        if (Pool(passes.Select(p => p.Time)) is not var (ours, oursStats)) return r;
        var baselines = new List<BaselineResult>();
        foreach (var b in r.Baselines)
        {
            var same = passes.Select(p => p.Baselines.FirstOrDefault(x => x.Name == b.Name)).ToList();
            if (Pool(same.Select(x => x?.Stats)) is not var (theirs, theirStats))
            {
                baselines.Add(same.FirstOrDefault(x => x is { Missing: not null }) ?? b);
                continue;
            }
            // A ratio exists when the run judged one (Tessera's output verified); it is judged again on the pooled samples.
            var judged = b.Ratio is null ? null : RatioVerdict.Judge(ours, theirs, noiseLimitPct);
            baselines.Add(new BaselineResult(b.Name, theirs.MedianMs, judged?.Ratio, null)
            {
                Stats = theirStats, RatioLow = judged?.Low, RatioHigh = judged?.High, Verdict = judged?.Verdict,
            });
        }
        double scale = r.Time is { Median: > 0 } t0 ? t0.Median / ours.MedianMs : 1;
        var best = baselines.Where(b => b.TimeMs is not null).MinBy(b => b.TimeMs) ?? (baselines.Count > 0 ? baselines[0] : null);
        return r with
        {
            Time = oursStats, NoisePct = ours.NoisePct, Gflops = r.Gflops * scale, Gbps = r.Gbps * scale, RooflinePct = r.RooflinePct * scale,
            Baseline = best, Baselines = baselines, Verified = passes.All(p => p.Verified), Noisy = ours.CiPct > noiseLimitPct,
        };
    }
}
