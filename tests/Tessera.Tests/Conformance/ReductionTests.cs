using Tessera.Devices;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>Reductions, arg-max, softmax and losses on the CPU against the double reference. Sums accumulate in float
/// (vector lanes, then partials): their absolute tolerance grows with the number of summed terms (1e-6 per term on
/// inputs in [-1, 1], far above the ~√n·6e-8 typical error, well below a wrong answer); other results use atol 1e-5,
/// rtol 1e-4.</summary>
public class ReductionTests
{
    private static IDevice Dev => TestDevices.Target;

    private static readonly (int[] Shape, int[] Axes, bool Strided)[] ReduceShapes =
    {
        (new[] { 17 }, Array.Empty<int>(), false), (new[] { 1 }, new[] { 0 }, false), (new[] { 257 }, new[] { 0 }, false),
        (new[] { 33, 65 }, new[] { 1 }, false), (new[] { 33, 65 }, new[] { 0 }, false), (new[] { 33, 65 }, new[] { -1, 0 }, false),
        (new[] { 4, 5, 6 }, new[] { 0, 2 }, false), (new[] { 4, 5, 6 }, new[] { 1 }, false), (new[] { 2, 3, 4, 5 }, new[] { 1, 3 }, false),
        (new[] { 3, 1, 5 }, new[] { 1 }, false), (new[] { 7, 9 }, new[] { 0 }, true), (new[] { 7, 9 }, new[] { 1 }, true),
        (new[] { 70001 }, new[] { 0 }, false), (new[] { 300, 301 }, new[] { 0 }, false), (new[] { 5, 3, 4 }, new[] { 2, 0 }, true),
        (new[] { 2, 0, 3 }, new[] { 2 }, false), (new[] { 20000, 3 }, new[] { 0 }, false), (new[] { 3, 1000, 2, 5 }, new[] { 1, 3 }, false),
    };

    public static TheoryData<ReduceOp, int, bool> ReduceCases()
    {
        var d = new TheoryData<ReduceOp, int, bool>();
        foreach (var op in Enum.GetValues<ReduceOp>())
            for (int i = 0; i < ReduceShapes.Length; i++) d.Add(op, i, i % 2 == 0);
        d.Add(ReduceOp.Sum, 0, true);
        return d;
    }

    private static Tensor Upload(RefTensor r, bool strided) => strided ? r.ToDeviceStrided(Dev) : r.ToDevice(Dev);

    private static ReduceParams Normalise(int[] shape, int[] axes, bool keep) =>
        new(Check.Axes("test", axes, shape.Length), keep);

    private static long Count(int[] shape, ReduceParams p)
    {
        long n = 1;
        foreach (var a in p.Axes) n *= shape[a];
        return n;
    }

    [Theory]
    [MemberData(nameof(ReduceCases))]
    [Covers(OpKind.Reduce)]
    public void ReduceMatchesReference(ReduceOp op, int shapeCase, bool keepDims)
    {
        var (shape, axes, strided) = ReduceShapes[shapeCase];
        var xr = Rand.Uniform(100 + shapeCase, shape);
        using var x = Upload(xr, strided);
        using var y = Ops.Reduce(op, x, axes, keepDims);
        var p = Normalise(shape, axes, keepDims);
        Approx.Equal(RefReduction.Reduce(op, xr, p), y, 1e-5 + 1e-6 * Count(shape, p), 1e-4, $"{op} {string.Join("x", shape)} axes [{string.Join(",", axes)}]");
    }

    [Theory]
    [MemberData(nameof(ReduceCases))]
    [Covers(OpKind.ReduceBackward)]
    public void ReduceBackwardMatchesReference(ReduceOp op, int shapeCase, bool keepDims)
    {
        var (shape, axes, strided) = ReduceShapes[shapeCase];
        var xr = Rand.Uniform(200 + shapeCase, shape);
        var p = Normalise(shape, axes, keepDims);
        var yr = RefReduction.Reduce(op, xr, p);
        var dyr = Rand.Uniform(300 + shapeCase, yr.Shape);
        using var x = Upload(xr, strided);
        using var dy = Upload(dyr, strided);
        using var dx = Ops.ReduceBackward(op, x, null, dy, axes, keepDims);
        Approx.Equal(RefReduction.ReduceBackward(op, xr, dyr, p), dx, 1e-6, 1e-5, $"{op}' {string.Join("x", shape)}");
    }

