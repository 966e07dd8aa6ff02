using BenchmarkDotNet.Attributes;
using Tessera.Cpu;
using Tessera.Graph;
using Tessera.Graph.Execution;

namespace Tessera.Benchmarks;

/// <summary>The executor's per-node dispatch overhead: a long chain of tiny element-wise nodes (16 floats each), so the
/// time per node is almost all scheduling, argument binding and kernel entry. Reported per node
/// (OperationsPerInvoke = node count).</summary>
public class DispatchOverhead
{
    private const int Nodes = 1000;
    private ExecutionPlan _plan = null!;

    [Params(16)] public int Width { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var cpu = CpuBackend.Device;
        cpu.Threads = 1;
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, Width);
        var h = x;
        for (int i = 0; i < Nodes; i++) h = i % 2 == 0 ? g.Relu(h) : g.Add(h, x);
        g.Output(h);
        _plan = ExecutionPlan.Compile(g.Graph, cpu);
        _plan.Input("x").CopyFrom<float>(Enumerable.Range(0, Width).Select(i => (float)i - Width / 2).ToArray());
    }

    [Benchmark(OperationsPerInvoke = Nodes, Description = "plan.Run per node (chain of 1000 tiny nodes)")]
    public void RunChain() => _plan.Run();

    [GlobalCleanup]
    public void Cleanup() => _plan.Dispose();
}
