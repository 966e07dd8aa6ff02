using Tessera.Bench;
using Tessera.Bench.Baselines;
using Tessera.Tests.Support;

namespace Tessera.Tests.OpenCL;

/// <summary>CLBlast SGEMM runs as a baseline row of the OpenCL bench, on the device's buffers and queue.</summary>
public class ClBlastBaselineTests
{
    [Fact]
    public void GemmRowOnOpenClHasClBlastBesideIt()
    {
        var device = ClTestDevice.Shared();
        Requirement.Require(ClBlast.Unavailable is null, $"CLBlast: {ClBlast.Unavailable}");
        var cases = BenchCatalog.Sweep(["gemm", "batched_gemm"], BenchCatalog.ParseSizes("48"));
        var settings = new BenchSettings(Threads: 1, Timing: new BenchOptions(WarmupMs: 0, RepeatMs: 1, MinWarmupCalls: 2, MinSamples: 3));
        foreach (var c in cases)
        {
            var row = BenchRunner.RunCase(device, c, settings);
            Assert.True(row.Verified, row.VerifyNote);
            // Only the device's baseline runs beside a device row: the host libraries are not timed here.
            var b = Assert.Single(row.Baselines);
            Assert.Equal("CLBlast CLBlastSgemm", b.Name);
            Assert.True(b.Missing is null, b.Missing);
            Assert.True(b.TimeMs > 0 && b.Ratio > 0);
            Assert.NotNull(b.Stats);
        }
        Assert.StartsWith("1.", ClBlast.Version, StringComparison.Ordinal);
    }
}
