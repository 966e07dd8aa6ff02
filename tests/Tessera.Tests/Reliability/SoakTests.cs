using System.Text.Json;
using Tessera.Cli.Training;
using Tessera.Cpu;
using Tessera.Devices;

namespace Tessera.Tests.Reliability;

/// <summary>Soak (issue 13, deliver 4): thousands of training steps through the public training path (graph, autodiff,
/// Adam) leave the device pool exactly where the warm-up left it, and the process's resident memory within 1 %. The
/// full 10,000-step run is <c>tessera soak</c> (figures in benchmarks/results/soak-2026-12-04).</summary>
public class SoakTests
{
    [Fact]
    public void Three_thousand_steps_on_the_cpu_leave_the_pool_as_the_warm_up_left_it()
    {
        using var dev = new CpuDevice();
        AssertPoolFlat(dev);
    }

    [Fact]
    public void Three_thousand_steps_on_opencl_leave_the_pool_as_the_warm_up_left_it()
    {
        using var dev = OpenCL.ClTestDevice.Private();
        AssertPoolFlat(dev, steps: 1000);
    }

    private static void AssertPoolFlat(IDevice dev, int steps = 3000)
    {
        var r = SoakRun.Run(dev, new SoakOptions(Steps: steps, Warmup: 100, Samples: 4, SettleJit: false));
        Assert.Equal(4, r.Samples.Count);
        Assert.True(r.Baseline.PoolInUseBytes > 0);
        foreach (var s in r.Samples)
        {
            // Private device: nothing else leases from its pool, so the figures must not move by a byte.
            Assert.Equal(r.Baseline.PoolInUseBytes, s.PoolInUseBytes);
            Assert.Equal(r.Baseline.PoolReservedBytes, s.PoolReservedBytes);
            Assert.Equal(r.Baseline.PoolCachedBytes, s.PoolCachedBytes);
            Assert.Equal(r.Baseline.PoolAllocations, s.PoolAllocations);
        }
        Assert.True(r.End.Loss < r.Baseline.Loss, $"loss {r.Baseline.Loss} → {r.End.Loss}: the steps did not train");
    }

    [Fact]
    public void The_soak_command_keeps_resident_memory_within_one_percent()
    {
        // A process of its own, so that no other test's memory is measured. Without tiered compilation the JIT compiles
        // each method once, before the baseline, so the warm-up is short; `tessera soak` as users run it waits instead
        // for the JIT to go quiet.
        string dir = CliProcess.TempDir();
        string report = Path.Combine(dir, "soak.json");
        var r = CliProcess.Run(new Dictionary<string, string> { ["DOTNET_TieredCompilation"] = "0" },
            "soak", "--steps", "3000", "--warmup", "200", "--report", report);
        Assert.True(r.ExitCode == 0, r.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var root = json.RootElement;
        Assert.True(Math.Abs(root.GetProperty("resident_drift").GetDouble()) <= 0.01, r.Stdout);
        Assert.Equal(0, root.GetProperty("pool_in_use_drift").GetDouble());
        Assert.Equal(0, root.GetProperty("pool_reserved_drift").GetDouble());
        var samples = root.GetProperty("samples").EnumerateArray().ToList();
        Assert.Equal(3000, samples[^1].GetProperty("step").GetInt32());
        Assert.True(samples[0].GetProperty("resident_bytes").GetInt64() > 10 << 20, r.Stdout);
        Assert.Contains("within 1%", r.Stdout);
    }

    [Fact]
    public void Soak_arguments_out_of_range_are_bad_input()
    {
        CliProcess.AssertBadInput(CliProcess.Run("soak", "--steps", "0"), "--steps");
        CliProcess.AssertBadInput(CliProcess.Run("soak", "--tolerance", "2"), "--tolerance");
    }
}
