using Tessera.Devices;
using Tessera.Distributed;
using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;
using Tessera.Tests.Support;

namespace Tessera.Tests.Distributed;

/// <summary>The data-parallel layer above the communicator: bucket planning, the trainer's gradient hook, and dropout
/// drawn for a shard as part of the global batch.</summary>
public class DataParallelTests
{
    private static readonly IDevice Dev = TestDevices.Cpu;

    [Fact]
    public void BucketsTakeTensorsLastToFirstWithASmallerFirstBucket()
    {
        // Sizes in bytes, parameter order; the plan walks them backwards.
        long[] bytes = [400, 100, 300, 200, 50, 60];
        var plan = DataParallel.PlanBuckets(bytes, cap: 500, firstCap: 120);
        Assert.Equal([[5, 4], [3, 2], [1, 0]], plan.Select(b => b.ToArray()).ToArray());
        // A tensor over the capacity gets a bucket of its own; every index appears once.
        var big = DataParallel.PlanBuckets([10, 1000, 10, 10], cap: 100, firstCap: 15);
        Assert.Equal([[3], [2], [1], [0]], big.Select(b => b.ToArray()).ToArray());
        Assert.Empty(DataParallel.PlanBuckets([], 100, 10));
    }

    [Fact]
    public void OneRankTrainsExactlyLikeNoDataParallelism()
    {
        const int batch = 8;
        var rng = new Random(3);
        var x = Enumerable.Range(0, batch * 12).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, batch).Select(i => (long)(i % 4)).ToArray();

        (float[] Losses, float[][] Params, IReadOnlyList<IReadOnlyList<string>> Buckets) Train(bool parallel)
        {
            var init = new Initializer(11);
            using var model = new Sequential(new Linear(Dev, init, 12, 16), Lambda.Relu(), new Dropout(0.25f, 5), new Linear(Dev, init, 16, 4));
            using var optimizer = new Adam(new LearningRateSchedule.Constant(0.01));
            // Buckets of 300 bytes (first 100): the four gradients (16×12, 16, 4×16, 4 floats) fall into several.
            using var dp = parallel ? new DataParallel(new LocalCommunicator(), model.State(), bucketBytes: 300, firstBucketBytes: 100) : null;
            dp?.BroadcastParameters(model.Parameters());
            using var trainer = new Trainer(model, Dev, batch, [12], optimizer, reducer: dp);
            var losses = Enumerable.Range(0, 4).Select(_ => trainer.Step(x, y)).ToArray();
            return (losses, model.Parameters().Select(p => p.Tensor.ToArray<float>()).ToArray(), dp?.Buckets ?? []);
        }

        var plain = Train(false);
        var parallel = Train(true);
        Assert.Equal(plain.Losses, parallel.Losses);
        Assert.Equal(plain.Params, parallel.Params);
        Assert.True(parallel.Buckets.Count >= 3, $"{parallel.Buckets.Count} buckets");
        // Every gradient in exactly one bucket.
        Assert.Equal(4, parallel.Buckets.Sum(b => b.Count));
        Assert.Equal(4, parallel.Buckets.SelectMany(b => b).Distinct().Count());
    }

    [Fact]
    public void BucketsStartDuringTheBackwardPassLastLayerFirst()
    {
        const int batch = 8;
        var rng = new Random(4);
        var x = Enumerable.Range(0, batch * 12).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, batch).Select(i => (long)(i % 4)).ToArray();
        var init = new Initializer(2);
        using var model = new Sequential(new Linear(Dev, init, 12, 16), Lambda.Relu(), new Linear(Dev, init, 16, 16),
            Lambda.Relu(), new Linear(Dev, init, 16, 4));
        using var optimizer = new Sgd(new LearningRateSchedule.Constant(0.01));
        var comm = new RecordingCommunicator();
        // One gradient per bucket: each all-reduce starts when the node producing its gradient has run.
        using var dp = new DataParallel(comm, model.State(), bucketBytes: 4, firstBucketBytes: 4);
        using var trainer = new Trainer(model, Dev, batch, [12], optimizer, reducer: dp);
        comm.Plan = trainer.TrainPlan;
        for (int step = 0; step < 2; step++)
        {
            comm.Started.Clear();
            trainer.Step(x, y);
            Assert.Equal(6, comm.Started.Count);                       // 3 weights, 3 biases
            Assert.All(comm.Started, s => Assert.True(s.Position >= 0, "an all-reduce started after the plan's run"));
            // Started as the backward pass went, with backward work still to run after the first.
            Assert.Equal(comm.Started.Select(s => s.Position).Order(), comm.Started.Select(s => s.Position));
            Assert.True(comm.Started[0].Position < trainer.TrainPlan.Schedule.Count - 1);
            // The last layer's gradients come first (the order the backward pass produces them).
            Assert.Equal([4L, 4 * 16], comm.Started.Take(2).Select(s => s.Elements).Order());
        }
    }

    /// <summary>A group of one that records, for each all-reduce, where the plan it serves was (the schedule position
    /// of the node being run; -1 outside a run) and how many elements it moved.</summary>
    private sealed class RecordingCommunicator : ICommunicator
    {
        private readonly LocalCommunicator _inner = new();
        public ExecutionPlan? Plan;
        public readonly List<(int Position, long Elements)> Started = new();
        public int Rank => 0;
        public int Size => 1;
        public string Name => "recording";
        public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(1);

        public CollectiveHandle AllReduceAsync(Tensor tensor, ReduceOp op = ReduceOp.Sum)
        {
            int position = Plan?.Context.Node is { } n ? Plan.Schedule.ToList().IndexOf(n) : -1;
            Started.Add((position, tensor.ElementCount));
            return _inner.AllReduceAsync(tensor, op);
        }

        public CollectiveHandle ReduceScatterAsync(Tensor input, Tensor output, ReduceOp op = ReduceOp.Sum) => _inner.ReduceScatterAsync(input, output, op);
        public CollectiveHandle AllGatherAsync(Tensor input, Tensor output) => _inner.AllGatherAsync(input, output);
        public CollectiveHandle BroadcastAsync(Tensor tensor, int root = 0) => _inner.BroadcastAsync(tensor, root);
        public CollectiveHandle BarrierAsync() => _inner.BarrierAsync();
        public void Dispose() => _inner.Dispose();
    }

    [Fact]
    public void DropoutOfAShardIsThatPartOfTheGlobalBatch()
    {
        const int shard = 3, features = 5;
        var rng = new Random(9);
        var global = Enumerable.Range(0, 2 * shard * features).Select(_ => (float)rng.NextDouble() + 0.5f).ToArray();

        float[] Run(int rows, float[] data, long offset)
        {
            var g = new GraphBuilder();
            var x = g.Input("x", DType.Float32, rows, features);
            var d = g.Dropout(x, 0.5f, 42);
            g.Output(d);
            using var plan = ExecutionPlan.Compile(g.Graph, Dev);
            plan.Context.Step = 7;
            plan.Context.SampleOffset = offset;
            plan.Input("x").CopyFrom<float>(data);
            plan.Run();
            return plan[d].ToArray<float>();
        }

        var whole = Run(2 * shard, global, 0);
        var first = Run(shard, global[..(shard * features)], 0);
        var second = Run(shard, global[(shard * features)..], shard);
        Assert.Equal(whole, first.Concat(second).ToArray());
        // Without the offset the second shard draws the first shard's mask (a different one).
        Assert.NotEqual(whole[(shard * features)..], Run(shard, global[(shard * features)..], 0));
    }
}
