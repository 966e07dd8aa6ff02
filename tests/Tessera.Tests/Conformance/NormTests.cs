using Tessera.Devices;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>CPU batch norm, layer norm and dropout against the reference. Tolerances: forward atol 1e-5 / rtol 1e-4
/// (float32 statistics over ≤ a few thousand values); backward atol 1e-4 / rtol 1e-3, because dx subtracts
/// per-channel/per-row sums of comparable magnitude (cancellation in float32).</summary>
public class NormTests
{
    private static IDevice Dev => TestDevices.Target;

    private static Tensor Upload(RefTensor r, bool strided) => strided ? r.ToDeviceStrided(Dev) : r.ToDevice(Dev);

    public static TheoryData<int[], bool> BatchNormCases()
    {
        var d = new TheoryData<int[], bool>();
        int[][] shapes =
        {
            new[] { 2, 3 }, new[] { 16, 17 }, new[] { 33, 5 }, new[] { 4, 5, 7 }, new[] { 2, 3, 16 }, new[] { 3, 2, 17 },
            new[] { 1, 4, 65 }, new[] { 130, 3 }, new[] { 70, 5, 3 }, new[] { 2, 3, 4, 5 }, new[] { 2, 4, 7, 9 }, new[] { 3, 0, 5 }, new[] { 2, 1, 1, 2 },
        };
        foreach (var s in shapes) { d.Add(s, false); d.Add(s, true); }
        return d;
    }

    private static (RefTensor x, RefTensor g, RefTensor b, RefTensor rm, RefTensor rv) BatchNormData(int[] shape, int seed)
    {
        int c = shape[1];
        return (Rand.Uniform(seed, shape, -2, 3), Rand.Uniform(seed + 1, new[] { c }, 0.5, 1.5), Rand.Uniform(seed + 2, new[] { c }, -1, 1),
            Rand.Uniform(seed + 3, new[] { c }, -0.5, 0.5), Rand.Uniform(seed + 4, new[] { c }, 0.5, 2));
    }

    [Theory]
    [MemberData(nameof(BatchNormCases))]
    [Covers(OpKind.BatchNormTraining)]
    public void BatchNormTrainingMatchesReference(int[] shape, bool strided)
    {
        var p = new BatchNormParams(1e-5f, 0.1f);
        var (x, g, b, rm, rv) = BatchNormData(shape, 11);
        var expected = RefNorm.BatchNormTraining(x, g, b, rm, rv, p);
        using var tx = Upload(x, strided);
        using var tg = g.ToDevice(Dev);
        using var tb = b.ToDevice(Dev);
        using var trm = rm.ToDevice(Dev);
        using var trv = rv.ToDevice(Dev);
        var (y, mean, inv) = Ops.BatchNormTraining(tx, tg, tb, trm, trv, p);
        using (y) using (mean) using (inv)
        {
            Approx.Equal(expected.Y, y, 1e-5, 1e-4, "y");
            Approx.Equal(expected.SaveMean, mean, 1e-5, 1e-4, "saveMean");
            Approx.Equal(expected.SaveInvStd, inv, 1e-5, 1e-4, "saveInvStd");
            Approx.Equal(expected.RunningMean, trm, 1e-5, 1e-4, "runningMean");
            Approx.Equal(expected.RunningVar, trv, 1e-5, 1e-4, "runningVar");
        }
    }

    [Theory]
    [MemberData(nameof(BatchNormCases))]
    [Covers(OpKind.BatchNormInference)]
    public void BatchNormInferenceMatchesReference(int[] shape, bool strided)
    {
        var p = new BatchNormParams(1e-3f);
        var (x, g, b, rm, rv) = BatchNormData(shape, 21);
        var expected = RefNorm.BatchNormInference(x, g, b, rm, rv, p);
        using var tx = Upload(x, strided);
        using var tg = g.ToDevice(Dev);
        using var tb = b.ToDevice(Dev);
        using var trm = rm.ToDevice(Dev);
        using var trv = rv.ToDevice(Dev);
        using var y = Ops.BatchNormInference(tx, tg, tb, trm, trv, p);
        Approx.Equal(expected, y, 1e-5, 1e-4, "y");
    }

