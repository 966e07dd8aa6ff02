using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;

namespace Tessera.Bench;

/// <summary>Measured limits of the host: peak fp32 FLOP/s from an FMA loop and memory bandwidth from large copies
/// (with ordinary and non-temporal stores). Measured once per machine and cached as JSON.</summary>
public sealed record MachineCeilings(
    string Machine, int Threads, double PeakGflopsOneThread, double PeakGflops,
    double CopyGBps, double CopyNonTemporalGBps, DateTime MeasuredUtc)
{
    /// <summary>Bandwidth used for the roofline: the best copy rate measured.</summary>
    public double BandwidthGBps => Math.Max(CopyGBps, CopyNonTemporalGBps);

    /// <summary>Lowest possible time for an op moving <paramref name="bytes"/> and doing <paramref name="flops"/>.</summary>
    public double FloorMs(double flops, double bytes, bool singleThread = false)
    {
        double peak = singleThread ? PeakGflopsOneThread : PeakGflops;
        return Math.Max(flops / (peak * 1e6), bytes / (BandwidthGBps * 1e6));
    }

    /// <summary>How long cached ceilings are trusted: a virtual machine keeps its name when it moves to another host
    /// or its neighbours change, and one slow minute would otherwise set every later run's roofline.</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromHours(6);

    /// <summary>A cached peak that a quick probe now beats by this factor was measured in a slow minute (this VM once
    /// cached 87 GFLOP/s for a core that does 231) and is measured again.</summary>
    public const double SlowMeasurementFactor = 1.25;

    /// <summary>FMA loop iterations of a quick probe (about 2 ms a run): the cache check and <see cref="ContentionProbe"/>.</summary>
    internal const long QuickProbeIterations = 1_000_000;

    /// <summary>Cached ceilings for this machine and thread count, measured now when absent, older than
    /// <see cref="CacheLifetime"/>, or slower than a quick probe shows the machine to be now
    /// (<see cref="SlowMeasurementFactor"/>). The cache is keyed by the processor's CPUID signature too (family, model,
    /// stepping): "AMD EPYC" names Zen 4 and Zen 5 hosts alike.</summary>
    public static MachineCeilings LoadOrMeasure(int threads, string machine, string? cacheDir = null)
    {
        cacheDir ??= Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "tessera");
        string key = $"{machine}|{threads}|{Environment.ProcessorCount}|{Vector512.IsHardwareAccelerated}|{CpuSignature():x8}";
        string file = Path.Combine(cacheDir, $"ceilings-{StableHash(key):x8}.json");
        try
        {
            if (File.Exists(file))
            {
                var cached = JsonSerializer.Deserialize<MachineCeilings>(File.ReadAllText(file));
                if (cached is not null && cached.Machine == machine && cached.Threads == threads
                    && DateTime.UtcNow - cached.MeasuredUtc < CacheLifetime && cached.MeasuredUtc <= DateTime.UtcNow.AddMinutes(5)
                    && MeasurePeakGflops(1, QuickProbeIterations, reps: 2) < cached.PeakGflopsOneThread * SlowMeasurementFactor)
                    return cached;
            }
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { }
        var measured = Measure(threads, machine);
        try
        {
            Directory.CreateDirectory(cacheDir);
            string tmp = file + ".tmp";
            File.WriteAllText(tmp, JsonSerializer.Serialize(measured));
            File.Move(tmp, file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return measured;
    }

    /// <summary>CPUID leaf 1's EAX (family, model, stepping), or 0 off x86.</summary>
    private static int CpuSignature() => X86Base.IsSupported ? X86Base.CpuId(1, 0).Eax : 0;

    private static uint StableHash(string s)
    {
        uint h = 2166136261;
        foreach (char c in s) { h ^= c; h *= 16777619; }
        return h;
    }

    /// <summary>Measures the machine's peak compute and memory bandwidth with <paramref name="threads"/> threads, now (<see cref="LoadOrMeasure"/> caches the result); <paramref name="machine"/> names the machine in the result.</summary>
    public static MachineCeilings Measure(int threads, string machine)
    {
        double one = MeasurePeakGflops(1);
        double all = threads > 1 ? MeasurePeakGflops(threads) : one;
        var (copy, nt) = CopyBandwidth(threads);
        return new MachineCeilings(machine, threads, one, all, copy, nt, DateTime.UtcNow);
    }

    /// <summary>GFLOP/s of independent FMA chains (enough accumulators to cover the FMA latency), best of <paramref name="reps"/> runs.</summary>
    public static double MeasurePeakGflops(int threads, long iters = 4_000_000, int reps = 5)
    {
        double best = 0;
        for (int rep = 0; rep < reps; rep++)
        {
            var sw = Stopwatch.StartNew();
            double flopsPerIter = 0;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => flopsPerIter = FmaLoop(iters));
            double sec = sw.Elapsed.TotalSeconds;
            best = Math.Max(best, flopsPerIter * iters * threads / sec / 1e9);
        }
        return best;
    }

    /// <summary>FLOPs one iteration of the widest FMA loop does; runs <paramref name="iters"/> iterations of it.</summary>
    private static double FmaLoop(long iters)
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported) { Sink = Fma512(iters); return 12 * 16 * 2; }
        if (Fma.IsSupported) { Sink = Fma256(iters); return 12 * 8 * 2; }
        Sink = FmaScalar(iters);
        return 8;
    }

    // Each loop is fully optimised from its first call and makes no call after its loop. A probe runs a few times
    // only, so it would otherwise run as on-stack-replacement code, which keeps the accumulators in the frame; and
    // accumulators live across a call (the static sink's class-init helper) were spilled at every definition. Either
    // way each FMA stored its accumulator every iteration, which Intel cores pay for in store throughput: 23-96 GFLOP/s
    // measured on a core whose SGEMM does 220.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Fma512(long iters)
    {
        var a0 = Vector512.Create(1f); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
        var a8 = a0; var a9 = a0; var a10 = a0; var a11 = a0;
        var m = Vector512.Create(0.9999999f); var c = Vector512.Create(1e-7f);
        for (long i = 0; i < iters; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, m, c); a1 = Avx512F.FusedMultiplyAdd(a1, m, c);
            a2 = Avx512F.FusedMultiplyAdd(a2, m, c); a3 = Avx512F.FusedMultiplyAdd(a3, m, c);
            a4 = Avx512F.FusedMultiplyAdd(a4, m, c); a5 = Avx512F.FusedMultiplyAdd(a5, m, c);
            a6 = Avx512F.FusedMultiplyAdd(a6, m, c); a7 = Avx512F.FusedMultiplyAdd(a7, m, c);
            a8 = Avx512F.FusedMultiplyAdd(a8, m, c); a9 = Avx512F.FusedMultiplyAdd(a9, m, c);
            a10 = Avx512F.FusedMultiplyAdd(a10, m, c); a11 = Avx512F.FusedMultiplyAdd(a11, m, c);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Fma256(long iters)
    {
        var a0 = Vector256.Create(1f); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
        var a8 = a0; var a9 = a0; var a10 = a0; var a11 = a0;
        var m = Vector256.Create(0.9999999f); var c = Vector256.Create(1e-7f);
        for (long i = 0; i < iters; i++)
        {
            a0 = Fma.MultiplyAdd(a0, m, c); a1 = Fma.MultiplyAdd(a1, m, c); a2 = Fma.MultiplyAdd(a2, m, c);
            a3 = Fma.MultiplyAdd(a3, m, c); a4 = Fma.MultiplyAdd(a4, m, c); a5 = Fma.MultiplyAdd(a5, m, c);
            a6 = Fma.MultiplyAdd(a6, m, c); a7 = Fma.MultiplyAdd(a7, m, c); a8 = Fma.MultiplyAdd(a8, m, c);
            a9 = Fma.MultiplyAdd(a9, m, c); a10 = Fma.MultiplyAdd(a10, m, c); a11 = Fma.MultiplyAdd(a11, m, c);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float FmaScalar(long iters)
    {
        float s0 = 1, s1 = 1, s2 = 1, s3 = 1;
        for (long i = 0; i < iters; i++) { s0 = s0 * 0.9999999f + 1e-7f; s1 = s1 * 0.9999999f + 1e-7f; s2 = s2 * 0.9999999f + 1e-7f; s3 = s3 * 0.9999999f + 1e-7f; }
        return s0 + s1 + s2 + s3;
    }

    private static volatile float Sink;

    /// <summary>Copy bandwidth in GB/s (bytes read + bytes written) over <paramref name="bytes"/> (256 MiB by default),
    /// ordinary and non-temporal stores.</summary>
    public static unsafe (double Copy, double NonTemporal) CopyBandwidth(int threads, long bytes = 256L << 20)
    {
        byte* src = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        byte* dst = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        try
        {
            new Span<byte>(src, (int)bytes).Fill(1);
            new Span<byte>(dst, (int)bytes).Clear();
            double best = 0, bestNt = 0;
            for (int rep = 0; rep < 4; rep++)
            {
                best = Math.Max(best, Time(threads, bytes, (s, d, n) => Buffer.MemoryCopy(s, d, n, n), src, dst));
                if (Avx512F.IsSupported) bestNt = Math.Max(bestNt, Time(threads, bytes, NonTemporalCopy, src, dst));
            }
            return (best, bestNt);
        }
        finally
        {
            NativeMemory.AlignedFree(src);
            NativeMemory.AlignedFree(dst);
        }
    }

    private unsafe delegate void CopyFn(byte* src, byte* dst, long bytes);

    private static unsafe double Time(int threads, long bytes, CopyFn copy, byte* src, byte* dst)
    {
        long chunk = bytes / threads / 64 * 64;
        nint s = (nint)src, d = (nint)dst;
        var sw = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            copy((byte*)s + t * chunk, (byte*)d + t * chunk, chunk));
        return 2.0 * chunk * threads / sw.Elapsed.TotalSeconds / 1e9;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void NonTemporalCopy(byte* src, byte* dst, long bytes)
    {
        for (long i = 0; i + 64 <= bytes; i += 64)
            Avx512F.StoreAlignedNonTemporal((float*)(dst + i), Avx512F.LoadAlignedVector512((float*)(src + i)));
        Sse.StoreFence();
    }
}