    [Fact]
    public void MaxGradientGoesToFirstOfTies()
    {
        using var x = Tensor.FromArray(Dev, new float[] { 1, 5, 5, 2, 7, 7, 7, 0 }, 2, 4);
        using var dy = Tensor.FromArray(Dev, new float[] { 10, 20 }, 2);
        using var dx = Ops.ReduceBackward(ReduceOp.Max, x, null, dy, new[] { 1 });
        Assert.Equal(new float[] { 0, 10, 0, 0, 20, 0, 0, 0 }, dx.ToArray<float>());
        using var dxc = Ops.ReduceBackward(ReduceOp.Min, x, null, dy, new[] { 1 });
        Assert.Equal(new float[] { 10, 0, 0, 0, 0, 0, 0, 20 }, dxc.ToArray<float>());
    }

    [Fact]
    public void SumOfEmptyIsZeroAndMeanIsNaN()
    {
        using var x = Tensor.Empty(Dev, DType.Float32, 3, 0);
        using var s = Ops.Sum(x, new[] { 1 });
        Assert.Equal(new float[] { 0, 0, 0 }, s.ToArray<float>());
        using var m = Ops.Mean(x, new[] { 1 });
        Assert.All(m.ToArray<float>(), v => Assert.True(float.IsNaN(v)));
    }

    // ---- ArgMax ----

    public static TheoryData<int[], int, bool, bool, bool> ArgMaxCases()
    {
        var d = new TheoryData<int[], int, bool, bool, bool>();
        var shapes = new (int[] S, int Axis, bool Strided)[]
        {
            (new[] { 1 }, 0, false), (new[] { 17 }, 0, false), (new[] { 33, 65 }, 0, false), (new[] { 33, 65 }, 1, false),
            (new[] { 4, 5, 6 }, 1, false), (new[] { 5, 7 }, -1, true), (new[] { 3, 2000 }, 0, false), (new[] { 2, 3, 0 }, 1, false),
        };
        foreach (var (s, axis, strided) in shapes)
            foreach (var last in new[] { false, true })
                d.Add(s, axis, strided, last, axis == 0);
        return d;
    }

    [Theory]
    [MemberData(nameof(ArgMaxCases))]
    [Covers(OpKind.ArgMax)]
    public void ArgMaxMatchesReference(int[] shape, int axis, bool strided, bool last, bool keepDims)
    {
        // Small integers so that ties are common: first vs last occurrence matters.
        var xr = Rand.Ints(7 + shape.Length, shape, 4);
        using var x = Upload(xr, strided);
        using var idx = Ops.ArgMax(x, axis, keepDims, last);
        Assert.Equal(DType.Int64, idx.DType);
        var p = new ArgReduceParams(Shape.NormalizeAxis(axis, shape.Length, "test"), keepDims, last);
        Approx.Equal(RefReduction.ArgMax(xr, p), idx, 0, 0, "argmax");
    }

    [Fact]
    public void NaNIsTheMaximumForArgMaxAndPropagatesThroughMax()
    {
        float n = float.NaN;
        using var x = Tensor.FromArray(Dev, new float[] { 1, n, 3, n, 2, 5, 5, 0 }, 2, 4);
        using var first = Ops.ArgMax(x, 1);
        Assert.Equal(new long[] { 1, 1 }, first.ToArray<long>());
        using var last = Ops.ArgMax(x, 1, selectLastIndex: true);
        Assert.Equal(new long[] { 3, 2 }, last.ToArray<long>());
        using var mx = Ops.Max(x, new[] { 1 });
        var m = mx.ToArray<float>();
        Assert.True(float.IsNaN(m[0]));
        Assert.Equal(5f, m[1]);
        using var big = Tensor.FromArray(Dev, Enumerable.Range(0, 100).Select(i => i == 77 ? n : (float)i).ToArray(), 100);
        using var bm = Ops.Max(big);
        Assert.True(float.IsNaN(bm.Item<float>()));
    }

    // ---- Softmax ----

