using System.Runtime.CompilerServices;
using Tessera.Cpu;

namespace Tessera.Tests.Reliability;

/// <summary>The leak check (issue 13, deliver 4): tensors created outside a scope and never disposed are counted and
/// described, not freed behind the caller's back; disposed and scoped tensors are not counted.</summary>
[Collection(nameof(LeakCheckTests))]   // switches a process-wide debug option: not beside itself
public class LeakCheckTests
{
    // A shape no other test uses, to pick this test's tensors out of the process-wide list.
    private static readonly int[] Marker = [7, 11, 13];
    private static readonly string MarkerText = new Shape(Marker).ToString();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Create(CpuDevice dev, int leaked, int disposed, int scoped, int detached)
    {
        for (int i = 0; i < leaked; i++) _ = Tensor.Empty(dev, DType.Float32, Marker);
        for (int i = 0; i < disposed; i++) Tensor.Empty(dev, DType.Float32, Marker).Dispose();
        using var scope = TensorScope.Begin();
        for (int i = 0; i < scoped; i++) _ = Tensor.Empty(dev, DType.Float32, Marker);
        for (int i = 0; i < detached; i++) _ = scope.Detach(Tensor.Empty(dev, DType.Float32, Marker));   // the caller's now: dropped
    }

    private static int Marked() => TensorLeaks.Leaks.Count(l => l.Contains(MarkerText, StringComparison.Ordinal));

    [Fact]
    public void Tensors_never_disposed_are_counted_and_their_memory_stays_leased()
    {
        using var dev = new CpuDevice();
        bool was = TensorLeaks.Enabled;
        TensorLeaks.Enabled = true;
        try
        {
            int before = Marked();
            Create(dev, leaked: 3, disposed: 4, scoped: 5, detached: 2);
            long leased = dev.Memory.Stats.CurrentBytes;
            for (int i = 0; i < 3 && Marked() < before + 5; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            // Three dropped outside any scope and two detached from one and dropped; none of the disposed or scoped ones.
            Assert.Equal(before + 5, Marked());
            Assert.True(TensorLeaks.Leaked >= 5);
            Assert.Contains(TensorLeaks.Leaks, l => l.Contains(MarkerText, StringComparison.Ordinal) && l.Contains("on cpu", StringComparison.Ordinal));
            // Counted, not freed: the five blocks are still leased from the pool.
            Assert.Equal(leased, dev.Memory.Stats.CurrentBytes);
            Assert.True(leased >= 5 * 7 * 11 * 13 * sizeof(float));
            Assert.Contains("tensors created outside a TensorScope were never disposed", TensorLeaks.Summary(collect: false));
        }
        finally
        {
            TensorLeaks.Enabled = was;
        }
    }

    [Fact]
    public void The_check_is_off_unless_asked_for()
    {
        Assert.False(TensorLeaks.Enabled);   // the test process runs without TESSERA_LEAK_CHECK
    }

    [Fact]
    public void The_environment_variable_reports_at_exit()
    {
        // A command that disposes what it creates: zero leaks, reported on stderr when the process exits.
        var r = CliProcess.Run(new Dictionary<string, string> { [TensorLeaks.Variable] = "1", ["DOTNET_TieredCompilation"] = "0" },
            "soak", "--steps", "50", "--warmup", "20");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"note: {TensorLeaks.Variable}: 0 tensors created outside a TensorScope were never disposed", r.Stderr);
    }
}
