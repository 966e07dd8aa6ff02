namespace Tessera.Bench;

/// <summary>How much of N cores the machine gives right now: FMA throughput and copy bandwidth on N threads as multiples
/// of one thread's, measured in about a tenth of a second. On a shared virtual machine the second vCPU is often not a
/// full core for seconds at a time, so a multi-thread timing is read together with a probe taken next to it.</summary>
/// <param name="Threads">Threads probed.</param>
/// <param name="FmaScaling">FMA GFLOP/s on <paramref name="Threads"/> threads ÷ on one (ideal: Threads).</param>
/// <param name="CopyScaling">Copy GB/s (32 MiB per thread) on <paramref name="Threads"/> threads ÷ on one.</param>
public sealed record ContentionProbe(int Threads, double FmaScaling, double CopyScaling)
{
    /// <summary>Probes <paramref name="threads"/> threads against one.</summary>
    public static ContentionProbe Measure(int threads)
    {
        const long iters = MachineCeilings.QuickProbeIterations;
        double fma1 = MachineCeilings.MeasurePeakGflops(1, iters), fmaN = MachineCeilings.MeasurePeakGflops(threads, iters);
        double copy1 = MachineCeilings.CopyBandwidth(1, 32L << 20).Copy, copyN = MachineCeilings.CopyBandwidth(threads, threads * (32L << 20)).Copy;
        return new ContentionProbe(threads, fmaN / fma1, copyN / copy1);
    }

    /// <summary>One line: "FMA ×1.98, copy ×1.31 of one thread".</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Threads} threads: FMA ×{FmaScaling:0.00}, copy ×{CopyScaling:0.00} of one thread");
}