    private static readonly (int[] Shape, int Axis, bool Strided)[] SoftmaxShapes =
    {
        (new[] { 1 }, 0, false), (new[] { 17 }, 0, false), (new[] { 33, 65 }, 1, false), (new[] { 33, 65 }, 0, false),
        (new[] { 4, 5, 6 }, 1, false), (new[] { 2, 3, 1025 }, 2, false), (new[] { 3, 2000 }, 0, false),
        (new[] { 9, 17 }, -1, true), (new[] { 9, 17 }, 0, true), (new[] { 0, 5 }, 1, false), (new[] { 4, 1, 3 }, 1, false),
    };

    public static TheoryData<int, bool> SoftmaxCases()
    {
        var d = new TheoryData<int, bool>();
        for (int i = 0; i < SoftmaxShapes.Length; i++) { d.Add(i, false); d.Add(i, true); }
        return d;
    }

    [Theory]
    [MemberData(nameof(SoftmaxCases))]
    [Covers(OpKind.Softmax)]
    public void SoftmaxMatchesReference(int shapeCase, bool log)
    {
        var (shape, axis, strided) = SoftmaxShapes[shapeCase];
        // Wide range: the max subtraction must keep exp from overflowing (inputs up to ±60).
        var xr = Rand.Uniform(400 + shapeCase, shape, -60, 60);
        using var x = Upload(xr, strided);
        using var y = log ? Ops.LogSoftmax(x, axis) : Ops.Softmax(x, axis);
        var p = new SoftmaxParams(Shape.NormalizeAxis(axis, shape.Length, "test"), log);
        Approx.Equal(RefReduction.Softmax(xr, p), y, 1e-5, 1e-4, $"{(log ? "log" : "")}softmax {string.Join("x", shape)} axis {axis}");
    }

    [Theory]
    [MemberData(nameof(SoftmaxCases))]
    [Covers(OpKind.SoftmaxBackward)]
    public void SoftmaxBackwardMatchesReference(int shapeCase, bool log)
    {
        var (shape, axis, strided) = SoftmaxShapes[shapeCase];
        var xr = Rand.Uniform(500 + shapeCase, shape, -3, 3);
        var dyr = Rand.Uniform(600 + shapeCase, shape);
        int ax = Shape.NormalizeAxis(axis, shape.Length, "test");
        var p = new SoftmaxParams(ax, log);
        var yr = RefReduction.Softmax(xr, p);
        using var y = Upload(yr, strided);
        using var dy = Upload(dyr, strided);
        using var dx = Ops.SoftmaxBackward(y, dy, axis, log);
        Approx.Equal(RefReduction.SoftmaxBackward(xr, dyr, p), dx, 1e-5, 1e-4, $"{(log ? "log" : "")}softmax' {string.Join("x", shape)}");
    }

    [Fact]
    public void SoftmaxIsStableForHugeLogits()
    {
        using var x = Tensor.FromArray(Dev, new float[] { 1000, 1001, 1002, -1000 }, 1, 4);
        using var y = Ops.Softmax(x);
        var r = RefReduction.Softmax(x.ToRef(), new SoftmaxParams(1));
        Approx.Equal(r, y, 1e-6, 1e-5, "huge logits");
        using var l = Ops.LogSoftmax(x);
        Approx.Equal(RefReduction.Softmax(x.ToRef(), new SoftmaxParams(1, true)), l, 1e-5, 1e-6, "huge logits log");
    }

    // ---- Cross-entropy ----

    public static TheoryData<int, int, bool, LossReduction, float, bool> CrossEntropyCases() => new()
    {
        { 8, 5, true, LossReduction.Mean, 0f, false },
        { 8, 5, true, LossReduction.Sum, 0.1f, false },
        { 8, 5, true, LossReduction.None, 0.2f, false },
        { 1, 1, true, LossReduction.Mean, 0f, false },
        { 33, 65, true, LossReduction.Mean, 0.1f, false },
        { 17, 1000, true, LossReduction.Sum, 0f, false },
        { 13, 7, true, LossReduction.None, 0f, true },
        { 8, 5, false, LossReduction.Mean, 0f, false },
        { 8, 5, false, LossReduction.None, 0.3f, false },
        { 33, 17, false, LossReduction.Sum, 0.1f, false },
        { 9, 33, false, LossReduction.Mean, 0.05f, true },
        { 0, 5, true, LossReduction.Sum, 0f, false },
        { 300, 257, true, LossReduction.Mean, 0.1f, false },
    };