    [Theory]
    [MemberData(nameof(BatchNormCases))]
    [Covers(OpKind.BatchNormBackward)]
    public void BatchNormBackwardMatchesReference(int[] shape, bool strided)
    {
        var p = new BatchNormParams(1e-5f);
        var (x, g, b, rm, rv) = BatchNormData(shape, 31);
        var dy = Rand.Uniform(35, shape);
        var fwd = RefNorm.BatchNormTraining(x, g, b, rm, rv, p);
        var (edx, edg, edb) = RefNorm.BatchNormBackward(x, dy, g, fwd.SaveMean, fwd.SaveInvStd);
        using var tx = Upload(x, strided);
        using var tdy = Upload(dy, strided);
        using var tg = g.ToDevice(Dev);
        using var tm = fwd.SaveMean.ToDevice(Dev);
        using var ti = fwd.SaveInvStd.ToDevice(Dev);
        var (dx, dg, db) = Ops.BatchNormBackward(tx, tdy, tg, tm, ti, p);
        using (dx) using (dg) using (db)
        {
            Approx.Equal(edx, dx, 1e-4, 1e-3, "dx");
            Approx.Equal(edg, dg, 1e-4, 1e-3, "dgamma");
            Approx.Equal(edb, db, 1e-4, 1e-3, "dbeta");
        }
    }

    public static TheoryData<int[], int, bool, bool> LayerNormCases()
    {
        var d = new TheoryData<int[], int, bool, bool>();
        (int[] Shape, int Axis)[] cases =
        {
            (new[] { 1 }, 0), (new[] { 15 }, -1), (new[] { 3, 16 }, 1), (new[] { 4, 17 }, -1), (new[] { 2, 31 }, 1),
            (new[] { 5, 33 }, 1), (new[] { 3, 63 }, -1), (new[] { 2, 65 }, 1), (new[] { 2, 257 }, 1), (new[] { 2, 3, 7 }, 1),
            (new[] { 2, 3, 7 }, 0), (new[] { 0, 8 }, 1), (new[] { 7, 1 }, 1), (new[] { 2, 2, 4, 5 }, 2), (new[] { 64, 128 }, 1),
        };
        foreach (var (s, a) in cases)
        {
            d.Add(s, a, true, false);
            d.Add(s, a, false, false);
            d.Add(s, a, true, true);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(LayerNormCases))]
    [Covers(OpKind.LayerNorm)]
    public void LayerNormMatchesReference(int[] shape, int axis, bool affine, bool strided)
    {
        int na = axis < 0 ? axis + shape.Length : axis;
        var p = new LayerNormParams(na, 1e-5f);
        var x = Rand.Uniform(41, shape, -3, 2);
        var affShape = shape[na..];
        var g = affine ? Rand.Uniform(42, affShape, 0.5, 1.5) : null;
        var b = affine ? Rand.Uniform(43, affShape) : null;
        var (ey, em, ei) = RefNorm.LayerNorm(x, g, b, p);
        using var tx = Upload(x, strided);
        using var tg = g?.ToDevice(Dev);
        using var tb = b is null ? null : Upload(b, strided);
        var (y, mean, inv) = Ops.LayerNorm(tx, tg, tb, new LayerNormParams(axis, 1e-5f));
        using (y) using (mean) using (inv)
        {
            Approx.Equal(ey, y, 1e-5, 1e-4, "y");
            Approx.Equal(em, mean, 1e-5, 1e-4, "mean");
            Approx.Equal(ei, inv, 1e-5, 1e-4, "invStd");
        }
    }

