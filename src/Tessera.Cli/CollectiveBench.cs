using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tessera.Devices;
using Tessera.Distributed;

namespace Tessera.Cli;

/// <summary>`tessera bench --op allreduce|reducescatter|allgather|broadcast` over MPI (under mpirun) or NCCL (a CUDA
/// device; MPI carries NCCL's id under mpirun, a single process is a group of one): each collective's result is
/// checked first (every rank contributes exactly representable values whose reduction is known), then timed over a
/// range of message sizes and reported as nccl-tests does: time, algorithm bandwidth (bytes / time) and bus bandwidth
/// (algbw × 2(n−1)/n for all-reduce, × (n−1)/n for reduce-scatter and all-gather, × 1 for broadcast), where bytes is
/// the larger of the input and output. Over MPI the collectives include the copies between the device and MPI's host
/// buffers; NCCL works on the device memory itself.</summary>
internal static class CollectiveBench
{
    public static readonly string[] OpNames = ["allreduce", "reducescatter", "allgather", "broadcast"];

    /// <summary>Largest message per --size: small 1 MiB, medium 16 MiB, large 256 MiB (from 4 KiB, ×4 each row).</summary>
    private static long MaxBytes(string size) => size.ToLowerInvariant() switch
    {
        "small" => 1L << 20,
        "medium" => 16L << 20,
        "large" => 256L << 20,
        _ => throw new TesseraArgumentException("bench", "--size", $"expected small, medium or large, got '{size}'"),
    };

    public static int Run(string[] ops, string deviceId, int threads, string size, string? outPath, double timeoutSeconds, string? backend)
    {
        var unknown = ops.Where(o => !OpNames.Contains(o.ToLowerInvariant())).ToArray();
        if (unknown.Length > 0)
            throw new TesseraArgumentException("bench", "--op", $"collectives cannot be mixed with other ops: '{string.Join("', '", unknown)}'");
        long max = MaxBytes(size);
        var timeout = MpiLaunch.Timeout("bench", timeoutSeconds);
        var device = Cli.OpenDevice(MpiLaunch.RankDevice(deviceId), MpiLaunch.Threads(threads));
        // MPI needs mpirun; NCCL outside mpirun is a group of one.
        using var host = MpiLaunch.IsLaunched || !MpiLaunch.UsesNccl("bench", device, backend) ? MpiLaunch.Open("bench", "--op", timeoutSeconds) : new LocalCommunicator();
        using var nccl = MpiLaunch.Nccl("bench", device, host, backend, timeout);
        ICommunicator comm = nccl ?? host;
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"# {comm.Name}, {comm.Size} ranks, device {device.Id}");
        report.AppendLine("op,bytes,time_us,algbw_GBps,busbw_GBps,verified");
        if (comm.Rank == 0)
        {
            Console.WriteLine($"tessera bench: collectives over {comm.Name}, {comm.Size} ranks, device {device.Id}");
            Console.WriteLine($"{"op",-14} {"bytes",12} {"time (us)",12} {"algbw (GB/s)",13} {"busbw (GB/s)",13}");
        }
        foreach (var op in ops.Select(o => o.ToLowerInvariant()).Distinct())
        {
            for (long bytes = 4096; bytes <= max; bytes *= 4)
            {
                int count = (int)(bytes / sizeof(float)) / comm.Size * comm.Size; // divisible for reduce-scatter/all-gather
                Verify(comm, device, op, count);
                double seconds = Time(comm, device, op, count, Math.Clamp((int)((64L << 20) / bytes), 5, 200));
                long moved = (long)count * sizeof(float);
                double algbw = moved / seconds / 1e9;
                double factor = op switch { "allreduce" => 2.0 * (comm.Size - 1) / comm.Size, "broadcast" => 1.0, _ => (comm.Size - 1.0) / comm.Size };
                report.AppendLine(CultureInfo.InvariantCulture, $"{op},{moved},{seconds * 1e6:F1},{algbw:F4},{algbw * factor:F4},true");
                if (comm.Rank == 0)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{op,-14} {moved,12} {seconds * 1e6,12:F1} {algbw,13:F3} {algbw * factor,13:F3}"));
            }
        }
        if (comm.Rank == 0 && outPath is not null) File.WriteAllText(outPath, report.ToString());
        return 0;
    }

    /// <summary>Tensors of the collective at <paramref name="count"/> elements (the output is the larger one).</summary>
    private static (Tensor Input, Tensor? Output) Make(ICommunicator comm, IDevice device, string op, int count, Func<int, int, float> value)
    {
        int inCount = op == "allgather" ? count / comm.Size : count;
        var input = Tensor.FromArray(device, Enumerable.Range(0, inCount).Select(i => value(comm.Rank, i)).ToArray(), inCount);
        Tensor? output = op switch
        {
            "reducescatter" => Tensor.Zeros(device, DType.Float32, count / comm.Size),
            "allgather" => Tensor.Zeros(device, DType.Float32, count),
            _ => null,
        };
        return (input, output);
    }

    private static CollectiveHandle Start(ICommunicator comm, string op, Tensor input, Tensor? output) => op switch
    {
        "allreduce" => comm.AllReduceAsync(input),
        "reducescatter" => comm.ReduceScatterAsync(input, output!),
        "allgather" => comm.AllGatherAsync(input, output!),
        _ => comm.BroadcastAsync(input, 0),
    };

    /// <summary>Runs the collective once on values (rank + 1)·(i mod 7 + 1), small integers whose sums are exact, and
    /// compares every element with the expected result.</summary>
    private static void Verify(ICommunicator comm, IDevice device, string op, int count)
    {
        static float V(int rank, int i) => (rank + 1) * (i % 7 + 1);
        var (input, output) = Make(comm, device, op, count, V);
        using (input)
        using (output)
        {
            Start(comm, op, input, output).Wait();
            var got = (output ?? input).ToArray<float>();
            int n = comm.Size, block = count / n;
            float ranksSum = n * (n + 1) / 2f;
            for (int i = 0; i < got.Length; i++)
            {
                float expected = op switch
                {
                    "allreduce" => ranksSum * (i % 7 + 1),
                    "reducescatter" => ranksSum * ((comm.Rank * block + i) % 7 + 1),
                    "allgather" => V(i / block, i % block),
                    _ => V(0, i),
                };
                if (got[i] != expected)
                    throw new TesseraException("bench", $"rank {comm.Rank}: {op} of {count} floats gave {got[i]} at element {i}, expected {expected}");
            }
        }
    }

    /// <summary>Seconds per collective: a barrier, then <paramref name="iterations"/> back to back (after two warm-up runs).</summary>
    private static double Time(ICommunicator comm, IDevice device, string op, int count, int iterations)
    {
        var (input, output) = Make(comm, device, op, count, (_, i) => i % 3);
        using (input)
        using (output)
        {
            for (int i = 0; i < 2; i++) Start(comm, op, input, output).Wait();
            comm.Barrier();
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < iterations; i++) Start(comm, op, input, output).Wait();
            return Stopwatch.GetElapsedTime(t0).TotalSeconds / iterations;
        }
    }
}
