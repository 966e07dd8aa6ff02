using Tessera.Devices;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>Element-wise ops on the CPU against the double reference. Tolerance atol 1e-5, rtol 1e-4 unless noted:
/// float32 results of O(1) magnitude; the vector exp/log/erf/tanh/pow formulas are within a few ulp, erf within 3e-7.</summary>
public class ElementwiseTests
{
    private static IDevice Dev => TestDevices.Target;

    // Shapes: empty, one, lengths around the 4/8/16-lane widths and the 64-element unrolled loop, a tensor big enough
    // to be split across threads (the parallel grain is 32768), and multi-dimensional ones.
    private static readonly int[][] UnaryShapes =
    {
        new[] { 0 }, new[] { 1 }, new[] { 15 }, new[] { 16 }, new[] { 17 }, new[] { 31 }, new[] { 33 }, new[] { 63 },
        new[] { 65 }, new[] { 257 }, new[] { 3, 5, 7 }, new[] { 70001 },
    };

    /// <summary>Every unary op's parameters and input range (positive where the function needs it). The cases below are
    /// built from <see cref="UnaryOp"/>'s values: an op missing here gets one failing case that names it.</summary>
    public static readonly IReadOnlyDictionary<UnaryOp, (UnaryParams P, double Lo, double Hi)> UnaryParameters =
        new Dictionary<UnaryOp, (UnaryParams, double, double)>
        {
            [UnaryOp.Identity] = (default, -3, 3), [UnaryOp.Neg] = (default, -3, 3), [UnaryOp.Abs] = (default, -3, 3),
            [UnaryOp.Exp] = (default, -5, 5), [UnaryOp.Log] = (default, 0.05, 5), [UnaryOp.Sqrt] = (default, 0.05, 5),
            [UnaryOp.Reciprocal] = (default, 0.2, 4), [UnaryOp.Relu] = (default, -3, 3), [UnaryOp.LeakyRelu] = (new(0.1f), -3, 3),
            [UnaryOp.Sigmoid] = (default, -8, 8), [UnaryOp.HardSigmoid] = (new(1f / 6, 0.5f), -5, 5), [UnaryOp.Tanh] = (default, -4, 4),
            [UnaryOp.Erf] = (default, -4, 4), [UnaryOp.GeluErf] = (default, -5, 5), [UnaryOp.GeluTanh] = (default, -5, 5),
            [UnaryOp.PowScalar] = (new(2.5f), 0.1, 3), [UnaryOp.Clamp] = (new(-0.5f, 0.7f), -2, 2), [UnaryOp.Affine] = (new(1.5f, -0.25f), -3, 3),
            [UnaryOp.Silu] = (default, -8, 8), [UnaryOp.HardSwish] = (default, -5, 5),
        };

    public static TheoryData<UnaryOp, int[], bool> UnaryCases()
    {
        var d = new TheoryData<UnaryOp, int[], bool>();
        foreach (var op in Enum.GetValues<UnaryOp>())
        {
            if (!UnaryParameters.ContainsKey(op)) { d.Add(op, new[] { 1 }, false); continue; }
            foreach (var s in UnaryShapes) d.Add(op, s, false);
            d.Add(op, new[] { 5, 33 }, true);
            d.Add(op, new[] { 37, 300 }, true); // transposed view: 16-row tiles gathered by vector loads, ragged edges
        }
        return d;
    }

    public static TheoryData<UnaryOp, int[], bool> UnaryBackwardCases()
    {
        var d = new TheoryData<UnaryOp, int[], bool>();
        foreach (var op in Enum.GetValues<UnaryOp>())
        {
            if (!UnaryParameters.ContainsKey(op)) { d.Add(op, new[] { 1 }, false); continue; }
            d.Add(op, new[] { 0 }, false);
            d.Add(op, new[] { 33 }, false);
            d.Add(op, new[] { 70001 }, false);
            d.Add(op, new[] { 7, 19 }, true);
            d.Add(op, new[] { 2, 35, 260 }, true);
        }
        return d;
    }

