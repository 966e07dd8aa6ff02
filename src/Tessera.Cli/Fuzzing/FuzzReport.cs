namespace Tessera.Cli.Fuzzing;

/// <summary>An input that broke the property: <see cref="Kind"/> is "crash" (an exception other than a Tessera error),
/// "hang" (it ran longer than the fuzzer's limit) or "leak" (the target's device held more bytes after it than before);
/// <see cref="Count"/> inputs had the same <see cref="Signature"/>, <see cref="Input"/> is the first of them.</summary>
internal sealed record FuzzFailure(string Kind, string Signature, string Detail, byte[] Input)
{
    public int Count { get; set; } = 1;
}

/// <summary>The figures of one fuzz run of one target: inputs tried (seeds included), accepted and refused, the
/// corpus it grew (seeds plus every mutant with a new outcome), the failures, the wall time, the slowest input, and
/// the process's peak resident and managed memory.</summary>
internal sealed record FuzzReport(
    string Target, int Seed, long Inputs, long Accepted, long Refused, int Outcomes, int CorpusSize,
    IReadOnlyList<FuzzFailure> Failures, double Seconds, double SlowestSeconds, long PeakRssBytes, long PeakManagedBytes)
{
    /// <summary>Inputs that broke the property, all signatures together.</summary>
    public long FailureCount => Failures.Sum(f => (long)f.Count);

    /// <summary>One line of figures.</summary>
    public string Describe() =>
        $"{Target}: {Inputs} inputs (seed {Seed}) in {Seconds:F1} s, {Accepted} accepted, {Refused} refused with a Tessera error, " +
        $"{Outcomes} distinct outcomes, corpus {CorpusSize}; crashes {Count("crash")}, hangs {Count("hang")}, leaks {Count("leak")}; " +
        $"slowest input {SlowestSeconds * 1000:F0} ms, peak RSS {PeakRssBytes >> 20} MiB, peak managed heap {PeakManagedBytes >> 20} MiB";

    private long Count(string kind) => Failures.Where(f => f.Kind == kind).Sum(f => (long)f.Count);
}