    [Theory]
    [MemberData(nameof(LayerNormCases))]
    [Covers(OpKind.LayerNormBackward)]
    public void LayerNormBackwardMatchesReference(int[] shape, int axis, bool affine, bool strided)
    {
        int na = axis < 0 ? axis + shape.Length : axis;
        var p = new LayerNormParams(na, 1e-5f);
        var x = Rand.Uniform(51, shape, -3, 2);
        var dy = Rand.Uniform(52, shape);
        var g = affine ? Rand.Uniform(53, shape[na..], 0.5, 1.5) : null;
        var (_, em, ei) = RefNorm.LayerNorm(x, g, null, p);
        var (edx, edg, edb) = RefNorm.LayerNormBackward(x, dy, g, em, ei, p, withBeta: affine);
        using var tx = Upload(x, strided);
        using var tdy = Upload(dy, strided);
        using var tg = g?.ToDevice(Dev);
        using var tm = em.ToDevice(Dev);
        using var ti = ei.ToDevice(Dev);
        var (dx, dg, db) = Ops.LayerNormBackward(tx, tdy, tg, tm, ti, new LayerNormParams(axis, 1e-5f), withBeta: affine);
        using (dx) using (dg) using (db)
        {
            Approx.Equal(edx, dx, 1e-4, 1e-3, "dx");
            Assert.Equal(affine, dg is not null);
            Assert.Equal(affine, db is not null);
            if (affine)
            {
                // dgamma/dbeta sum over up to 64 rows: same tolerance.
                Approx.Equal(edg!, dg!, 1e-4, 1e-3, "dgamma");
                Approx.Equal(edb!, db!, 1e-4, 1e-3, "dbeta");
            }
        }
    }

    /// <summary>Outputs ≥ 16 MB take the non-temporal store path; rows of 2052 floats make some rows misaligned.</summary>
    [Fact]
    public void LayerNormLargeOutputMatchesReference()
    {
        var shape = new[] { 2048, 2052 };
        var x = Rand.Uniform(91, shape, -2, 3);
        var g = Rand.Uniform(92, new[] { 2052 });
        var p = new LayerNormParams(1);
        var (ey, em, ei) = RefNorm.LayerNorm(x, g, null, p);
        using var tx = x.ToDevice(Dev);
        using var tg = g.ToDevice(Dev);
        var (y, mean, inv) = Ops.LayerNorm(tx, tg, null, p);
        using (y) using (mean) using (inv)
        {
            Approx.Equal(ey, y, 1e-5, 1e-4, "y");
            Approx.Equal(em, mean, 1e-5, 1e-4, "mean");
            Approx.Equal(ei, inv, 1e-5, 1e-4, "invStd");
        }
    }

    [Fact]
    public void LayerNormBackwardIsIndependentOfThreadCount()
    {
        var x = Rand.Uniform(61, new[] { 37, 40 });
        var dy = Rand.Uniform(62, new[] { 37, 40 });
        var g = Rand.Uniform(63, new[] { 40 });
        using var tx = x.ToDevice(Dev);
        using var tdy = dy.ToDevice(Dev);
        using var tg = g.ToDevice(Dev);
        var p = new LayerNormParams(1);
        var (_, m, i) = Ops.LayerNorm(tx, tg, null, p);
        int saved = TestDevices.TargetThreads;
        float[] first;
        try
        {
            TestDevices.TargetThreads = 1;
            var (a, ag, ab) = Ops.LayerNormBackward(tx, tdy, tg, m, i, p);
            first = ag!.ToArray<float>();
            a.Dispose(); ag.Dispose(); ab!.Dispose();
            TestDevices.TargetThreads = 3;
            var (b, bg, bb) = Ops.LayerNormBackward(tx, tdy, tg, m, i, p);
            var second = bg!.ToArray<float>();
            b.Dispose(); bg.Dispose(); bb!.Dispose();
            var expected = RefNorm.LayerNormBackward(x, dy, g, m.ToRef(), i.ToRef(), p, true).DGamma!;
            Approx.Equal(expected, first.Select(v => (double)v).ToArray(), 1e-4, 1e-3, "dgamma 1 thread");
            Approx.Equal(expected, second.Select(v => (double)v).ToArray(), 1e-4, 1e-3, "dgamma 3 threads");
        }
        finally
        {
            TestDevices.TargetThreads = saved;
            m.Dispose(); i.Dispose();
        }
    }

