using Tessera.Devices;
using Tessera.Graph.Operators;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Distributed;

/// <summary>Batch norm over a group of replicas (SyncBatchNorm): two replicas, each on half of a batch on its own thread,
/// compute what one process computes on the whole batch — outputs, statistics, running statistics and gradients.</summary>
public class ReplicaBatchNormTests
{
    private static readonly IDevice Dev = TestDevices.Cpu;

    /// <summary>Replicas on threads of this process: a sum across is a rendezvous of all of them.</summary>
    private sealed class ThreadReplicas(int count) : IDisposable
    {
        private readonly Barrier _barrier = new(count);
        private readonly float[][] _slots = new float[count][];

        public int Count => count;

        public IReplicaGroup For(int rank) => new Member(this, rank);

        public void Dispose() => _barrier.Dispose();

        private sealed class Member(ThreadReplicas group, int rank) : IReplicaGroup
        {
            public int Count => group.Count;

            public void SumAcross(Tensor tensor)
            {
                group._slots[rank] = tensor.ToArray<float>();
                group._barrier.SignalAndWait();
                var sum = new float[group._slots[0].Length];
                foreach (var slot in group._slots) for (int i = 0; i < sum.Length; i++) sum[i] += slot[i];
                group._barrier.SignalAndWait();
                tensor.CopyFrom<float>(sum);
            }
        }
    }

    private sealed record Result(float[] Y, float[] Mean, float[] InvStd, float[] RunningMean, float[] RunningVar, float[] Dx, float[] DGamma, float[] DBeta);

    private static Result Run(float[] x, float[] dy, int n, int c, int s, float[] gamma, float[] beta, IReplicaGroup? replicas)
    {
        var p = new BatchNormParams(1e-5f, 0.1f);
        using var ctx = new ExecContext(Dev) { Training = true, Replicas = replicas };
        using var xt = Tensor.FromArray(Dev, x, n, c, s, 2);
        using var dyt = Tensor.FromArray(Dev, dy, n, c, s, 2);
        using var g = Tensor.FromArray(Dev, gamma, c);
        using var b = Tensor.FromArray(Dev, beta, c);
        using var rm = Tensor.FromArray(Dev, Enumerable.Repeat(0.5f, c).ToArray(), c);
        using var rv = Tensor.FromArray(Dev, Enumerable.Repeat(2f, c).ToArray(), c);
        using var y = Tensor.Zeros(Dev, DType.Float32, n, c, s, 2);
        using var mean = Tensor.Zeros(Dev, DType.Float32, c);
        using var invStd = Tensor.Zeros(Dev, DType.Float32, c);
        new BatchNormGraphOp(p).Run(ctx, [xt, g, b, rm, rv], [y, mean, invStd]);
        using var dx = Tensor.Zeros(Dev, DType.Float32, n, c, s, 2);
        using var dg = Tensor.Zeros(Dev, DType.Float32, c);
        using var db = Tensor.Zeros(Dev, DType.Float32, c);
        new BatchNormBackwardOp(p).Run(ctx, [xt, dyt, g, mean, invStd], [dx, dg, db]);
        return new Result(y.ToArray<float>(), mean.ToArray<float>(), invStd.ToArray<float>(), rm.ToArray<float>(), rv.ToArray<float>(),
            dx.ToArray<float>(), dg.ToArray<float>(), db.ToArray<float>());
    }

    private static void Near(float[] expected, float[] actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void TwoReplicasOnHalvesComputeTheWholeBatch()
    {
        const int n = 6, c = 3, s = 4, half = n / 2, per = c * s * 2;
        var rng = new Random(5);
        // Shards of different statistics, so that a replica normalising its half alone gives other numbers.
        var x = Enumerable.Range(0, n * per).Select(i => (float)(rng.NextDouble() * 2 - 1 + (i < half * per ? 1.5 : -0.5))).ToArray();
        var dy = Enumerable.Range(0, n * per).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        float[] gamma = [1.5f, -0.5f, 0.75f], beta = [0.1f, 0.2f, -0.3f];
        var whole = Run(x, dy, n, c, s, gamma, beta, null);

        using var group = new ThreadReplicas(2);
        var parts = new Result[2];
        var threads = Enumerable.Range(0, 2).Select(r => new Thread(() =>
            parts[r] = Run(x[(r * half * per)..((r + 1) * half * per)], dy[(r * half * per)..((r + 1) * half * per)], half, c, s, gamma, beta, group.For(r)))).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)));

        const float tol = 2e-5f;
        Near(whole.Y, [.. parts[0].Y, .. parts[1].Y], tol, "y");
        Near(whole.Dx, [.. parts[0].Dx, .. parts[1].Dx], tol, "dx");
        Near(whole.DGamma, parts[0].DGamma.Zip(parts[1].DGamma, (a, b) => a + b).ToArray(), tol, "dgamma");
        Near(whole.DBeta, parts[0].DBeta.Zip(parts[1].DBeta, (a, b) => a + b).ToArray(), tol, "dbeta");
        foreach (var part in parts)
        {
            Near(whole.Mean, part.Mean, tol, "mean");
            Near(whole.InvStd, part.InvStd, tol, "invStd");
            Near(whole.RunningMean, part.RunningMean, tol, "running mean");
            Near(whole.RunningVar, part.RunningVar, tol, "running var");
        }
        // Alone, a replica normalises its half with its own statistics: other outputs.
        var alone = Run(x[..(half * per)], dy[..(half * per)], half, c, s, gamma, beta, null);
        Assert.True(alone.Y.Zip(parts[0].Y).Max(z => Math.Abs(z.First - z.Second)) > 0.1f);
    }
}