    private static (RefTensor Logits, RefTensor Target, CrossEntropyParams P) CeInputs(int n, int c, bool indices, LossReduction red, float eps, int seed)
    {
        var logits = Rand.Uniform(seed, new[] { n, c }, -4, 4);
        var p = new CrossEntropyParams(red, IgnoreIndex: 3, LabelSmoothing: eps);
        RefTensor target;
        if (indices)
        {
            target = Rand.Ints(seed + 1, new[] { n }, c);
            if (c > 3) for (int i = 0; i < n; i += 4) target.Data[i] = 3; // some ignored samples
        }
        else
        {
            // Probabilities; the last sample's row is left unnormalised (sums to ~C/2) to test Σq ≠ 1.
            target = Rand.Uniform(seed + 1, new[] { n, c }, 0, 1);
            for (int i = 0; i < n - 1; i++)
            {
                double s = 0;
                for (int j = 0; j < c; j++) s += target.Data[i * c + j];
                for (int j = 0; j < c; j++) target.Data[i * c + j] = (float)(target.Data[i * c + j] / s);
            }
        }
        return (logits, target, p);
    }

    private static Tensor UploadTarget(RefTensor t, bool indices) => indices ? t.ToDeviceInt64(Dev) : t.ToDevice(Dev);

    [Theory]
    [MemberData(nameof(CrossEntropyCases))]
    [Covers(OpKind.CrossEntropy)]
    public void CrossEntropyMatchesReference(int n, int c, bool indices, LossReduction red, float eps, bool strided)
    {
        var (lr, tr, p) = CeInputs(n, c, indices, red, eps, 700 + n + c);
        using var logits = Upload(lr, strided);
        using var target = UploadTarget(tr, indices);
        using var loss = Ops.CrossEntropy(logits, target, p);
        Approx.Equal(RefReduction.CrossEntropy(lr, tr, indices, p), loss, 1e-5 * Math.Max(1, n), 1e-4, $"CE n={n} c={c}");
    }

