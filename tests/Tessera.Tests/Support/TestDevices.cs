using Tessera.Cpu;
using Tessera.Devices;

namespace Tessera.Tests.Support;

/// <summary>The devices the conformance tests run on. CPU always; others join when their backends arrive.</summary>
public static class TestDevices
{
    public static CpuDevice Cpu => CpuBackend.Device;

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
