using Tessera.Kernels;

namespace Tessera.Graph.Operators;

/// <summary>Batch norm in training mode over the global batch of a group of replicas (PyTorch's SyncBatchNorm): the
/// forward pass sums each channel's values over the replicas for the mean, then the squared deviations for the
/// variance (two all-reduces of C floats), normalises with those and updates the running statistics with them; the
/// backward pass sums the per-channel Σdy and Σdy·x̂ over the replicas (one all-reduce of 2C floats), so that dx is the
/// gradient through the global statistics. dgamma and dbeta stay this replica's sums: the data-parallel gradient
/// average makes them the global batch's. The shards are equal, so the global count is the local one × the replicas.
/// The statistics are combined in double on the host (C values).</summary>
internal static class ReplicaBatchNorm
{
    public static void Forward(ExecContext ctx, IReplicaGroup group, BatchNormParams p, Tensor x, Tensor gamma, Tensor beta,
        Tensor runningMean, Tensor runningVar, Tensor y, Tensor saveMean, Tensor saveInvStd)
    {
        var (c, axes, broadcast, total) = Layout(x, group);
        using var sum = Ops.Sum(x, axes);
        group.SumAcross(sum);
        var mean = sum.ToArray<float>().Select(s => s / total).ToArray();
        var meanF = mean.Select(m => (float)m).ToArray();
        double[] sq;
        using (var meanB = Tensor.FromArray(x.Device, meanF, broadcast))
        using (var d = Ops.Sub(x, meanB))
        using (var d2 = Ops.Mul(d, d))
        using (var s2 = Ops.Sum(d2, axes))
        {
            group.SumAcross(s2);
            sq = s2.ToArray<float>().Select(v => (double)v).ToArray();
        }
        var varF = new float[c];
        var invStd = new float[c];
        var rm = runningMean.ToArray<float>();
        var rv = runningVar.ToArray<float>();
        for (int ch = 0; ch < c; ch++)
        {
            double var = sq[ch] / total;
            varF[ch] = (float)var;
            invStd[ch] = (float)(1.0 / Math.Sqrt(var + p.Epsilon));
            rm[ch] = (float)((1 - p.Momentum) * rm[ch] + p.Momentum * mean[ch]);
            rv[ch] = (float)((1 - p.Momentum) * rv[ch] + p.Momentum * (sq[ch] / (total - 1)));
        }
        saveMean.CopyFrom<float>(meanF);
        saveInvStd.CopyFrom<float>(invStd);
        using (var meanC = Tensor.FromArray(x.Device, meanF, c))
        using (var varC = Tensor.FromArray(x.Device, varF, c))
            ctx.Kernels.BatchNormInference(x, gamma, beta, meanC, varC, y, p);
        runningMean.CopyFrom<float>(rm);
        runningVar.CopyFrom<float>(rv);
    }

    public static void Backward(ExecContext ctx, IReplicaGroup group, BatchNormParams p, Tensor x, Tensor dy, Tensor gamma,
        Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta)
    {
        // The kernel gives this replica's Σdy·x̂ and Σdy (with the global statistics); its dx is replaced below.
        ctx.Kernels.BatchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, p);
        var (c, _, broadcast, total) = Layout(x, group);
        using var sums = Tensor.FromArray(x.Device, [.. dbeta.ToArray<float>(), .. dgamma.ToArray<float>()], 2 * c);
        group.SumAcross(sums);
        var s = sums.ToArray<float>();
        var g = gamma.ToArray<float>();
        var mu = saveMean.ToArray<float>();
        var r = saveInvStd.ToArray<float>();
        // dx = γr(dy − ΣDy/N − x̂ ΣDy·x̂/N) with x̂ = (x − μ)r: dy·A + x·B + C per channel.
        float[] a = new float[c], b = new float[c], k = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double gr = (double)g[ch] * r[ch];
            double bb = -gr * r[ch] * s[c + ch] / total;
            a[ch] = (float)gr;
            b[ch] = (float)bb;
            k[ch] = (float)(-gr * s[ch] / total - bb * mu[ch]);
        }
        using var at = Tensor.FromArray(x.Device, a, broadcast);
        using var bt = Tensor.FromArray(x.Device, b, broadcast);
        using var kt = Tensor.FromArray(x.Device, k, broadcast);
        using var dyA = Ops.Mul(dy, at);
        using var xB = Ops.Mul(x, bt);
        using var sum = Ops.Add(dyA, xB);
        using var result = Ops.Add(sum, kt);
        ctx.Kernels.Copy(result, dx);
    }

    /// <summary>Channels, the axes to reduce (all but 1), the broadcast shape [1, C, 1, ...] and the global count per channel.</summary>
    private static (int C, int[] Axes, int[] Broadcast, double Total) Layout(Tensor x, IReplicaGroup group)
    {
        int rank = x.Shape.Rank, c = x.Shape[1];
        var axes = Enumerable.Range(0, rank).Where(a => a != 1).ToArray();
        var broadcast = Enumerable.Range(0, rank).Select(a => a == 1 ? c : 1).ToArray();
        double local = c == 0 ? 0 : (double)x.ElementCount / c;
        return (c, axes, broadcast, local * group.Count);
    }
}
