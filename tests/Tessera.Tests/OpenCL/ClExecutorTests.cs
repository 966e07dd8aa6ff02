using Tessera.Devices;
using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Nn;
using Tessera.OpenCL;
using Tessera.Tests.Support;

namespace Tessera.Tests.OpenCL;

/// <summary>The graph executor on a non-CPU device (POCL in CI): plan results equal the CPU plan's, profiling uses
/// timing events, graph capture is refused with a clear error.</summary>
public class ClExecutorTests
{
    private static IDevice Device() => ClTestDevice.Shared();

    private static (ComputeGraph Graph, Value Out) Mlp()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 8, 20);
        var w1 = g.Input("w1", DType.Float32, 20, 16);
        var w2 = g.Input("w2", DType.Float32, 16, 4);
        var h = g.Relu(g.MatMul(x, w1, name: "fc1"), "act1");
        var y = g.Softmax(g.MatMul(h, w2, name: "fc2"), -1, "probs");
        g.Output(y);
        return (g.Graph, y);
    }

    [Fact]
    public void PlanOnOpenClMatchesThePlanOnTheCpuAndProfilesWithEvents()
    {
        var dev = Device();
        var (graph, y) = Mlp();
        var data = Rand.Uniform(3, new[] { 8, 20 }).ToFloats();
        using var cpuPlan = ExecutionPlan.Compile(graph, TestDevices.Cpu);
        using var clPlan = ExecutionPlan.Compile(graph, dev);
        var w1 = Rand.Uniform(1, new[] { 20, 16 }).ToFloats();
        var w2 = Rand.Uniform(2, new[] { 16, 4 }).ToFloats();
        foreach (var plan in new[] { cpuPlan, clPlan })
        {
            plan.Input("x").CopyFrom<float>(data);
            plan.Input("w1").CopyFrom<float>(w1);
            plan.Input("w2").CopyFrom<float>(w2);
        }
        cpuPlan.Run();
        clPlan.Profile = true;
        clPlan.Run();
        var expected = cpuPlan[y].ToArray<float>();
        var actual = clPlan[y].ToArray<float>();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
        Assert.Equal(clPlan.Schedule.Count, clPlan.NodeMilliseconds.Count);
        Assert.All(clPlan.NodeMilliseconds, ms => Assert.True(ms >= 0 && double.IsFinite(ms)));
        for (int s = 1; s < clPlan.Schedule.Count; s++)
            Assert.True(clPlan.NodeStartMilliseconds[s] >= clPlan.NodeStartMilliseconds[s - 1], "node starts are ordered");
    }

    [Fact]
    public void CaptureGraphIsRefusedWhereTheDeviceCannotCapture()
    {
        var (graph, _) = Mlp();
        using var plan = ExecutionPlan.Compile(graph, Device());
        var e = Assert.Throws<TesseraDeviceException>(() => plan.CaptureGraph());
        Assert.Contains("ExecutionPlan.CaptureGraph", e.Message);
        Assert.Contains("cannot capture", e.Message);
    }
}