    private static (UnaryParams P, double Lo, double Hi) Find(UnaryOp op) =>
        UnaryParameters.TryGetValue(op, out var c) ? c : throw new InvalidOperationException($"UnaryOp.{op}: no conformance parameters (add it to ElementwiseTests.UnaryParameters)");

    private static Tensor Upload(RefTensor r, bool strided) => strided ? r.ToDeviceStrided(Dev) : r.ToDevice(Dev);

    [Theory]
    [MemberData(nameof(UnaryCases))]
    [Covers(OpKind.Unary)]
    public void UnaryMatchesReference(UnaryOp op, int[] shape, bool strided)
    {
        var (p, lo, hi) = Find(op);
        var xr = Rand.Uniform(10 + (int)op, shape, lo, hi);
        using var x = Upload(xr, strided);
        if (strided) Assert.False(x.IsContiguous);
        using var y = Ops.Unary(op, x, p);
        Approx.Equal(RefElementwise.Unary(op, xr, p), y, 1e-5, 1e-4, $"{op} {string.Join("x", shape)}");
    }

    [Theory]
    [MemberData(nameof(UnaryBackwardCases))]
    [Covers(OpKind.UnaryBackward)]
    public void UnaryBackwardMatchesReference(UnaryOp op, int[] shape, bool strided)
    {
        var (p, lo, hi) = Find(op);
        var xr = Rand.Uniform(20 + (int)op, shape, lo, hi);
        var dyr = Rand.Uniform(30 + (int)op, shape);
        using var x = Upload(xr, strided);
        using var dy = Upload(dyr, strided);
        using var y = Ops.Unary(op, x, p);
        using var dx = Ops.UnaryBackward(op, x, y, dy, p);
        Approx.Equal(RefElementwise.UnaryBackward(op, xr, dyr, p), dx, 1e-5, 1e-4, $"{op}' {string.Join("x", shape)}");
        using var dx2 = Ops.UnaryBackward(op, x, null, dy, p);
        Assert.Equal(dx.ToArray<float>(), dx2.ToArray<float>());
    }

    [Theory]
    [InlineData(2f)]
    [InlineData(3f)]
    [InlineData(-1.5f)]
    [InlineData(0.5f)]
    [InlineData(0f)]
    [InlineData(1f)]
    [Covers(OpKind.Unary, OpKind.UnaryBackward)]
    public void PowScalarExponents(float exponent)
    {
        var xr = Rand.Uniform(5, new[] { 67 }, 0.2, 3);
        using var x = xr.ToDevice(Dev);
        using var y = Ops.PowScalar(x, exponent);
        Approx.Equal(RefElementwise.Unary(UnaryOp.PowScalar, xr, new(exponent)), y, 1e-5, 1e-4, $"x^{exponent}");
        var dyr = Rand.Uniform(6, new[] { 67 });
        using var dy = dyr.ToDevice(Dev);
        using var dx = Ops.UnaryBackward(UnaryOp.PowScalar, x, y, dy, new(exponent));
        Approx.Equal(RefElementwise.UnaryBackward(UnaryOp.PowScalar, xr, dyr, new(exponent)), dx, 1e-5, 1e-4, $"d x^{exponent}");
    }

    [Fact]
    public void PowScalarOfNegativeBaseFollowsIeeePow()
    {
        var xr = new RefTensor(new[] { 20 }, Enumerable.Range(0, 20).Select(i => -2.0 + 0.2 * i).Select(v => (double)(float)v).ToArray());
        using var x = xr.ToDevice(Dev);
        foreach (var e in new[] { 3f, 2f, -1f, 0.5f })
        {
            using var y = Ops.PowScalar(x, e);
            Approx.Equal(RefElementwise.Unary(UnaryOp.PowScalar, xr, new(e)), y, 1e-5, 1e-4, $"x^{e} (negative bases)");
        }
    }

