using System.Text.Json;
using Tessera.Bench;

namespace Tessera.Tests.Bench;

/// <summary><see cref="MachineCeilings.LoadOrMeasure"/> reuses a recent measurement and measures again when the cached
/// one is older than <see cref="MachineCeilings.CacheLifetime"/> or far slower than the machine is now.</summary>
public class CeilingsCacheTests
{
    [Fact]
    public void RecentCeilingsAreReusedAndStaleOnesMeasuredAgain()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tessera-ceilings-{Guid.NewGuid():N}");
        try
        {
            var first = MachineCeilings.LoadOrMeasure(1, "cache-test", dir);
            Assert.True(first.PeakGflopsOneThread > 0 && first.CopyGBps > 0);

            // A recent entry the quick probe cannot beat is returned as it is. (Reloading `first` itself is not
            // enough: measured while other tests load the machine, it may rightly be beaten and measured again.)
            string file = Assert.Single(Directory.GetFiles(dir, "ceilings-*.json"));
            var recent = first with { PeakGflops = 1e9, PeakGflopsOneThread = 1e9 };
            File.WriteAllText(file, JsonSerializer.Serialize(recent));
            Assert.Equal(recent, MachineCeilings.LoadOrMeasure(1, "cache-test", dir));

            // The cached file, aged past the lifetime (with the same impossible peak): it must not be returned.
            var stale = first with { PeakGflops = 1e9, PeakGflopsOneThread = 1e9, MeasuredUtc = DateTime.UtcNow - MachineCeilings.CacheLifetime - TimeSpan.FromMinutes(1) };
            File.WriteAllText(file, JsonSerializer.Serialize(stale));
            var again = MachineCeilings.LoadOrMeasure(1, "cache-test", dir);
            Assert.NotEqual(1e9, again.PeakGflopsOneThread);
            Assert.True(DateTime.UtcNow - again.MeasuredUtc < TimeSpan.FromMinutes(5));

            // A recent measurement far below what the machine does now (taken in a slow minute) is not kept either.
            var slow = again with { PeakGflops = 1e-3, PeakGflopsOneThread = 1e-3 };
            File.WriteAllText(file, JsonSerializer.Serialize(slow));
            var remeasured = MachineCeilings.LoadOrMeasure(1, "cache-test", dir);
            Assert.True(remeasured.PeakGflopsOneThread > 1e-3 * MachineCeilings.SlowMeasurementFactor, $"{remeasured.PeakGflopsOneThread}");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
