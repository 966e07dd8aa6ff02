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
    private static ClDevice Device() => ClTestDevice.Shared();

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

    [Fact]
    public void PlansDeferIndexChecksToTheNextReadAndEagerCallsDoNot()
    {
        // A device of its own: a deferred fault lives on the device's default-stream kernels, and on the shared device
        // another test's read (running in parallel) would be the one to report it.
        using var dev = ClTestDevice.Private();
        var g = new GraphBuilder();
        var logits = g.Input("logits", DType.Float32, 4, 10);
        var labels = g.Input("labels", DType.Int64, 4);
        var loss = g.CrossEntropy(logits, labels, "loss");
        g.Output(loss);
        using var plan = ExecutionPlan.Compile(g.Graph, dev);
        plan.Input("logits").CopyFrom<float>(Rand.Uniform(9, new[] { 4, 10 }).ToFloats());
        plan.Input("labels").CopyFrom<long>(new long[] { 1, 2, 12, 3 });
        plan.Run(); // no read, no stop: the check is recorded on the device
        var e = Assert.Throws<TesseraArgumentException>(() => plan[loss].Item<float>());
        Assert.Contains("CrossEntropy", e.Message);
        Assert.Contains("index 12 (element 2)", e.Message);
        plan.Input("labels").CopyFrom<long>(new long[] { 1, 2, 9, 3 });
        plan.Run();
        Assert.True(float.IsFinite(plan[loss].Item<float>()), "a later good run reads cleanly: the fault was reported once");
        // Eager calls check at once, as on the CPU.
        using var x = Tensor.FromArray(dev, Rand.Uniform(9, new[] { 4, 10 }).ToFloats(), 4, 10);
        using var t = Tensor.FromArray(dev, new long[] { 1, -5, 0, 0 }, 4);
        var eager = Assert.Throws<TesseraArgumentException>(() => Ops.CrossEntropy(x, t));
        Assert.Contains("class index -5 of sample 1", eager.Message);
    }
}
