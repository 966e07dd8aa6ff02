using System.Text.Json;
using Tessera.Bench;
using Tessera.Devices;
using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Optimization;

namespace Tessera.Cli;

/// <summary>Launch overhead of the executor: a chain of <c>nodes</c> element-wise nodes on small tensors, run node by node
/// (<see cref="ExecutionPlan.Run()"/>) against one replay of the same plan captured as a device graph. Both timed with
/// <see cref="BenchTimer.Measure(IDevice, Action, BenchOptions?, Action?)"/>; the replayed output is checked against
/// the node-by-node output. The chain goes through the graph optimizer at the level given first (it has nothing to fold:
/// the level shows in the node count).</summary>
public sealed record GraphReplayResult(string Device, int Nodes, int Elements, double NodeByNodeMs, double? ReplayMs, double? Speedup,
    bool? OutputsAgree, string? Unavailable)
{
    public static GraphReplayResult Run(IDevice device, int nodes = 200, int elements = 1024, BenchOptions? options = null,
        OptimizationLevel optimization = OptimizationLevel.All)
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, elements);
        Value h = x;
        for (int i = 0; i < nodes / 2; i++) h = g.Tanh(g.Affine(h, 0.9f, 0.05f, $"scale{i}"), $"tanh{i}");
        g.Output(h);
        using var optimized = GraphOptimizer.Optimize(g.Graph, optimization);
        h = optimized.Map(h);
        using var plan = ExecutionPlan.Compile(optimized.Graph, device);
        var data = new float[elements];
        for (int i = 0; i < elements; i++) data[i] = MathF.Sin(i);
        plan.Input("x").CopyFrom<float>(data);
        var opts = options ?? new BenchOptions(WarmupMs: 100, RepeatMs: 300);
        var byNode = BenchTimer.Measure(device, plan.Run, opts);
        var expected = plan[h].ToArray<float>();
        if (device is not IGraphCapture)
            return new GraphReplayResult(device.Id, plan.Schedule.Count, elements, byNode.MedianMs, null, null, null,
                $"{device.Id} cannot capture device graphs (CUDA only)");
        using var work = plan.CaptureGraph();
        var replay = BenchTimer.Measure(device, () => work.Replay(), opts);
        bool agree = expected.AsSpan().SequenceEqual(plan[h].ToArray<float>());
        return new GraphReplayResult(device.Id, plan.Schedule.Count, elements, byNode.MedianMs, replay.MedianMs, byNode.MedianMs / replay.MedianMs, agree, null);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Cli.IndentedJson);

    public override string ToString() => Unavailable is null
        ? $"graph replay on {Device}: {Nodes} nodes of {Elements} floats: node by node {NodeByNodeMs:0.###} ms, replay {ReplayMs:0.###} ms, " +
          $"speed-up {Speedup:0.0}x, outputs {(OutputsAgree == true ? "agree" : "DIFFER")}"
        : $"graph replay on {Device}: {Nodes} nodes node by node {NodeByNodeMs:0.###} ms; replay unavailable: {Unavailable}";
}