    [Fact]
    public void ContiguousFastPathsCreateNoTemporaryTensors()
    {
        // Inside a scope, only the outputs are tracked: the kernels make no views or copies of contiguous inputs.
        using var a = Rand.Uniform(1, new[] { 4, 40 }).ToDevice(Dev);
        using var b = Rand.Uniform(2, new[] { 4, 40 }).ToDevice(Dev);
        using var scope = TensorScope.Begin();
        Ops.Add(a, b);
        Ops.Relu(a);
        Ops.Sum(a, new[] { 1 });
        Ops.Softmax(a);
        Ops.UnaryBackward(UnaryOp.Tanh, a, null, b);
        Assert.Equal(5, scope.Count); // the five outputs; the recomputed tanh was disposed and left the scope
    }

    [Fact]
    public void LargeOutputsTakeTheStreamingStorePath()
    {
        // Past Simd.ElementLoop.NonTemporalThreshold (4Mi elements) outputs are written with aligned non-temporal
        // stores after a scalar peel; an odd length and a thread split at unaligned offsets exercise both edges.
        int n = (4 << 20) + 37;
        Assert.True(n >= Tessera.Cpu.Simd.ElementLoop.NonTemporalThreshold);
        var xr = Rand.Uniform(77, new[] { n }, -2, 2);
        var br = Rand.Uniform(78, new[] { n }, -2, 2);
        using var x = xr.ToDevice(Dev);
        using var b = br.ToDevice(Dev);
        using var y = Ops.Relu(x);
        Approx.Equal(RefElementwise.Unary(UnaryOp.Relu, xr), y, 0, 0, "relu 4Mi");
        using var c = Ops.Add(x, b);
        var expected = new RefTensor(new[] { n });
        for (int i = 0; i < n; i++) expected.Data[i] = (float)(xr.Data[i] + br.Data[i]);
        Approx.Equal(expected, c, 0, 0, "add 4Mi");
    }

    [Fact]
    public void NaNPropagatesLikePyTorch()
    {
        // relu, clamp, maximum and minimum keep NaN (torch semantics); 40 elements cover vector and scalar tails.
        var data = Enumerable.Range(0, 40).Select(i => i % 3 == 0 ? float.NaN : i - 20f).ToArray();
        var xr = RefTensor.FromFloats(data, 40);
        var br = Rand.Uniform(9, new[] { 40 }, -20, 20);
        using var x = xr.ToDevice(Dev);
        using var b = br.ToDevice(Dev);
        using var relu = Ops.Relu(x);
        Approx.Equal(RefElementwise.Unary(UnaryOp.Relu, xr), relu, 0, 0, "relu NaN");
        using var clamp = Ops.Clamp(x, -3, 4);
        Approx.Equal(RefElementwise.Unary(UnaryOp.Clamp, xr, new(-3, 4)), clamp, 0, 0, "clamp NaN");
        using var mx = Ops.Maximum(x, b);
        Approx.Equal(RefElementwise.Binary(BinaryOp.Max, xr, br), mx, 0, 0, "maximum NaN");
        using var mn = Ops.Minimum(b, x);
        Approx.Equal(RefElementwise.Binary(BinaryOp.Min, br, xr), mn, 0, 0, "minimum NaN");
    }

    [Fact]
    public void ErfIsAccurateTo1e6Everywhere()
    {
        // The float erf (vector path for contiguous data, scalar tail for the last elements) against the double series.
        int n = 12001;
        var xr = new RefTensor(new[] { n }, Enumerable.Range(0, n).Select(i => (double)(float)(-6 + 0.001 * i)).ToArray());
        using var x = xr.ToDevice(Dev);
        using var y = Ops.Erf(x);
        var got = y.ToArray<float>();
        double worst = 0;
        for (int i = 0; i < n; i++) worst = Math.Max(worst, Math.Abs(got[i] - ScalarMath.Erf(xr.Data[i])));
        Assert.True(worst <= 1e-6, $"max |erf error| {worst:G3}");
        using var xs = xr.ToDeviceStrided(Dev);
        using var ys = Ops.Erf(xs);
        Approx.Equal(RefElementwise.Unary(UnaryOp.Erf, xr), ys, 1e-6, 0, "erf, strided (scalar path)");
    }

