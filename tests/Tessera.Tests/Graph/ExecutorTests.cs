using System.Text.Json;
using Tessera.Cli.Training;
using Tessera.Graph.Execution;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;
using Tessera.Graph;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Graph;

public class ExecutorTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    [Fact]
    public void ShapeErrorsNameTheNode()
    {
        var g = new GraphBuilder();
        var a = g.Input("a", DType.Float32, 2, 3);
        var b = g.Input("b", DType.Float32, 4, 5);
        var ex = Assert.Throws<TesseraShapeException>(() => g.MatMul(a, b, name: "proj"));
        Assert.Contains("proj", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        var ex2 = Assert.ThrowsAny<TesseraException>(() => g.Add(a, b, "sum1"));
        Assert.Contains("sum1", ex2.Message);
    }

    [Fact]
    public void DumpListsEveryNode()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3);
        var y = g.Relu(g.Affine(x, 2f), "act");
        g.Output(y);
        var text = g.Graph.Dump();
        Assert.Contains("input     %0 x f32[2, 3]", text);
        Assert.Contains("act = Relu(", text);
        Assert.Contains("output", text);
    }

    [Fact]
    public void PlanMatchesEagerOpsAndReusesMemory()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 16, 32);
        Value h = x;
        for (int i = 0; i < 8; i++) h = g.Tanh(g.Affine(h, 0.9f, 0.1f));
        g.Output(h);
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        var data = Rand.Uniform(1, new[] { 16, 32 }).ToFloats();
        plan.Input("x").CopyFrom<float>(data);
        plan.Run();
        using var scope = TensorScope.Begin();
        var e = Tensor.FromArray(Dev, data, 16, 32);
        for (int i = 0; i < 8; i++) e = Ops.Tanh(Ops.Affine(e, 0.9f, 0.1f));
        Assert.Equal(e.ToArray<float>(), plan[h].ToArray<float>());
        // 16 values of 2 KiB each; a chain needs at most 2 live buffers (plus the output kept to the end).
        Assert.True(plan.ArenaBytes <= 3 * 2048, $"arena {plan.ArenaBytes}");
        Assert.Equal(16 * 2048, plan.NaiveBytes);
    }

    /// <summary>A concatenation along channels of a single sample is elided: its inputs' producers write their slices of
    /// the output, and the result is bit for bit the plan without memory sharing; one that extends an elided one takes it
    /// over. Along an axis with more than one
    /// slice before it, with an input twice, or with a slice off a 64-byte boundary, the node still copies.</summary>
    [Fact]
    public void ChannelConcatenationsAreWrittenInPlace()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 1, 4, 8, 8);
        var a = g.Tanh(x);
        var b = g.Relu(g.Affine(x, 2f, -0.5f));
        var joined = g.Concat(new[] { a, b }, axis: 1, name: "join");
        var grown = g.Concat(new[] { a, b, g.Tanh(g.Affine(x, -1f)) }, axis: 1, name: "grown");
        var twice = g.Concat(new[] { g.Tanh(joined), g.Tanh(joined) }, axis: 2, name: "rows");
        var c = g.Affine(x, 0.5f);
        var same = g.Concat(new[] { c, c }, axis: 1, name: "same");
        var s = g.Input("s", DType.Float32, 1, 3);
        var odd = g.Concat(new[] { g.Tanh(s), g.Relu(s) }, axis: 1, name: "odd");
        var view = g.Concat(new[] { g.Reshape(g.Tanh(x), 1, 256), g.Relu(g.Reshape(x, 1, 256)) }, axis: 1, name: "view");
        var y = g.Tanh(joined);
        foreach (var o in new[] { y, grown, twice, same, odd, view }) g.Output(o);
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        using var naive = ExecutionPlan.Compile(g.Graph, Dev, reuseMemory: false);
        bool Elided(string name) => plan.IsElided(plan.Schedule.ToList().FindIndex(n => n.Name == name));
        Assert.True(Elided("join"));
        Assert.True(Elided("grown"));   // its first inputs are join's: join becomes the first part of its buffer
        Assert.False(Elided("rows"));   // two slices along axis 2 for each of the four channels
        Assert.False(Elided("same"));   // one value in two slices
        Assert.False(Elided("odd"));    // the second slice would start 12 bytes in
        Assert.False(Elided("view"));   // the first input is a reshape: a view of another value's buffer
        var data = Rand.Uniform(7, new[] { 1, 4, 8, 8 }, -2, 2).ToFloats();
        var small = Rand.Uniform(8, new[] { 1, 3 }, -2, 2).ToFloats();
        foreach (var p in new[] { plan, naive })
        {
            p.Input("x").CopyFrom<float>(data);
            p.Input("s").CopyFrom<float>(small);
            p.Run();
        }
        foreach (var v in new[] { y, grown, twice, same, odd, view })
            Assert.Equal(naive[v].ToArray<float>(), plan[v].ToArray<float>());
    }

    [Fact]
    public void SteadyStateTrainingStepsAllocateNothing()
    {
        // A private device: its pool sees only this test (others run in parallel on the shared one).
        using var dev = new Tessera.Cpu.CpuDevice();
        AssertSteadyStateStepsAllocateNothing(dev);
    }

    /// <summary>A CNN training step at batch 8: after three warm-up steps, further steps take no new memory from the
    /// device's pool (every lease is a cache hit). <paramref name="dev"/> must be private to the caller.</summary>
    internal static void AssertSteadyStateStepsAllocateNothing(Tessera.Devices.IDevice dev)
    {
        var model = Models.Cnn(dev, 1);
        using var opt = new Adam(new LearningRateSchedule.Constant(1e-3));
        using var trainer = new Trainer(model, dev, 8, new[] { 1, 28, 28 }, opt);
        var x = Rand.Uniform(1, new[] { 8, 1, 28, 28 }, 0, 1).ToFloats();
        var y = new long[] { 0, 1, 2, 3, 4, 5, 6, 7 };
        for (int i = 0; i < 3; i++) trainer.Step(x, y);
        var before = dev.Memory.Stats;
        for (int i = 0; i < 5; i++) trainer.Step(x, y);
        var after = dev.Memory.Stats;
        Assert.Equal(before.Allocations, after.Allocations);
        model.Dispose();
    }

    [Fact]
    public void CnnPlanPeakIsAtMostHalfTheNaiveSum()
    {
        var model = Models.Cnn(Dev, 1);
        using var opt = new Adam(new LearningRateSchedule.Constant(1e-3));
        using var trainer = new Trainer(model, Dev, 128, new[] { 1, 28, 28 }, opt);
        var plan = trainer.TrainPlan;
        Assert.True(plan.ArenaBytes <= plan.NaiveBytes / 2, $"planned {plan.ArenaBytes} vs naive {plan.NaiveBytes}");
        model.Dispose();
    }

    [Fact]
    public void ChromeTraceParsesWithNodeNamesAndTimestamps()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 64, 64);
        var w = g.Constant("w", Rand.Uniform(2, new[] { 64, 64 }).ToDevice(Dev));
        var y = g.Relu(g.MatMul(x, w, name: "mm"), "act");
        g.Output(y);
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        plan.Profile = true;
        plan.Run();
        var ms = new MemoryStream();
        ChromeTrace.Write(plan, ms);
        using var doc = JsonDocument.Parse(ms.ToArray());
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().Where(e => e.GetProperty("ph").GetString() == "X").ToList();
        Assert.Equal(new[] { "mm", "act" }, events.Select(e => e.GetProperty("name").GetString()));
        Assert.True(events[1].GetProperty("ts").GetDouble() >= events[0].GetProperty("ts").GetDouble());
        Assert.All(events, e => Assert.True(e.GetProperty("dur").GetDouble() >= 0));
    }
}
