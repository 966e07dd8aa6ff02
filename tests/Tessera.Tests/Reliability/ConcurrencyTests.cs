using System.Collections.Concurrent;
using Tessera.Cpu;
using Tessera.Devices;
using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Operators;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Reliability;

/// <summary>The backend registry, the pools and the tensor scopes under eight threads, plans on four threads (issue 13,
/// deliver 5). No test depends on timing: threads start together behind a barrier, and where an overlap matters it is
/// forced with events.</summary>
public class ConcurrencyTests
{
    private const int Threads = 8;

    [Fact]
    public void Eight_threads_allocating_and_scoping_on_the_cpu_pool_leave_it_balanced()
    {
        using var dev = new CpuDevice();
        Stress(dev, rounds: 300);
    }

    [Fact]
    public void Eight_threads_allocating_and_scoping_on_the_opencl_pool_leave_it_balanced()
    {
        using var dev = OpenCL.ClTestDevice.Private();
        Stress(dev, rounds: 60);
    }

    /// <summary>Eight threads, started together, each for <paramref name="rounds"/> rounds: look the device up in the
    /// registry (and register the CPU backend again, as an assembly load would), open a scope and a nested one, lease
    /// tensors of several size classes (some shared between threads), write a value of their own into each and read
    /// it back (two leases of one block would show), move some tensors to the outer scope, hand some to the next
    /// thread to dispose and let the scopes dispose the rest. Afterwards every byte is back in the pool's cache, the
    /// counters add up, and the cache empties completely.</summary>
    private static void Stress(IDevice dev, int rounds)
    {
        var before = dev.Memory.Stats;
        var handOff = Enumerable.Range(0, Threads).Select(_ => new ConcurrentQueue<Tensor>()).ToArray();
        Together(Threads, id =>
        {
            for (int r = 0; r < rounds; r++) Round(dev, id, r, handOff);
        });
        // What the threads handed off and nobody took yet is disposed here, on the test's thread.
        foreach (var q in handOff)
            while (q.TryDequeue(out var t)) t.Dispose();

        var after = dev.Memory.Stats;
        Assert.Equal(before.CurrentBytes, after.CurrentBytes);
        Assert.Equal(after.Rents - before.Rents, (after.CacheHits - before.CacheHits) + (after.Allocations - before.Allocations));
        Assert.True(after.CachedBytes >= 0, $"cached {after.CachedBytes} bytes");
        Assert.True(after.Rents - before.Rents >= Threads * rounds * 6L, $"{after.Rents - before.Rents} leases");
        dev.Memory.ReleaseCached();
        var released = dev.Memory.Stats;
        Assert.Equal(released.CurrentBytes, released.ReservedBytes);
        Assert.Equal(released.Allocations - before.Allocations, released.Releases - before.Releases);
    }