    [Fact]
    public void ReferenceErfMatchesKnownValues()
    {
        // Values of erf from tables (Abramowitz & Stegun; 16 digits).
        Assert.Equal(0.5204998778130465, ScalarMath.Erf(0.5), 1e-14);
        Assert.Equal(0.8427007929497149, ScalarMath.Erf(1.0), 1e-14);
        Assert.Equal(0.9953222650189527, ScalarMath.Erf(2.0), 1e-14);
        Assert.Equal(0.9999779095030014, ScalarMath.Erf(3.0), 1e-14);
        Assert.Equal(-0.1124629160182849, ScalarMath.Erf(-0.1), 1e-14);
        Assert.Equal(0.0, ScalarMath.Erf(0.0));
    }

    [Fact]
    public void NamedFacadesMatchUnary()
    {
        var xr = Rand.Uniform(3, new[] { 41 }, 0.1, 2);
        using var x = xr.ToDevice(Dev);
        var cases = new (Func<Tensor, Tensor> F, UnaryOp Op, UnaryParams P)[]
        {
            (Ops.Neg, UnaryOp.Neg, default), (Ops.Abs, UnaryOp.Abs, default), (Ops.Exp, UnaryOp.Exp, default),
            (Ops.Log, UnaryOp.Log, default), (Ops.Sqrt, UnaryOp.Sqrt, default), (Ops.Reciprocal, UnaryOp.Reciprocal, default),
            (Ops.Relu, UnaryOp.Relu, default), (Ops.Sigmoid, UnaryOp.Sigmoid, default), (Ops.Tanh, UnaryOp.Tanh, default),
            (Ops.Erf, UnaryOp.Erf, default), (t => Ops.LeakyRelu(t), UnaryOp.LeakyRelu, new(0.01f)),
            (t => Ops.Gelu(t), UnaryOp.GeluErf, default), (t => Ops.Gelu(t, approximate: true), UnaryOp.GeluTanh, default),
            (t => Ops.HardSigmoid(t), UnaryOp.HardSigmoid, new(0.2f, 0.5f)), (t => Ops.PowScalar(t, 3), UnaryOp.PowScalar, new(3f)),
            (t => Ops.Clamp(t, 0.5f, 1.5f), UnaryOp.Clamp, new(0.5f, 1.5f)), (t => Ops.Affine(t, -2f, 1f), UnaryOp.Affine, new(-2f, 1f)),
        };
        foreach (var (f, op, p) in cases)
        {
            using var y = f(x);
            Approx.Equal(RefElementwise.Unary(op, xr, p), y, 1e-5, 1e-4, op.ToString());
        }
    }

    // ---- Binary ----

    private static readonly (int[] A, int[] B, bool Strided)[] BinaryShapes =
    {
        (new[] { 0 }, new[] { 0 }, false), (new[] { 1 }, new[] { 1 }, false), (new[] { 17 }, new[] { 17 }, false),
        (new[] { 257 }, Array.Empty<int>(), false), (Array.Empty<int>(), new[] { 33 }, false),
        (new[] { 33, 65 }, new[] { 65 }, false), (new[] { 33, 65 }, new[] { 33, 1 }, false),
        (new[] { 4, 1, 5 }, new[] { 3, 1 }, false), (new[] { 2, 1, 3, 1 }, new[] { 1, 4, 1, 17 }, false),
        (new[] { 6, 17 }, new[] { 6, 17 }, true), (new[] { 9, 31 }, new[] { 31 }, true),
        (new[] { 70001 }, new[] { 70001 }, false), (new[] { 300, 301 }, new[] { 1 }, false), (new[] { 2, 70000 }, new[] { 2, 1 }, false),
        (new[] { 37, 300 }, new[] { 37, 300 }, true), (new[] { 40, 17 }, new[] { 17 }, true), (new[] { 3, 33, 20 }, new[] { 33, 1 }, true),
    };