    [Theory]
    [MemberData(nameof(CrossEntropyCases))]
    [Covers(OpKind.CrossEntropyBackward)]
    public void CrossEntropyBackwardMatchesReference(int n, int c, bool indices, LossReduction red, float eps, bool strided)
    {
        var (lr, tr, p) = CeInputs(n, c, indices, red, eps, 800 + n + c);
        var dlr = red == LossReduction.None ? Rand.Uniform(900, new[] { n }) : RefTensor.Scalar(0.75);
        using var logits = Upload(lr, strided);
        using var target = UploadTarget(tr, indices);
        using var dl = dlr.ToDevice(Dev);
        using var dx = Ops.CrossEntropyBackward(logits, target, dl, p);
        Approx.Equal(RefReduction.CrossEntropyBackward(lr, tr, indices, dlr, p), dx, 1e-6, 1e-4, $"CE' n={n} c={c}");
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.1f)]
    public void CrossEntropyIsStableForLargeLogits(float eps)
    {
        // Logits around 1000: computing lse − x_t as (m + log s) − x_t would lose ~6e-5 to the rounding of 1000 + log s.
        var lr = Rand.Uniform(5, new[] { 6, 9 }, 995, 1005);
        var tr = Rand.Ints(6, new[] { 6 }, 9);
        var p = new CrossEntropyParams(LossReduction.None, LabelSmoothing: eps);
        using var logits = lr.ToDevice(Dev);
        using var target = tr.ToDeviceInt64(Dev);
        using var loss = Ops.CrossEntropy(logits, target, p);
        Approx.Equal(RefReduction.CrossEntropy(lr, tr, true, p), loss, eps == 0 ? 2e-6 : 2e-5, 1e-5, "large logits");
    }

    [Fact]
    public void CrossEntropyDefaultsArePyTorchs()
    {
        // Mean reduction and IgnoreIndex −100 by default: a sample with target −100 is left out of the mean.
        var lr = Rand.Uniform(1, new[] { 3, 4 });
        var tr = new RefTensor(new[] { 3 }, new double[] { 1, -100, 2 });
        using var logits = lr.ToDevice(Dev);
        using var target = tr.ToDeviceInt64(Dev);
        using var loss = Ops.CrossEntropy(logits, target);
        Assert.Equal(0, loss.Rank);
        Approx.Equal(RefReduction.CrossEntropy(lr, tr, true, new CrossEntropyParams(LossReduction.Mean, IgnoreIndex: -100)), loss, 1e-5, 1e-5, "defaults");
    }

    // ---- MSE ----

    public static TheoryData<int[], LossReduction, bool> MseCases()
    {
        var d = new TheoryData<int[], LossReduction, bool>();
        foreach (var red in Enum.GetValues<LossReduction>())
        {
            d.Add(new[] { 0 }, red, false);
            d.Add(new[] { 1 }, red, false);
            d.Add(new[] { 33 }, red, false);
            d.Add(new[] { 7, 19 }, red, true);
            d.Add(new[] { 70001 }, red, false);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(MseCases))]
    [Covers(OpKind.MseLoss)]
    public void MseLossMatchesReference(int[] shape, LossReduction red, bool strided)
    {
        var ar = Rand.Uniform(1000, shape);
        var br = Rand.Uniform(1001, shape);
        using var a = Upload(ar, strided);
        using var b = Upload(br, strided);
        using var loss = Ops.MseLoss(a, b, red);
        long n = ar.Length;
        Approx.Equal(RefReduction.MseLoss(ar, br, red), loss, red == LossReduction.Sum ? 1e-5 + 4e-6 * n : 1e-5, 1e-4, $"mse {red}");
    }

    [Theory]
    [MemberData(nameof(MseCases))]
    [Covers(OpKind.MseLossBackward)]
    public void MseLossBackwardMatchesReference(int[] shape, LossReduction red, bool strided)
    {
        var ar = Rand.Uniform(1100, shape);
        var br = Rand.Uniform(1101, shape);
        var dlr = red == LossReduction.None ? Rand.Uniform(1102, shape) : RefTensor.Scalar(1.25);
        using var a = Upload(ar, strided);
        using var b = Upload(br, strided);
        using var dl = Upload(dlr, strided && red == LossReduction.None);
        using var da = Ops.MseLossBackward(a, b, dl, red);
        Approx.Equal(RefReduction.MseLossBackward(ar, br, dlr, red), da, 1e-6, 1e-4, $"mse' {red}");
    }

    // ---- Global pooling ----

    public static TheoryData<int[], bool> PoolCases() => new()
    {
        { new[] { 2, 3, 4, 5 }, false }, { new[] { 1, 1, 1, 1 }, false }, { new[] { 2, 5, 17, 9 }, true }, { new[] { 3, 16, 7, 7 }, false },
    };

    [Theory]
    [MemberData(nameof(PoolCases))]
    [Covers(OpKind.Reduce)]
    public void GlobalPoolingMatchesReference(int[] shape, bool strided)
    {
        var xr = Rand.Uniform(1200, shape);
        var p = new ReduceParams(new[] { 2, 3 }, true);
        using var x = Upload(xr, strided);
        using var avg = Ops.GlobalAvgPool2d(x);
        using var max = Ops.GlobalMaxPool2d(x);
        Assert.Equal(new[] { shape[0], shape[1], 1, 1 }, avg.Shape.ToArray());
        Approx.Equal(RefReduction.Reduce(ReduceOp.Mean, xr, p), avg, 1e-5, 1e-4, "gap");
        Approx.Equal(RefReduction.Reduce(ReduceOp.Max, xr, p), max, 0, 0, "gmp");
        var dyr = Rand.Uniform(1201, new[] { shape[0], shape[1], 1, 1 });
        using var dy = dyr.ToDevice(Dev);
        using var davg = Ops.GlobalAvgPool2dBackward(x, dy);
        using var dmax = Ops.GlobalMaxPool2dBackward(x, max, dy);
        Approx.Equal(RefReduction.ReduceBackward(ReduceOp.Mean, xr, dyr, p), davg, 1e-6, 1e-5, "gap'");
        Approx.Equal(RefReduction.ReduceBackward(ReduceOp.Max, xr, dyr, p), dmax, 0, 0, "gmp'");
    }
}