    /// <summary>Runs <paramref name="body"/>(0..n−1) on n threads released together by a barrier; fails with what any threw.</summary>
    private static void Together(int n, Action<int> body)
    {
        var errors = new ConcurrentQueue<Exception>();
        using var start = new Barrier(n);
        var workers = Enumerable.Range(0, n).Select(id => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                body(id);
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        })).ToList();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        Assert.Empty(errors);
    }

    private static readonly int[] Sizes = [16, 100, 1000, 4096, 30_000];

    private static void Round(IDevice dev, int id, int round, ConcurrentQueue<Tensor>[] handOff)
    {
        var registry = BackendRegistry.GetDevice("cpu");
        Assert.Same(CpuBackend.Device, registry);
        if (round % 16 == id % 16) BackendRegistry.Register(CpuBackend.Instance);
        Assert.Contains(BackendRegistry.All, b => b.Kind == DeviceKind.Cpu);
        // Take what the previous thread handed over and dispose it here (scope ownership across threads).
        var inbox = handOff[id];
        while (inbox.TryDequeue(out var given)) given.Dispose();

        using var outer = TensorScope.Begin();
        Tensor kept;
        using (var inner = TensorScope.Begin())
        {
            var mine = new List<(Tensor T, float Value)>();
            for (int k = 0; k < 6; k++)
            {
                int n = Sizes[(id + round + k) % Sizes.Length];
                var t = Tensor.Empty(dev, DType.Float32, n);
                float value = id * 100_000 + round * 10 + k;
                t.CopyFrom<float>(Enumerable.Repeat(value, n).ToArray());
                mine.Add((t, value));
            }
            foreach (var (t, value) in mine)
            {
                var back = t.ToArray<float>();
                if (back[0] != value || back[^1] != value)
                    throw new InvalidOperationException($"thread {id} round {round}: a tensor of {t.ElementCount} holds {back[0]}..{back[^1]}, wrote {value}");
            }
            kept = inner.MoveToOuter(mine[0].T);
            var view = mine[1].T.Reshape(-1);   // a view shares the block: disposed on another thread, it must not free it
            handOff[(id + 1) % Threads].Enqueue(inner.Detach(view));
            handOff[(id + 2) % Threads].Enqueue(inner.Detach(mine[2].T));
            mine[3].T.Dispose();
            Assert.Equal(3, inner.Count);   // mine[1], mine[4], mine[5]: the rest moved, detached or disposed
        }
        Assert.True(kept.Shape.Rank == 1 && !kept.IsDisposed);
        Assert.Equal(1, outer.Count);
    }

    [Fact]
    public void Four_threads_running_their_own_plans_of_one_graph_give_the_serial_results_bit_for_bit()
    {
        var dev = TestDevices.Cpu;
        var (graph, input) = ConvNet(dev);
        var inputs = Enumerable.Range(0, 4).Select(i => Rand.Uniform(100 + i, [2, 3, 12, 12]).ToFloats()).ToArray();
        var plans = Enumerable.Range(0, 4).Select(_ => ExecutionPlan.Compile(graph, dev)).ToArray();
        try
        {
            var output = graph.Outputs.Single();
            // Serial: each input through its plan, one after the other.
            var serial = new float[4][];
            for (int i = 0; i < 4; i++)
            {
                plans[i][input].CopyFrom<float>(inputs[i]);
                plans[i].Run();
                serial[i] = plans[i][output].ToArray<float>();
            }
            Assert.NotEqual(serial[0], serial[1]);
            // Concurrent: the same again, each plan on its own thread, 20 times, all four threads started together.
            var concurrent = new float[4][][];
            Together(4, i =>
            {
                concurrent[i] = new float[20][];
                for (int k = 0; k < 20; k++)
                {
                    plans[i][input].CopyFrom<float>(inputs[i]);
                    plans[i].Run();
                    concurrent[i][k] = plans[i][output].ToArray<float>();
                }
            });
            for (int i = 0; i < 4; i++)
                for (int k = 0; k < 20; k++)
                    Assert.True(Bits(serial[i]).SequenceEqual(Bits(concurrent[i][k])), $"plan {i}, run {k} differs from the serial run");
        }
        finally
        {
            foreach (var p in plans) p.Dispose();
        }
    }

    private static IEnumerable<int> Bits(float[] a) => a.Select(BitConverter.SingleToInt32Bits);

    /// <summary>Convolution, ReLU, a matrix product, layer normalisation and softmax: kernels with packing buffers,
    /// threads and row reductions.</summary>
    private static (ComputeGraph Graph, Value Input) ConvNet(IDevice dev)
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3, 12, 12);
        var w = g.Constant("w", Rand.Uniform(1, [8, 3, 3, 3]).ToDevice(dev));
        var b = g.Constant("b", Rand.Uniform(2, [8]).ToDevice(dev));
        var h = g.Relu(g.Conv2d(x, w, b, Conv2dParams.Square(1, 1)));
        var flat = g.Reshape(h, 2, 8 * 12 * 12);
        var m = g.MatMul(flat, g.Constant("m", Rand.Uniform(3, [8 * 12 * 12, 64]).ToDevice(dev)));
        var n = g.LayerNorm(m, g.Constant("gamma", Rand.Uniform(4, [64]).ToDevice(dev)), g.Constant("beta", Rand.Uniform(5, [64]).ToDevice(dev)),
            new LayerNormParams(-1, 1e-5f));
        g.Output(g.Softmax(n));
        return (g.Graph, x);
    }

    [Fact]
    public void Running_one_plan_from_two_threads_at_once_is_refused_naming_the_plan_and_node()
    {
        var dev = TestDevices.Cpu;
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 4);
        var held = g.Apply(new GateOp(entered, release), "gate", x)[0];
        g.Output(g.Relu(held, "relu"));
        using var plan = ExecutionPlan.Compile(g.Graph, dev);
        plan.Input("x").CopyFrom<float>([1, -2, 3, -4]);
        Exception? firstError = null;
        var first = new Thread(() =>
        {
            try { plan.Run(); }
            catch (Exception e) { firstError = e; }
        });
        first.Start();
        try
        {
            Assert.True(entered.Wait(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken), "the first run never reached the gate");
            // The first thread is inside Run, held at node "gate": a second run must be refused, not interleaved.
            var e = Assert.ThrowsAny<TesseraException>(plan.Run);
            Assert.Equal("ExecutionPlan.Run", e.Op);
            Assert.Contains("already running on another thread", e.Message);
            Assert.Contains("'gate'", e.Message);
            Assert.Contains("compile one plan per thread", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally
        {
            release.Set();
            first.Join();
        }
        Assert.Null(firstError);
        Assert.Equal(new float[] { 1, 0, 3, 0 }, plan[g.Graph.Outputs.Single()].ToArray<float>());
        // Released when the run ends, normally or not: the plan runs again on this thread.
        plan.Input("x").CopyFrom<float>([-1, 2, -3, 4]);
        plan.Run();
        Assert.Equal(new float[] { 0, 2, 0, 4 }, plan[g.Graph.Outputs.Single()].ToArray<float>());
    }

    [Fact]
    public void A_run_that_throws_releases_the_plan()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2);
        g.Output(g.Apply(new ThrowingOp(), "boom", x)[0]);
        using var plan = ExecutionPlan.Compile(g.Graph, TestDevices.Cpu);
        Assert.Throws<InvalidOperationException>(plan.Run);
        // A second run reaches the op again (it is not refused as "already running").
        Assert.Throws<InvalidOperationException>(plan.Run);
    }

    /// <summary>Copies its input to its output after signalling <c>entered</c> and waiting for <c>release</c>: holds a
    /// run at a known node for as long as the test needs.</summary>
    private sealed class GateOp(ManualResetEventSlim entered, ManualResetEventSlim release) : GraphOp
    {
        public override string Kind => "TestGate";
        public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs) => [inputs[0].Spec];

        public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs)
        {
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(60));
            outputs[0].CopyFrom<float>(inputs[0]!.ToArray<float>());
        }
    }

    private sealed class ThrowingOp : GraphOp
    {
        public override string Kind => "TestThrow";
        public override TensorSpec[] Infer(string node, IReadOnlyList<Value> inputs) => [inputs[0].Spec];
        public override void Run(ExecContext ctx, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) =>
            throw new InvalidOperationException("the op failed");
    }
}
