using Tessera.Cpu;
using Tessera.Devices;

namespace Tessera.Tests.Support;

/// <summary>The devices tests run on. <see cref="Cpu"/> is the host; <see cref="Target"/> is the device the conformance
/// suites test, chosen by <c>TESSERA_TEST_DEVICE</c> ("cpu" by default, "opencl", "opencl:1", "cuda", ...). A target
/// that is not available fails every test that uses it (the suite must not pass by testing nothing).</summary>
public static class TestDevices
{
    public const string Variable = "TESSERA_TEST_DEVICE";

    private static readonly Lazy<(IDevice? Device, string Problem)> TargetDevice = new(ResolveTarget);

    public static CpuDevice Cpu => CpuBackend.Device;

    /// <summary>The device under test (see the class summary). When it cannot be opened the calling test is skipped
    /// with the reason, or fails under CI=true.</summary>
    public static IDevice Target
    {
        get
        {
            var (device, problem) = TargetDevice.Value;
            Requirement.Require(device != null, $"{Variable}={TargetId}: {problem}");
            return device!;
        }
    }

    /// <summary>The target's id as requested ("cpu" when the variable is unset).</summary>
    public static string TargetId
    {
        get
        {
            string? v = Environment.GetEnvironmentVariable(Variable);
            return string.IsNullOrWhiteSpace(v) ? "cpu" : v.Trim().ToLowerInvariant();
        }
    }

    /// <summary>The CPU's kernel threads when the target is the CPU; other targets ignore it (tests that vary it then
    /// check that repeated runs agree).</summary>
    public static int TargetThreads
    {
        get => Target is CpuDevice c ? c.Threads : 1;
        set { if (Target is CpuDevice c) c.Threads = value; }
    }

    private static (IDevice?, string) ResolveTarget()
    {
        // Backends register when their assembly loads: touch each so the registry knows them.
        _ = CpuBackend.Instance;
        _ = Tessera.OpenCL.ClBackend.Instance;
        _ = Tessera.Cuda.CudaBackend.Instance;
        if (TargetId == "cpu") return (Cpu, "");
        try { return (BackendRegistry.GetDevice(TargetId), ""); }
        catch (TesseraException e) { return (null, e.Message); }
    }

    /// <summary>Device ids for data-driven tests over every available backend.</summary>
    public static IEnumerable<IDevice> Available()
    {
        yield return Cpu;
    }
}

/// <summary>Missing system components: a skip on a developer's machine, a failure under CI=true.</summary>
public static class Requirement
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips (or, in CI, fails) the current test when <paramref name="present"/> is false.</summary>
    public static void Require(bool present, string reason)
    {
        if (present) return;
        if (InCi) Assert.Fail($"required system component missing under CI=true: {reason}");
        Assert.Skip(reason);
    }
}