    public static TheoryData<int[], float, ulong, bool> DropoutCases()
    {
        var d = new TheoryData<int[], float, ulong, bool>();
        int[][] shapes = { new[] { 0 }, new[] { 1 }, new[] { 15 }, new[] { 16 }, new[] { 17 }, new[] { 3, 33 }, new[] { 5, 63 }, new[] { 257 }, new[] { 4, 4, 65 } };
        float[] ratios = { 0f, 0.1f, 0.5f, 0.9f };
        ulong seed = 1;
        foreach (var s in shapes)
            foreach (var r in ratios)
                d.Add(s, r, seed++ * 0x1234567, seed % 3 == 0);
        return d;
    }

    [Theory]
    [MemberData(nameof(DropoutCases))]
    [Covers(OpKind.Dropout, OpKind.DropoutBackward)]
    public void DropoutMatchesReference(int[] shape, float ratio, ulong seed, bool strided)
    {
        var p = new DropoutParams(ratio, seed);
        var x = Rand.Uniform(71, shape);
        var (ey, em) = RefNorm.Dropout(x, p);
        using var tx = Upload(x, strided);
        var (y, mask) = Ops.Dropout(tx, p);
        using (y) using (mask)
        {
            Approx.Equal(em, mask, 0, 0, "mask");
            Approx.Equal(ey, y, 1e-6, 1e-6, "y");
            var dy = Rand.Uniform(72, shape);
            using var tdy = Upload(dy, strided);
            using var dx = Ops.DropoutBackward(tdy, mask, p);
            Approx.Equal(RefNorm.DropoutBackward(dy, em, p), dx, 1e-6, 1e-6, "dx");
        }
    }

    [Fact]
    public void DropoutNotTrainingIsIdentity()
    {
        var x = Rand.Uniform(81, new[] { 7, 9 });
        using var tx = x.ToDevice(Dev);
        var p = new DropoutParams(0.5f, 3, Training: false);
        var (y, mask) = Ops.Dropout(tx, p);
        using (y) using (mask)
        {
            Assert.Equal(tx.ToArray<float>(), y.ToArray<float>());
            Assert.All(mask.ToArray<byte>(), m => Assert.Equal(1, m));
            using var dx = Ops.DropoutBackward(tx, mask, p);
            Assert.Equal(tx.ToArray<float>(), dx.ToArray<float>());
        }
    }

    [Fact]
    public void DropoutMaskIsAPureFunctionOfSeedAndIndex()
    {
        using var x = Tensor.Full(Dev, 1f, 4099);
        var p = new DropoutParams(0.3f, 42);
        var (y1, m1) = Ops.Dropout(x, p);
        var (y2, m2) = Ops.Dropout(x, p);
        var (y3, m3) = Ops.Dropout(x, p with { Seed = 43 });
        using (y1) using (m1) using (y2) using (m2) using (y3) using (m3)
        {
            Assert.Equal(m1.ToArray<byte>(), m2.ToArray<byte>());
            Assert.NotEqual(m1.ToArray<byte>(), m3.ToArray<byte>());
            // A prefix of a longer tensor has the same mask (index-based, not stream-based).
            using var small = Tensor.Full(Dev, 1f, 100);
            var (ys, ms) = Ops.Dropout(small, p);
            using (ys) using (ms) Assert.Equal(m1.ToArray<byte>()[..100], ms.ToArray<byte>());
        }
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    [InlineData(0.75f)]
    public void DropoutKeepsAboutOneMinusRatio(float ratio)
    {
        const int n = 1 << 20;
        using var x = Tensor.Full(Dev, 2f, n);
        var (y, mask) = Ops.Dropout(x, new DropoutParams(ratio, 20261124));
        using (y) using (mask)
        {
            long kept = mask.ToArray<byte>().Sum(b => (long)b);
            double q = 1 - ratio;
            double sigma = Math.Sqrt(n * q * (1 - q));
            // 6σ band: a correct generator leaves it with probability ~2e-9.
            Assert.InRange(kept, n * q - 6 * sigma, n * q + 6 * sigma);
            // Mean of y is preserved in expectation: Σy = 2·kept/(1−ratio).
            double sumY = y.ToArray<float>().Sum(v => (double)v);
            Assert.Equal(2.0 * kept / q, sumY, 1e-2 * n);
        }
    }
}
