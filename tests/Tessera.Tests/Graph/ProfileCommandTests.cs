using System.Diagnostics;
using System.Text.Json;

namespace Tessera.Tests.Graph;

/// <summary>`tessera profile --model cnn --trace t.json` end to end: the trace is Chrome trace-event JSON with the
/// graph's node names and ordered timestamps.</summary>
public class ProfileCommandTests
{
    [Fact]
    public void ProfileWritesAParsableChromeTrace()
    {
        var dir = Directory.CreateTempSubdirectory("tessera-profile").FullName;
        var trace = Path.Combine(dir, "t.json");
        string cli = Path.Combine(AppContext.BaseDirectory, "tessera.dll");
        var psi = new ProcessStartInfo("dotnet", $"\"{cli}\" profile --model cnn --batch 8 --steps 2 --trace \"{trace}\"")
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(120_000));
        Assert.True(p.ExitCode == 0, stderr + stdout);
        Assert.Contains("planned arena", stdout);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(trace));
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().Where(e => e.GetProperty("ph").GetString() == "X").ToList();
        var names = events.Select(e => e.GetProperty("name").GetString()!).ToList();
        Assert.Contains("Conv2d", names);
        Assert.Contains("BatchNorm", names);
        Assert.Contains("d_Conv2d_1_w", names);
        Assert.Contains("loss", names);
        // The optimizer step is a span of its own, after the last node of the plan.
        var opt = Assert.Single(events, e => e.GetProperty("name").GetString() == "optimizer step (adam)");
        Assert.Equal("optimizer", opt.GetProperty("cat").GetString());
        Assert.True(opt.GetProperty("dur").GetDouble() > 0);
        Assert.Contains("optimizer step (adam)", stdout);
        double last = -1;
        foreach (var e in events)
        {
            double ts = e.GetProperty("ts").GetDouble();
            Assert.True(ts >= last, "timestamps must follow the schedule");
            Assert.True(e.GetProperty("dur").GetDouble() >= 0);
            last = ts;
        }
    }
}
