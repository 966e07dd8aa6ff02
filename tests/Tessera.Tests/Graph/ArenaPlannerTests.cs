using Tessera.Graph.Planning;

namespace Tessera.Tests.Graph;

public class ArenaPlannerTests
{
    /// <summary>No two buffers alive at the same step may overlap in bytes; every buffer fits in the arena.</summary>
    private static void AssertValid(BufferLifetime[] b, ArenaPlan plan)
    {
        for (int i = 0; i < b.Length; i++)
        {
            Assert.Equal(0, plan.Offsets[i] % ArenaPlanner.DefaultAlignment);
            Assert.True(plan.Offsets[i] + b[i].Bytes <= plan.ArenaBytes, $"buffer {i} runs past the arena");
            for (int j = i + 1; j < b.Length; j++)
            {
                bool timeOverlap = b[i].FirstStep <= b[j].LastStep && b[j].FirstStep <= b[i].LastStep;
                bool memOverlap = plan.Offsets[i] < plan.Offsets[j] + b[j].Bytes && plan.Offsets[j] < plan.Offsets[i] + b[i].Bytes;
                Assert.False(timeOverlap && memOverlap && b[i].Bytes > 0 && b[j].Bytes > 0, $"buffers {i} and {j} collide");
            }
        }
    }

    [Fact]
    public void ChainReusesMemory()
    {
        // A chain a -> b -> c -> d: each buffer lives for two steps, so two slots suffice.
        var b = Enumerable.Range(0, 8).Select(i => new BufferLifetime(1024, i, i + 1)).ToArray();
        var plan = ArenaPlanner.Plan(b);
        AssertValid(b, plan);
        Assert.Equal(2048, plan.ArenaBytes);
        Assert.Equal(8 * 1024, plan.NaiveBytes);
    }

    [Fact]
    public void AllAliveNeedsTheSum()
    {
        var b = new[] { new BufferLifetime(100, 0, 5), new BufferLifetime(200, 1, 5), new BufferLifetime(300, 2, 5) };
        var plan = ArenaPlanner.Plan(b);
        AssertValid(b, plan);
        Assert.Equal(128 + 256 + 320, plan.ArenaBytes);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RandomLifetimesNeverCollide(int seed)
    {
        var rng = new Random(seed);
        var b = Enumerable.Range(0, 200).Select(_ =>
        {
            int s = rng.Next(100);
            return new BufferLifetime(rng.Next(0, 1 << 16), s, s + rng.Next(0, 20));
        }).ToArray();
        var plan = ArenaPlanner.Plan(b);
        AssertValid(b, plan);
        Assert.True(plan.ArenaBytes <= plan.NaiveBytes);
        // Lower bound: the bytes alive at the busiest step.
        long peak = Enumerable.Range(0, 130).Max(t => b.Where(x => x.FirstStep <= t && t <= x.LastStep).Sum(x => ArenaPlanner.Align(x.Bytes, 64)));
        Assert.True(plan.ArenaBytes >= peak);
    }

    [Fact]
    public void RejectsBadLifetimes()
    {
        var ex = Assert.Throws<TesseraArgumentException>(() => ArenaPlanner.Plan(new[] { new BufferLifetime(10, 5, 2) }));
        Assert.Contains("ArenaPlanner.Plan", ex.Message);
        Assert.Throws<TesseraArgumentException>(() => ArenaPlanner.Plan(new[] { new BufferLifetime(-1, 0, 0) }));
    }
}