    public static TheoryData<BinaryOp, int> BinaryCases()
    {
        var d = new TheoryData<BinaryOp, int>();
        foreach (var op in Enum.GetValues<BinaryOp>())
            for (int i = 0; i < BinaryShapes.Length; i++) d.Add(op, i);
        return d;
    }

    public static TheoryData<BinaryOp, int> BinaryBackwardCases()
    {
        var d = new TheoryData<BinaryOp, int>();
        foreach (var op in Enum.GetValues<BinaryOp>())
            foreach (var i in new[] { 0, 2, 3, 5, 6, 7, 8, 10, 13, 14, 16 }) d.Add(op, i);
        return d;
    }

    /// <summary>Every binary op's input ranges (Pow: positive bases; Div: denominators away from zero). An op missing
    /// here fails its cases, naming it.</summary>
    public static readonly IReadOnlyDictionary<BinaryOp, (double ALo, double AHi, double BLo, double BHi)> BinaryRanges =
        new Dictionary<BinaryOp, (double, double, double, double)>
        {
            [BinaryOp.Add] = (-2, 2, -2, 2), [BinaryOp.Sub] = (-2, 2, -2, 2), [BinaryOp.Mul] = (-2, 2, -2, 2),
            [BinaryOp.Div] = (-2, 2, 0.5, 2), [BinaryOp.Pow] = (0.3, 2.5, -2, 2), [BinaryOp.Max] = (-2, 2, -2, 2),
            [BinaryOp.Min] = (-2, 2, -2, 2), [BinaryOp.PRelu] = (-2, 2, -2, 2),
        };

