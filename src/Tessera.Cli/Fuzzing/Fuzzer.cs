using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Tessera.Cli.Fuzzing;

/// <summary>
/// An in-process, structure-aware, outcome-guided fuzzer. From a fixed seed it runs every seed of a
/// <see cref="FuzzTarget"/>, then mutants of inputs drawn from its corpus; a mutant whose outcome is new — accepted
/// content of a new kind, or a refusal with a new exception type, operation and message shape (digits ignored) — joins
/// the corpus, so the run digs into the checks behind the ones it has passed. Every input must be accepted or refused
/// with a <see cref="TesseraException"/>; anything else is a crash, an input that runs past the hang limit a hang, and
/// one after which the target's device holds more bytes than before a leak. Runs are deterministic for a seed
/// (timing decides only what is called a hang).
/// </summary>
internal static partial class Fuzzer
{
    /// <summary>Most inputs the corpus grows to (seeds included).</summary>
    public const int MaxCorpus = 4096;

    /// <summary>Runs <paramref name="inputs"/> inputs (the seeds first) against <paramref name="target"/>.</summary>
    /// <param name="progress">Hears a line of figures every <paramref name="progressEvery"/> inputs (null: silent).</param>
    public static FuzzReport Run(FuzzTarget target, long inputs, int seed, TimeSpan hangAfter, Action<string>? progress = null, long progressEvery = 100_000)
    {
        var rng = new Random(seed);
        var corpus = new List<byte[]>(target.Seeds);
        if (corpus.Count == 0) throw new TesseraArgumentException("fuzz", "seeds", $"target '{target.Name}' has no seeds");
        var outcomes = new HashSet<string>(StringComparer.Ordinal);
        var failures = new Dictionary<string, FuzzFailure>(StringComparer.Ordinal);
        long accepted = 0, refused = 0, peakManaged = 0;
        double slowest = 0;
        var total = Stopwatch.StartNew();
        for (long i = 0; i < inputs; i++)
        {
            byte[] input = i < target.Seeds.Count ? target.Seeds[(int)i] : target.Mutate(corpus[rng.Next(corpus.Count)], rng);
            long leasedBefore = target.LeasedBytes;
            var clock = Stopwatch.StartNew();
            string outcome;
            FuzzFailure? failure = null;
            try
            {
                outcome = "accepted " + target.Execute(input);
                accepted++;
            }
            catch (TesseraException e)
            {
                string shape = Digits().Replace(e.Message, "#");
                outcome = $"refused {e.GetType().Name} {shape[..Math.Min(shape.Length, 120)]}";
                refused++;
            }
            catch (Exception e)
            {
                // The first frame and the innermost frame in Tessera's own code name where the defect is.
                var frames = (e.StackTrace ?? "").Split('\n').Select(f => f.Trim()).ToArray();
                string frame = string.Join(" ← ", frames.Take(1).Concat(frames.Skip(1).Where(f => f.StartsWith("at Tessera.", StringComparison.Ordinal)).Take(1)));
                outcome = $"crash {e.GetType().Name} {frame}";
                failure = new FuzzFailure("crash", outcome, $"{e.GetType().Name}: {e.Message} {frame}", input);
            }
            double seconds = clock.Elapsed.TotalSeconds;
            slowest = Math.Max(slowest, seconds);
            if (seconds > hangAfter.TotalSeconds)
                failure ??= new FuzzFailure("hang", "hang " + outcome, $"{seconds:F1} s: {outcome}", input);
            long leasedAfter = target.LeasedBytes;
            if (leasedAfter > leasedBefore)
                failure ??= new FuzzFailure("leak", "leak " + outcome, $"{leasedAfter - leasedBefore} bytes still leased after: {outcome}", input);
            if (failure is not null)
            {
                if (failures.TryGetValue(failure.Signature, out var seen)) seen.Count++;
                else failures[failure.Signature] = failure;
            }
            if (outcomes.Add(outcome) && i >= target.Seeds.Count && corpus.Count < MaxCorpus) corpus.Add(input);
            if ((i & 255) == 0) peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
            if (progress is not null && (i + 1) % progressEvery == 0)
                progress($"{target.Name}: {i + 1} inputs, {total.Elapsed.TotalSeconds:F0} s, {failures.Values.Sum(f => f.Count)} failures, corpus {corpus.Count}");
        }
        peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
        using var process = Process.GetCurrentProcess();
        return new FuzzReport(target.Name, seed, inputs, accepted, refused, outcomes.Count, corpus.Count, [.. failures.Values],
            total.Elapsed.TotalSeconds, slowest, process.PeakWorkingSet64, peakManaged);
    }

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();
}