    private static (RefTensor A, RefTensor B) BinaryInputs(BinaryOp op, int[] sa, int[] sb, int seed)
    {
        if (!BinaryRanges.TryGetValue(op, out var r))
            throw new InvalidOperationException($"BinaryOp.{op}: no conformance input ranges (add it to ElementwiseTests.BinaryRanges)");
        return (Rand.Uniform(seed, sa, r.ALo, r.AHi), Rand.Uniform(seed + 1, sb, r.BLo, r.BHi));
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    [Covers(OpKind.Binary)]
    public void BinaryMatchesReference(BinaryOp op, int shapeCase)
    {
        var (sa, sb, strided) = BinaryShapes[shapeCase];
        var (ar, br) = BinaryInputs(op, sa, sb, 40 + shapeCase);
        using var a = Upload(ar, strided);
        using var b = Upload(br, strided);
        using var c = Ops.Binary(op, a, b);
        Approx.Equal(RefElementwise.Binary(op, ar, br), c, 1e-5, 1e-4, $"{op} [{string.Join(",", sa)}] ∘ [{string.Join(",", sb)}]");
    }

    [Theory]
    [MemberData(nameof(BinaryBackwardCases))]
    [Covers(OpKind.BinaryBackward)]
    public void BinaryBackwardMatchesReference(BinaryOp op, int shapeCase)
    {
        var (sa, sb, strided) = BinaryShapes[shapeCase];
        var (ar, br) = BinaryInputs(op, sa, sb, 60 + shapeCase);
        var dcr = Rand.Uniform(90 + shapeCase, RefElementwise.BroadcastShape(sa, sb));
        using var a = Upload(ar, strided);
        using var b = Upload(br, strided);
        using var dc = Upload(dcr, strided);
        var (da, db) = Ops.BinaryBackward(op, a, b, dc);
        using var _a = da; using var _b = db;
        var (rda, rdb) = RefElementwise.BinaryBackward(op, ar, br, dcr);
        // Gradients summed over a broadcast axis of up to 70000 elements accumulate in float: atol grows with the count.
        double atol = 1e-5 * Math.Max(1, Math.Sqrt(dcr.Length / Math.Max(1.0, rda.Length)));
        double atolB = 1e-5 * Math.Max(1, Math.Sqrt(dcr.Length / Math.Max(1.0, rdb.Length)));
        Approx.Equal(rda, da!, atol, 1e-4, $"d{op}/da");
        Approx.Equal(rdb, db!, atolB, 1e-4, $"d{op}/db");
    }

    [Fact]
    public void MaxMinGradientTiesGoToA()
    {
        using var a = Tensor.FromArray(Dev, new float[] { 1, 2, 3, 4 }, 4);
        using var b = Tensor.FromArray(Dev, new float[] { 1, 5, 3, 0 }, 4);
        using var dc = Tensor.FromArray(Dev, new float[] { 10, 20, 30, 40 }, 4);
        var (da, db) = Ops.BinaryBackward(BinaryOp.Max, a, b, dc);
        Assert.Equal(new float[] { 10, 0, 30, 40 }, da!.ToArray<float>());
        Assert.Equal(new float[] { 0, 20, 0, 0 }, db!.ToArray<float>());
        var (ma, mb) = Ops.BinaryBackward(BinaryOp.Min, a, b, dc);
        Assert.Equal(new float[] { 10, 20, 30, 0 }, ma!.ToArray<float>());
        Assert.Equal(new float[] { 0, 0, 0, 40 }, mb!.ToArray<float>());
        da.Dispose(); db!.Dispose(); ma.Dispose(); mb!.Dispose();
    }

    [Fact]
    public void PowWithNegativeBasesAndIntegerExponents()
    {
        var ar = new RefTensor(new[] { 8 }, new double[] { -2, -1.5, -0.5, 0, 0, 2, -3, 1 });
        var br = new RefTensor(new[] { 8 }, new double[] { 3, 2, -1, 2, 0, 0.5, 0.5, 7.5 });
        using var a = ar.ToDevice(Dev);
        using var b = br.ToDevice(Dev);
        using var c = Ops.Pow(a, b);
        Approx.Equal(RefElementwise.Binary(BinaryOp.Pow, ar, br), c, 1e-5, 1e-4, "pow special cases");
    }

    [Fact]
    public void NamedBinaryFacadesAndOneSidedBackward()
    {
        var ar = Rand.Uniform(1, new[] { 3, 4 }, 0.5, 2);
        var br = Rand.Uniform(2, new[] { 4 }, 0.5, 2);
        using var a = ar.ToDevice(Dev);
        using var b = br.ToDevice(Dev);
        var fs = new (Func<Tensor, Tensor, Tensor> F, BinaryOp Op)[]
        {
            (Ops.Add, BinaryOp.Add), (Ops.Sub, BinaryOp.Sub), (Ops.Mul, BinaryOp.Mul), (Ops.Div, BinaryOp.Div),
            (Ops.Pow, BinaryOp.Pow), (Ops.Maximum, BinaryOp.Max), (Ops.Minimum, BinaryOp.Min),
        };
        foreach (var (f, op) in fs)
        {
            using var c = f(a, b);
            Approx.Equal(RefElementwise.Binary(op, ar, br), c, 1e-5, 1e-4, op.ToString());
        }
        using var dc = Rand.Uniform(3, new[] { 3, 4 }).ToDevice(Dev);
        var (da, db) = Ops.BinaryBackward(BinaryOp.Mul, a, b, dc, needA: false);
        Assert.Null(da);
        using var _ = db;
        Approx.Equal(RefElementwise.BinaryBackward(BinaryOp.Mul, ar, br, dc.ToRef()).Db, db!, 1e-5, 1e-4, "db only");
    }
}
